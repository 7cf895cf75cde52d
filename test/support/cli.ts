// The palisade command run as users run it: a process of its own, stdin given, exit code and output kept.
import { execFile } from 'node:child_process';

const cli = new URL('../../src/cli/main.ts', import.meta.url).pathname;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function palisadeWith(stdin: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [cli, ...args], { maxBuffer: 1 << 28 }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }));
    child.stdin?.end(stdin);
  });
}

export const palisade = (...args: string[]): Promise<Run> => palisadeWith('', ...args);

// The palisade command run as users run it: a process of its own, stdin given, exit code and output kept.
import { execFile, type ExecFileException } from 'node:child_process';
import { constants } from 'node:os';

const cli = new URL('../../src/cli/main.ts', import.meta.url).pathname;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** As a shell reports it: a process killed by a signal (an abort, an OOM kill) is 128 + its number, never 0. */
function exitCode(error: ExecFileException | null): number {
  if (!error) return 0;
  if (typeof error.code === 'number') return error.code;
  return error.signal ? 128 + constants.signals[error.signal] : 1;
}

export function palisadeWith(stdin: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [cli, ...args], { maxBuffer: 1 << 28 }, (error, stdout, stderr) => resolve({ code: exitCode(error), stdout, stderr }));
    child.stdin?.end(stdin);
  });
}

export const palisade = (...args: string[]): Promise<Run> => palisadeWith('', ...args);

// A command timed as a whole process by GNU time: wall seconds and peak RSS, its output discarded
// (or kept, when asked), so that start-up counts as a user sees it.
import { spawnSync } from 'node:child_process';

export interface Timed {
  seconds: number;
  peakMiB: number;
  status: number | null;
  stdout: string;
}

export function timed(command: string, args: string[], { input, keepOutput = false }: { input?: string; keepOutput?: boolean } = {}): Timed {
  const run = spawnSync('/usr/bin/time', ['-f', '%e %M', command, ...args], { input, encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['pipe', keepOutput ? 'pipe' : 'ignore', 'pipe'] });
  const [seconds, kib] = run.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  return { seconds: seconds!, peakMiB: Math.round(kib! / 1024), status: run.status, stdout: run.stdout ?? '' };
}

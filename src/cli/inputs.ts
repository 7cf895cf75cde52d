// -f FILE|DIR|-: the manifests a command reads, as kubectl's -f takes them.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from './usage.ts';

/** Standing for stdin among the files, as kubectl's -f - does. */
const STDIN = '-';

export interface Input {
  /** How messages name it: the path as given, or "stdin". */
  name: string;
  text: string;
}

function files(path: string): string[] {
  if (path === STDIN) return [path];
  if (!statSync(path, { throwIfNoEntry: false })) throw new UsageError(`${path}: no such file or directory`);
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).filter((name) => /\.(ya?ml|json)$/.test(name)).sort().map((name) => join(path, name));
}

/** Each file given, each .yaml, .yml and .json file of each directory given, and stdin for -. */
export const readInputs = (paths: readonly string[]): Input[] => paths.flatMap(files).map((file) => ({
  name: file === STDIN ? 'stdin' : file,
  text: readFileSync(file === STDIN ? 0 : file, 'utf8'),
}));

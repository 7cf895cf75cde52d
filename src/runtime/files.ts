// Writing a file that another process reads at any moment (kube-apiserver's encryption config):
// the whole new content or the old, never a torn one, and durable once this resolves.
import { open, readFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * Temp file beside the target, fsync, rename, fsync of the directory, then read back.
 * `mayRename` is asked last, just before the rename: a reason not to replace the file after all.
 */
export async function writeFileAtomically(path: string, text: string, mayRename: () => boolean = () => true): Promise<void> {
  // One fixed name: a crash before the rename leaves at most one stray copy, overwritten next time.
  const temp = join(dirname(path), `.${path.slice(dirname(path).length + 1)}.tmp`);
  const file = await open(temp, 'w', 0o600);
  try {
    await file.writeFile(text);
    await file.sync();
  } finally {
    await file.close();
  }
  if (!mayRename()) throw new Error(`${path} left as it was: the write is no longer wanted`);
  await rename(temp, path);
  const directory = await open(dirname(path), 'r');
  await directory.sync().finally(() => directory.close());
  if (await readFile(path, 'utf8') !== text) throw new Error(`${path} did not read back as written`);
}

import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { writeFileAtomically } from '../../src/runtime/files.ts';

describe('writeFileAtomically', function () {
  it('replaces the file whole, owner-only, and leaves no temp file behind', async function () {
    const dir = await mkdtemp(join(tmpdir(), 'palisade-files-'));
    const path = join(dir, 'config.yaml');
    await writeFile(path, 'old');
    await writeFileAtomically(path, 'new');
    expect(await readFile(path, 'utf8')).to.equal('new');
    expect((await stat(path)).mode & 0o777).to.equal(0o600);
    expect(await readdir(dir)).to.deep.equal(['config.yaml']);
  });

  it('leaves the file as it was when the write is no longer wanted at the last moment', async function () {
    const dir = await mkdtemp(join(tmpdir(), 'palisade-files-'));
    const path = join(dir, 'config.yaml');
    await writeFile(path, 'old');
    await writeFileAtomically(path, 'new', () => false).then(() => expect.fail('resolved'), (error: Error) => expect(error.message).to.include('left as it was'));
    expect(await readFile(path, 'utf8')).to.equal('old');
  });
});

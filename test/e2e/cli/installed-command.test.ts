// The palisade command as installed: bin/palisade.js running the compiled code of a fresh build,
// and the same as the kubectl plugin kubectl-palisade, found by kubectl on PATH.
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { controlPlaneBinaries } from '../../../harness/control-plane/control-plane.ts';

const repo = new URL('../../../', import.meta.url).pathname;
const run = promisify(execFile);

describe('the installed palisade command', function () {
  this.timeout(300_000);
  let installed: string;
  /** PATH as npx sets it: the project's own Node first, then the installed bin directory. */
  let path: string;

  before(async function () {
    // The package as `make build` leaves it, in a directory of its own: bin/, dist/, package.json.
    installed = await mkdtemp(join(tmpdir(), 'palisade-installed-'));
    await run(join(repo, 'node_modules/.bin/tsc'), ['-p', join(repo, 'tsconfig.build.json'), '--outDir', join(installed, 'dist')]);
    await run(process.execPath, [join(repo, 'hack/build-info.ts'), join(installed, 'dist/build-info.json')]);
    await mkdir(join(installed, 'bin'));
    await copyFile(join(repo, 'bin/palisade.js'), join(installed, 'bin/palisade.js'));
    await symlink('palisade.js', join(installed, 'bin/kubectl-palisade'));
    await copyFile(join(repo, 'package.json'), join(installed, 'package.json'));
    await symlink(join(repo, 'node_modules'), join(installed, 'node_modules'));
    path = [dirname(process.execPath), join(installed, 'bin'), process.env.PATH].join(delimiter);
  });

  it('reports the version, the commit and the Kubernetes version the build was tested with', async function () {
    const { stdout } = await run(join(installed, 'bin/palisade.js'), ['version', '-o', 'json'], { env: { ...process.env, PATH: path } });
    const { stdout: head } = await run('git', ['rev-parse', 'HEAD'], { cwd: repo });
    const versions = await readFile(join(repo, 'hack/control-plane/versions.env'), 'utf8');
    const info = JSON.parse(stdout) as { version: string; commit: string; node: string; testedKubernetes: string[] };
    expect(info.commit).to.match(new RegExp(`^${head.trim()}(-dirty)?$`));
    expect(info.testedKubernetes).to.deep.equal([/^KUBERNETES_VERSION=(\S+)$/m.exec(versions)![1]]);
    expect(info.node).to.equal(process.version);
  });

  it('runs as a kubectl plugin: kubectl palisade render prints what palisade render prints', async function () {
    const kubectl = join(await controlPlaneBinaries(), 'kubectl');
    const env = { ...process.env, PATH: path };
    const examples = join(repo, 'examples');
    const plugin = await run(kubectl, ['palisade', 'render', '-f', examples], { env });
    const direct = await run(join(installed, 'bin/palisade.js'), ['render', '-f', examples], { env });
    expect(plugin.stdout).to.include('kind: NetworkPolicy');
    expect(plugin.stdout).to.equal(direct.stdout);
    const { stdout: plugins } = await run(kubectl, ['plugin', 'list'], { env }).catch((error: { stdout: string }) => error);
    expect(plugins).to.include(join(installed, 'bin/kubectl-palisade'));
  });
});

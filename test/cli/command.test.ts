// The palisade command's own surface: a usage per subcommand, a version, and the exit codes.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { palisade } from '../support/cli.ts';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

describe('the palisade command', function () {
  this.timeout(20_000);

  it('prints the usage of every subcommand with --help, -h and help COMMAND, and exits 0', async function () {
    const flags: Record<string, string> = { operator: '--kubeconfig PATH', render: '-f, --filename FILE|DIR|-', scan: '--fail-on SEVERITY', 'write-encryption-config': '--from FILE --to PATH', version: '-o, --output yaml|json' };
    for (const [command, flag] of Object.entries(flags)) {
      for (const args of [[command, '--help'], [command, '-h'], ['help', command]]) {
        const { code, stdout } = await palisade(...args);
        expect(code, args.join(' ')).to.equal(0);
        expect(stdout, args.join(' ')).to.include(`Usage: palisade ${command}`).and.include(flag);
      }
    }
  });

  it('lists the commands, with exit code 2 when none is given or one is unknown', async function () {
    const none = await palisade();
    expect(none.code).to.equal(2);
    for (const command of ['operator', 'render', 'write-encryption-config', 'version']) expect(none.stdout).to.include(`  ${command} `);
    const unknown = await palisade('rnder');
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.include('unknown command "rnder"');
  });

  it('prints its version, the Node it runs on, and says when it runs from source rather than a build', async function () {
    const text = await palisade('version');
    expect(text.code).to.equal(0);
    expect(text.stdout).to.include(`palisade ${version}`).and.include(`node:               ${process.version}`).and.include('run from source');
    const json = JSON.parse((await palisade('version', '-o', 'json')).stdout) as Record<string, unknown>;
    expect(json).to.deep.equal({ version, commit: 'none (run from source)', node: process.version, testedKubernetes: [] });
    expect((await palisade('--version')).stdout).to.equal(text.stdout);
  });
});

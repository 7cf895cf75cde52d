// The ArgoCD health check of config/argocd, laid out as argo-cd's resource_customizations: one
// health.lua for every kind of the group in palisade.dev/_, with its health_test.yaml and testdata/.
// Every case runs the way ArgoCD runs a check from argocd-cm (run-health.lua: no string or math
// library) and is compared in full, status and message, as argo-cd's util/lua/health_test.go does.
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { load } from 'js-yaml';
import { Value } from 'typebox/value';
import { API_VERSION, GROUP, kinds } from '../../src/api/index.ts';
import { validateSpec } from '../../src/api/validate.ts';

const component = new URL('../../config/argocd/', import.meta.url).pathname;
const customizations = join(component, 'resource_customizations');
const runner = new URL('run-health.lua', import.meta.url).pathname;
const run = promisify(execFile);

interface HealthTests {
  tests: { healthStatus: { status: string; message?: string }; inputPath: string }[];
}

interface Resource {
  apiVersion: string;
  kind: string;
  spec: unknown;
  status?: unknown;
}

const readYaml = <T>(file: string) => load(readFileSync(file, 'utf8')) as T;

/** A Lua string literal of the exact bytes of `text`: printable ASCII as is, any other byte as \ddd. */
function luaString(text: string): string {
  const bytes = [...Buffer.from(text)].map((byte) => (byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c
    ? String.fromCharCode(byte) : `\\${String(byte).padStart(3, '0')}`));
  return `"${bytes.join('')}"`;
}

/** A YAML value as the Lua table ArgoCD hands a check as `obj`: arrays from 1, null as nil. */
function luaValue(value: unknown): string {
  if (typeof value === 'string') return luaString(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return 'nil';
  if (Array.isArray(value)) return `{${value.map(luaValue).join(', ')}}`;
  return `{${Object.entries(value as Record<string, unknown>).map(([key, item]) => `[${luaString(key)}] = ${luaValue(item)}`).join(', ')}}`;
}

async function health(script: string, object: unknown): Promise<{ status: string; message: string }> {
  const running = run('lua5.1', [runner, script]);
  running.child.stdin?.end(luaValue(object));
  const { stdout } = await running;
  return JSON.parse(stdout) as { status: string; message: string };
}

const shared = join(customizations, GROUP, '_');

describe('ArgoCD health checks', function () {
  it(`are one, for every kind of ${GROUP} (${GROUP}/_), with nothing beside it that goes untested`, function () {
    const checks = readdirSync(customizations, { recursive: true, encoding: 'utf8' }).filter((file) => basename(file) === 'health.lua');
    expect(checks.map((file) => dirname(join(customizations, file)))).to.deep.equal([shared]);
  });

  describe(relative(customizations, shared), function () {
    const { tests } = readYaml<HealthTests>(join(shared, 'health_test.yaml'));
    for (const { healthStatus, inputPath } of tests) {
      it(`${inputPath}: ${healthStatus.status}`, async function () {
        const object = readYaml<Resource>(join(shared, inputPath));
        expect(await health(join(shared, 'health.lua'), object)).to.deep.equal({ status: healthStatus.status, message: healthStatus.message ?? '' });
      });
    }

    it(`is what argocd-cm gets for every kind of ${GROUP}`, function () {
      const [generator] = readYaml<{ configMapGenerator: { name: string; files: string[] }[] }>(join(component, 'kustomization.yaml')).configMapGenerator;
      expect(generator?.name).to.equal('argocd-cm');
      expect(generator?.files).to.deep.equal(kinds.map(({ kind }) =>
        `resource.customizations.health.${GROUP}_${kind}=${relative(component, join(shared, 'health.lua'))}`));
    });

    it(`is tested on objects of every kind of ${GROUP}, each valid by its CRD's schema`, function () {
      const inputs = tests.map(({ inputPath }) => readYaml<Resource>(join(shared, inputPath)));
      expect([...new Set(inputs.map((input) => input.kind))].sort()).to.deep.equal(kinds.map(({ kind }) => kind).sort());
      for (const input of inputs) {
        const kind = kinds.find((definition) => definition.kind === input.kind)!;
        expect(input.apiVersion).to.equal(API_VERSION);
        validateSpec(kind, input.spec);
        if (input.status !== undefined) expect([...Value.Errors(kind.status, input.status)], input.kind).to.deep.equal([]);
      }
    });
  });
});

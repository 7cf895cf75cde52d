// The ArgoCD health check (config/argocd/health.lua) run under Lua 5.1, as ArgoCD runs it, on
// sample objects of each kind.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';

const script = new URL('../../config/argocd/health.lua', import.meta.url).pathname;

/** A JSON value as a Lua table constructor. */
function lua(value: unknown): string {
  if (Array.isArray(value)) return `{${value.map(lua).join(', ')}}`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value).map(([key, item]) => `[${JSON.stringify(key)}] = ${lua(item)}`).join(', ')}}`;
  }
  return value === null ? 'nil' : JSON.stringify(value);
}

async function health(object: unknown): Promise<{ status: string; message: string }> {
  const program = `obj = ${lua(object)}; local hs = assert(loadfile(${JSON.stringify(script)}))(); io.write(hs.status, "\\n", hs.message or "")`;
  const { stdout } = await promisify(execFile)('lua5.1', ['-e', program]);
  const [status = '', message = ''] = stdout.split('\n');
  return { status, message };
}

type Condition = [type: string, status: string, reason: string];
const resource = (kind: string, conditions: Condition[], observedGeneration = 2) => ({
  apiVersion: 'palisade.dev/v1alpha1', kind, metadata: { name: 'x', generation: 2 },
  status: { observedGeneration, conditions: conditions.map(([type, status, reason]) => ({ type, status, reason, message: `${reason} message` })) },
});

describe('ArgoCD health check', function () {
  const cases: [string, ReturnType<typeof resource> | object, string, string][] = [
    ['a ringfence Ready at its generation', resource('NamespaceRingfence', [['Ready', 'True', 'Applied']]), 'Healthy', 'Applied: Applied message'],
    ['a ringfence not yet observed at its generation', resource('NamespaceRingfence', [['Ready', 'True', 'Applied']], 1), 'Progressing', 'Waiting for the operator'],
    ['a ringfence with no status yet', { kind: 'NamespaceRingfence', metadata: { generation: 1 } }, 'Progressing', 'Waiting for the operator'],
    ['a second ringfence in a namespace', resource('NamespaceRingfence', [['Ready', 'False', 'Conflict']]), 'Degraded', 'Conflict: Conflict message'],
    ['a baseline enforced everywhere', resource('PodSecurityBaseline', [['Ready', 'True', 'Enforced'], ['Progressing', 'False', 'Enforced'], ['Degraded', 'False', 'AsExpected']]), 'Healthy', 'Enforced'],
    ['a baseline waiting for violating pods', resource('PodSecurityBaseline', [['Ready', 'False', 'EnforcementPending'], ['Progressing', 'True', 'EnforcementPending'], ['Degraded', 'False', 'AsExpected']]), 'Progressing', 'EnforcementPending'],
    ['a baseline that cannot label a namespace', resource('PodSecurityBaseline', [['Ready', 'False', 'LabelingFailed'], ['Progressing', 'False', 'Enforced'], ['Degraded', 'True', 'LabelingFailed']]), 'Degraded', 'LabelingFailed'],
    ['a schedule with current keys', resource('KeyRotationSchedule', [['Ready', 'True', 'KeysCurrent'], ['Rotating', 'False', 'Idle'], ['Degraded', 'False', 'AsExpected']]), 'Healthy', 'KeysCurrent'],
    ['a schedule rotating', resource('KeyRotationSchedule', [['Ready', 'False', 'Rotating'], ['Rotating', 'True', 'WriteStaged'], ['Degraded', 'False', 'AsExpected']]), 'Progressing', 'WriteStaged'],
    ['a schedule with a bad spec', resource('KeyRotationSchedule', [['Ready', 'False', 'InvalidSpec'], ['Rotating', 'False', 'Idle'], ['Degraded', 'True', 'InvalidSpec']]), 'Degraded', 'InvalidSpec'],
  ];
  for (const [what, object, status, message] of cases) {
    it(`${what}: ${status}`, async function () {
      const result = await health(object);
      expect(result.status).to.equal(status);
      expect(result.message).to.include(message);
    });
  }
});

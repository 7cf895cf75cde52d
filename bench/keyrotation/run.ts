// A rotation of 2,000 Secrets against a real control plane with encryption at rest, by each
// re-encryption path: a StorageVersionMigration (kube-controller-manager rewrites), and on a
// control plane without storagemigration.k8s.io/v1 the operator's own rewrite. How long the
// whole rotation and its re-encryption take, and how many writes the operator made.
// kube-apiserver reloads its config once a minute, so three reload gates set most of the total.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { secrets } from '../../src/kubernetes/resources.ts';
import { ControlPlane } from '../../harness/control-plane/control-plane.ts';
import { clientFor } from '../../harness/client.ts';
import { installCrds } from '../../harness/crds.ts';
import { writeInitialEncryptionConfig } from '../../harness/encryption.ts';
import { kubectlOk } from '../../harness/kubectl.ts';
import { metric, stopOperator, writeRequests } from '../../harness/operator.ts';
import { inParallel } from '../../src/runtime/parallel.ts';
import { startShippedOperator } from '../operator.ts';
import { countSetting } from '../settings.ts';

const COUNT = countSetting('SECRETS', 2000);
const PATHS = { StorageVersionMigration: [], InProcess: ['storagemigration.k8s.io/v1=false'] };

for (const runtimeConfig of Object.values(PATHS)) await rotation(runtimeConfig);

async function rotation(runtimeConfig: string[]): Promise<void> {
  const configFile = join(await mkdtemp(join(tmpdir(), 'palisade-enc-')), 'encryption-config.yaml');
  await writeInitialEncryptionConfig(configFile);
  const plane = await ControlPlane.start({ encryptionConfigFile: configFile, runtimeConfig });
  try {
    const { kubeconfig } = plane;
    await installCrds(kubeconfig);
    await kubectlOk(kubeconfig, ['create', 'namespace', 'app']);
    await kubectlOk(kubeconfig, ['create', 'namespace', 'palisade-system']);
    const client = await clientFor(kubeconfig);
    await inParallel(Array.from({ length: COUNT }, (_, i) => i), 32, (i) => client.create(secrets,
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: `s${i}`, namespace: 'app' }, stringData: { value: `secret-${i}` } }));
    await client.close();

    const operator = await startShippedOperator(kubeconfig, ['--leader-elect=false', `--apiserver-urls=${plane.apiServers[0]!.url}`]);
    try {
      const started = performance.now();
      await kubectlOk(kubeconfig, ['apply', '--server-side', '-f', '-'], JSON.stringify({
        apiVersion: 'palisade.dev/v1alpha1', kind: 'KeyRotationSchedule', metadata: { name: 'bench', annotations: { 'palisade.dev/rotate-now': '1' } },
        spec: { schedule: '@weekly', resources: ['secrets'], keyStore: { namespace: 'palisade-system' }, delivery: { type: 'File', path: configFile }, retainPreviousKeys: 0 },
      }));
      let status: { lastRotationTime?: string; lastMigration?: { path?: string; objectsRewritten?: number; durationSeconds: number } } = {};
      while (!status.lastRotationTime) {
        await sleep(1000);
        status = (JSON.parse(await kubectlOk(kubeconfig, ['get', 'keyrotationschedule', 'bench', '-o', 'json'])) as { status?: typeof status }).status ?? {};
      }
      console.log(JSON.stringify({
        benchmark: 'keyrotation', path: status.lastMigration?.path, secrets: COUNT, rotationSeconds: Math.round((performance.now() - started) / 1000),
        migrationSeconds: status.lastMigration?.durationSeconds, objectsRewritten: status.lastMigration?.objectsRewritten,
        updateRequests: await metric(operator.port, 'palisade_api_requests_total', { verb: 'update', resource: 'secrets' }),
        writeRequests: await writeRequests(operator.port),
      }));
    } finally {
      await stopOperator(operator);
    }
  } finally {
    await plane.stop();
}
}

// Key rotation on a control plane that does not serve storagemigration.k8s.io/v1 (as before
// Kubernetes 1.37, or with it turned off): the operator re-encrypts by rewriting every object
// itself, and only with the optional role config/rbac/legacy-migration; without it, a rotation
// does not begin, and says what to install.
import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import { schedules } from '../../../src/api/resources.ts';
import { PAGE_SIZE } from '../../../src/controllers/keyrotationschedule/migrate.ts';
import type { Migration } from '../../../src/controllers/keyrotationschedule/plan.ts';
import { secrets } from '../../../src/kubernetes/resources.ts';
import type { KubeObject } from '../../../src/runtime/client.ts';
import { kubectl } from '../../../harness/kubectl.ts';
import { eventually } from '../../support/eventually.ts';
import { LEGACY_MIGRATION_RBAC, OPERATOR_USER } from '../../support/least-privilege.ts';
import { EncryptedPlane, type Schedule } from './encrypted-plane.ts';

/** Enough more Secrets that a pass of re-encryption takes several pages. */
const BULK_SECRETS = 380;

describe('KeyRotationSchedule on a control plane without storagemigration.k8s.io/v1', function () {
  this.timeout(600_000);
  let encrypted: EncryptedPlane;

  before(async function () {
    encrypted = await EncryptedPlane.start({ runtimeConfig: ['storagemigration.k8s.io/v1=false'] });
  });

  after(async function () {
    await encrypted?.stop();
  });

  it('without the optional role, begins no rotation: a condition and an Event say what to install, and nothing is written', async function () {
    const before = await readFile(encrypted.configFile, 'utf8');
    await encrypted.applySchedule('secrets-at-rest', encrypted.spec('secretbox'), { 'palisade.dev/rotate-now': '1' });
    await eventually(async () => {
      const ready = (await encrypted.schedule('secrets-at-rest')).status?.conditions?.find((c) => c.type === 'Ready');
      expect(ready).to.include({ status: 'False', reason: 'MigrationNotPermitted' });
      expect(ready?.message).to.include('may not list secrets, update secrets').and.include('config/rbac/legacy-migration');
    }, 60_000);
    const events = await encrypted.kubectl(['get', 'events', '-A', '--field-selector', 'reason=MigrationNotPermitted', '-o', 'name']);
    expect(events).to.not.equal('');
    expect(await encrypted.kubectl(['get', 'secrets', '-n', 'palisade-system', '-o', 'name']), 'no key Secret').to.equal('');
    expect(await readFile(encrypted.configFile, 'utf8')).to.equal(before);
    await encrypted.kubectl(['apply', '--server-side', '-k', LEGACY_MIGRATION_RBAC]);
    await eventually(async () => expect((await kubectl(encrypted.plane.kubeconfig, ['auth', 'can-i', 'update', 'secrets', '-A', '--as', OPERATOR_USER])).stdout.trim()).to.equal('yes'));
  });

  it('with the optional role, rotates (secretbox) in process to the end though SIGKILLed in every phase it is seen in, mid-page in the migration, and restarted; counts truthfully', async function () {
    await encrypted.createBulkSecrets(BULK_SECRETS);
    const killedIn = new Set<string>();
    // The migration, checkpoint by checkpoint: polling would miss its pages. Once pass 1 recorded
    // its first page, the first Secret it rewrites beyond those ends the operator: mid-page. (Only
    // the migration modifies Secrets here; each rewrite is a MODIFIED event.)
    const checkpoints: { phase?: string; migration: Migration }[] = [];
    let rewrites = 0;
    let killAfter: number | undefined;
    let atKill: { recorded: Migration; underNewKey: number; total: number } | undefined;
    const killMidPage = () => encrypted.restart(async () => {
      // What the killed operator had sent lands; then the cluster holds still.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const { status } = await encrypted.schedule('secrets-at-rest');
      const { total, underKey } = await encrypted.secretsInEtcd('secretbox', 'secrets-at-rest-1');
      atKill = { recorded: status!.rotation!.migration!, underNewKey: underKey, total };
    });
    const status = await encrypted.rotateKilledInEveryPhase('secretbox', '1', killedIn, {
      watches: [
        {
          resource: schedules, query: { fieldSelector: 'metadata.name=secrets-at-rest' }, onEvent: ({ object }) => {
            const { phase, rotation } = (object as KubeObject & Schedule).status ?? {};
            if (rotation?.key !== 'secrets-at-rest-1' || !rotation.migration) return;
            checkpoints.push({ phase, migration: rotation.migration });
            if (rotation.migration.pass === 1 && rotation.migration.continue) killAfter ??= rotation.migration.rewritten;
          },
        },
        {
          resource: secrets, onEvent: ({ type }) => {
            if (type !== 'MODIFIED') return;
            rewrites++;
            if (killAfter === undefined || rewrites <= killAfter || killedIn.has('Migrating')) return;
            killedIn.add('Migrating');
            void killMidPage();
          },
        },
      ],
    });
    expect([...killedIn]).to.include.members(['ReadStaged', 'WriteStaged', 'Migrating']);
    expect(status.previousKeys).to.deep.equal(['initial']);
    expect(status.lastMigration).to.include({ path: 'InProcess' });
    // Every checkpoint names the step under way: pass 1 re-encrypts, later passes verify.
    const phasesOf = (inPass: (pass: number) => boolean) => new Set(checkpoints.filter(({ migration }) => inPass(migration.pass) && !migration.verifiedAt).map(({ phase }) => phase));
    expect(phasesOf((pass) => pass === 1)).to.deep.equal(new Set(['Migrating']));
    expect(phasesOf((pass) => pass > 1)).to.deep.equal(new Set(['Verified']));
    // Killed mid-migration: what the cut page had rewritten the resumed pass finds under the new key.
    const { recorded, underNewKey, total } = atKill!;
    expect(recorded.pass).to.equal(1);
    expect(recorded.checked).to.be.below(total);
    const unrecorded = underNewKey - recorded.rewritten;
    expect(unrecorded, 'rewritten by the page the kill cut short').to.be.within(1, PAGE_SIZE);
    expect(status.lastMigration).to.include({ objectsChecked: total, objectsRewritten: total - unrecorded });
  });

});

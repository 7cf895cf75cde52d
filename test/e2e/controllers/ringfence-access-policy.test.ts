// Palisade is no path to privilege escalation: the ValidatingAdmissionPolicies in config/admission
// make the real API server let a ringfence grant admin, edit or view to exactly those who could
// create that RoleBinding themselves (create on RoleBindings, and bind on the role or every
// permission it grants), and never stand in the way of anything else.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { loadAll } from 'js-yaml';
import type { NamespaceRingfenceSpec, Subject } from '../../../src/api/namespaceringfence.ts';
import { sharedCluster } from '../../support/cluster.ts';
import { installCrds } from '../../../harness/crds.ts';
import { eventually } from '../../support/eventually.ts';
import { kubectl, kubectlOk, type KubectlResult } from '../../../harness/kubectl.ts';
import { operatorKubeconfig, startPalisadeOperator } from '../../support/least-privilege.ts';
import { useNamespace } from '../../support/namespace.ts';
import { stopOperator } from '../../../harness/operator.ts';

const config = (base: string) => new URL(`../../../config/${base}/`, import.meta.url).pathname;

type Field = 'admins' | 'editors' | 'viewers';
const ROLES: Record<Field, string> = { admins: 'admin', editors: 'edit', viewers: 'view' };
const FIELDS = Object.keys(ROLES) as Field[];

interface Rule { apiGroups?: string[]; resources?: string[]; verbs: string[]; resourceNames?: string[]; nonResourceURLs?: string[] }
interface Permission { group: string; resource: string; verb: string; name?: string }

/** A role's permissions on resources one at a time, in the order the rules policies check them. */
function permissions(rules: Rule[]): Permission[] {
  return rules.flatMap((rule) => (rule.resources ?? []).flatMap((resource) => (rule.apiGroups ?? []).flatMap((group) =>
    rule.verbs.flatMap((verb) => (rule.resourceNames?.length ? rule.resourceNames : [undefined]).map((name) =>
      ({ group, resource, verb, ...(name === undefined ? {} : { name }) }))))));
}

const asRules = (granted: Permission[]): Rule[] => granted.map((p) =>
  ({ apiGroups: [p.group], resources: [p.resource], verbs: [p.verb], ...(p.name === undefined ? {} : { resourceNames: [p.name] }) }));

const CREATE_ROLEBINDINGS: Rule = { apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings'], verbs: ['create'] };
const BIND_VIEW: Rule = { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['bind'], resourceNames: ['view'] };
// Aggregated into admin and edit (config/rbac); given to the others so that admission, not RBAC,
// decides on their ringfences.
const RINGFENCE_WRITER = 'palisade-ringfence-edit';

/** 'allowed', or 'refused' when the API server answered Forbidden; anything else fails the test. */
function outcome(result: KubectlResult): 'allowed' | 'refused' {
  if (result.code === 0) return 'allowed';
  if (/forbidden/i.test(result.stderr)) return 'refused';
  throw new Error(`neither allowed nor forbidden: ${result.stderr}`);
}

describe('ringfence access policy (ValidatingAdmissionPolicy)', function () {
  this.timeout(120_000);
  let admin: string;
  let clusterRoleRules: (name: string) => Promise<Rule[]>;

  before(async function () {
    this.timeout(600_000);
    const cluster = await sharedCluster();
    admin = cluster.kubeconfig;
    await installCrds(admin);
    // config/rbac, with the namespaces it names: the operator's roles and the ringfence user roles.
    await operatorKubeconfig(cluster);
    await kubectlOk(admin, ['apply', '--server-side', '-k', config('admission')]);
    clusterRoleRules = async (name) => (JSON.parse(await kubectlOk(admin, ['get', 'clusterrole', name, '-o', 'json'])) as { rules: Rule[] | null }).rules ?? [];
    // The clusterrole-aggregation controller fills in admin, edit and view, Palisade's rules included.
    for (const role of Object.values(ROLES)) {
      await eventually(async () => expect((await clusterRoleRules(role)).flatMap((rule) => rule.apiGroups ?? []), role).to.include('palisade.dev'), 60_000);
    }
  });

  /** The role's permissions but its last (in the order the rules policies check them), and that last one. */
  const allButLast = async (role: string) => {
    const granted = permissions(await clusterRoleRules(role));
    return { kept: granted.slice(0, -1), lacking: granted.at(-1)! };
  };

  const fence = (as: string, namespace: string, spec: NamespaceRingfenceSpec, name = 'fence', ...flags: string[]) =>
    kubectl(as, ['apply', '--server-side', ...flags, '-n', namespace, '-f', '-'],
      JSON.stringify({ apiVersion: 'palisade.dev/v1alpha1', kind: 'NamespaceRingfence', metadata: { name }, spec }));

  it('checks every permission of admin, edit and view in policies of 27, and the limit it states is what they cover', async function () {
    const objects = loadAll(await kubectlOk(admin, ['kustomize', config('admission')])) as {
      kind: string; metadata: { name: string };
      spec: { policyName?: string; paramRef?: { name: string }; variables?: { name: string; expression: string }[]; validations?: { expression: string }[] };
    }[];
    const rules = objects.filter((o) => o.kind === 'ValidatingAdmissionPolicy' && o.metadata.name.startsWith('palisade-ringfence-access-rules-'));
    const [first] = rules;
    const questions = first?.spec.validations?.filter((v) => v.expression.includes('variables.questions[')).length ?? 0;
    expect(questions).to.equal(27);
    rules.forEach((policy, index) => {
      const name = `palisade-ringfence-access-rules-${String(index).padStart(2, '0')}`;
      expect(policy.metadata.name).to.equal(name);
      const variables = policy.spec.variables ?? [];
      expect(variables[0], name).to.deep.equal({ name: 'first', expression: String(questions * index) });
      expect({ ...policy.spec, variables: variables.slice(1) }, `${name} is -00 but for first`).to.deep.equal({ ...first!.spec, variables: first!.spec.variables!.slice(1) });
      const boundTo = objects.filter((o) => o.kind === 'ValidatingAdmissionPolicyBinding' && o.spec.policyName === name).map((o) => o.spec.paramRef?.name).sort();
      expect(boundTo, name).to.deep.equal(['admin', 'edit', 'view']);
    });
    expect(first?.spec.validations?.[0]?.expression).to.equal(`variables.first > 0 || variables.counts.sum() <= ${questions * rules.length}`);
  });

  describe('grants through a ringfence exactly what its requester could grant by creating the RoleBinding', function () {
    // One namespace for every row: the holders' roles are bound once.
    const namespace = `grants-${randomBytes(3).toString('hex')}`;
    const newcomer: Subject = { kind: 'User', name: 'newcomer' };
    const existing: Subject = { kind: 'User', name: 'existing' };
    const all = (allowed: boolean) => ({ admins: allowed, editors: allowed, viewers: allowed });

    interface Holder {
      user: string;
      holds: string;
      clusterRoles: string[];
      /** A Role of its own in the namespace. */
      rules?: () => Rule[] | Promise<Rule[]>;
      /** What the API server lets them bind directly: the row's own check that it tests what it says. */
      direct: Record<Field, boolean>;
      kubeconfig?: string;
    }
    const holders: Holder[] = [
      { user: 'ada', holds: 'admin', clusterRoles: ['admin'], direct: all(true) },
      { user: 'ed', holds: 'edit', clusterRoles: ['edit'], direct: all(false) },
      { user: 'vic', holds: 'view', clusterRoles: ['view', RINGFENCE_WRITER], direct: all(false) },
      {
        user: 'vera', holds: 'view and create on RoleBindings', clusterRoles: ['view', RINGFENCE_WRITER],
        rules: () => [CREATE_ROLEBINDINGS], direct: { ...all(false), viewers: true },
      },
      {
        user: 'val', holds: 'every permission of view but its last, and create on RoleBindings', clusterRoles: [RINGFENCE_WRITER],
        rules: async () => [...asRules((await allButLast('view')).kept), CREATE_ROLEBINDINGS], direct: all(false),
      },
      {
        user: 'bea', holds: 'bind on view and create on RoleBindings', clusterRoles: [RINGFENCE_WRITER],
        rules: () => [BIND_VIEW, CREATE_ROLEBINDINGS], direct: { ...all(false), viewers: true },
      },
      { user: 'ben', holds: 'bind on view, no create on RoleBindings', clusterRoles: [RINGFENCE_WRITER], rules: () => [BIND_VIEW], direct: all(false) },
      {
        // Admin's last permission (on roles) is not edit's, so edit and view stay grantable.
        user: 'amy', holds: 'every permission of admin but its last', clusterRoles: [],
        rules: async () => {
          const { kept, lacking } = await allButLast('admin');
          expect(permissions(await clusterRoleRules('edit')), 'edit grants admin\'s last permission').to.not.deep.include(lacking);
          return asRules(kept);
        },
        direct: { ...all(true), admins: false },
      },
      { user: 'nat', holds: 'nothing but writing ringfences', clusterRoles: [RINGFENCE_WRITER], direct: all(false) },
    ];

    before(async function () {
      this.timeout(300_000);
      const cluster = await sharedCluster();
      await kubectlOk(admin, ['create', 'namespace', namespace]);
      for (const holder of holders) {
        holder.kubeconfig = await cluster.userKubeconfig(holder.user);
        for (const role of holder.clusterRoles) {
          await kubectlOk(admin, ['create', 'rolebinding', `${holder.user}-${role}`, `--clusterrole=${role}`, `--user=${holder.user}`, '-n', namespace]);
        }
        if (holder.rules) {
          await kubectlOk(admin, ['apply', '--server-side', '-f', '-'], JSON.stringify({
            apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: holder.user, namespace }, rules: await holder.rules(),
          }));
          await kubectlOk(admin, ['create', 'rolebinding', holder.user, `--role=${holder.user}`, `--user=${holder.user}`, '-n', namespace]);
        }
      }
      // Granted to `existing` already: the updates below add `newcomer` to it.
      expect(outcome(await fence(admin, namespace, { access: { admins: [existing], editors: [existing], viewers: [existing] } }, 'existing'))).to.equal('allowed');
    });

    after(async function () {
      await kubectlOk(admin, ['delete', 'namespace', namespace, '--wait=false']);
    });

    it('lets every one of them write a ringfence that grants nothing new', async function () {
      for (const holder of holders) {
        await eventually(async () => expect(outcome(await fence(holder.kubeconfig!, namespace, {}, 'fresh', '--dry-run=server')), holder.holds).to.equal('allowed'));
      }
    });

    for (const holder of holders) {
      for (const field of FIELDS) {
        const expected = holder.direct[field] ? 'allowed' : 'refused';
        it(`${holder.holds}: ${field} (${ROLES[field]}) ${expected} both ways`, async function () {
          const as = holder.kubeconfig!;
          // Until RBAC has taken the holder's bindings in and the policies are in force, the answers
          // may still change; a real disagreement stays and fails.
          await eventually(async () => {
            const direct = outcome(await kubectl(as, ['create', 'rolebinding', `palisade-${field}`, `--clusterrole=${ROLES[field]}`,
              `--user=${newcomer.name}`, '-n', namespace, '--dry-run=server']));
            expect(direct, 'kubectl create rolebinding --dry-run=server').to.equal(expected);
            const created = outcome(await fence(as, namespace, { access: { [field]: [newcomer] } }, 'fresh', '--dry-run=server'));
            expect(created, 'a new ringfence granting it').to.equal(direct);
            const updated = outcome(await fence(as, namespace, { access: { ...Object.fromEntries(FIELDS.map((f) => [f, [existing]])), [field]: [existing, newcomer] } },
              'existing', '--dry-run=server'));
            expect(updated, 'adding it to a ringfence').to.equal(direct);
          }, 30_000);
        });
      }
    }
  });

  describe('refusals and everything else', function () {
    const ns = useNamespace('escalation');

    it('lets an editor manage the ringfence, but not add subjects, and says why', async function () {
      const cluster = await sharedCluster();
      const eve = await cluster.userKubeconfig('eve', ['payments-devs']);
      await kubectlOk(admin, ['create', 'rolebinding', 'eve-edit', '--clusterrole=edit', '--user=eve', '-n', ns.name]);
      await eventually(async () => expect(outcome(await fence(eve, ns.name, {}))).to.equal('allowed'));
      const admins = { admins: [{ kind: 'User' as const, name: 'eve' }] };
      const why = `ValidatingAdmissionPolicy 'palisade-ringfence-access' with binding 'palisade-ringfence-access' denied request: spec.access: adding`
        + ` subjects makes Palisade create RoleBindings in namespace ${ns.name}, and you may not create RoleBindings there`;
      // Dry runs until the policies are in force: a real apply that got through first would persist
      // the subjects, and every later apply would then leave spec.access unchanged.
      await eventually(async () => expect((await fence(eve, ns.name, { access: admins }, 'fence', '--dry-run=server')).stderr).to.include(why));
      const refused = await fence(eve, ns.name, { access: admins });
      expect(outcome(refused), 'for real').to.equal('refused');
      expect(refused.stderr).to.include(why);

      // Bind on all three roles does not make up for it.
      await kubectlOk(admin, ['create', 'role', 'bind-all', '--verb=bind', '--resource=clusterroles', '--resource-name=admin', '--resource-name=edit',
        '--resource-name=view', '-n', ns.name]);
      await kubectlOk(admin, ['create', 'rolebinding', 'eve-bind-all', '--role=bind-all', '--user=eve', '-n', ns.name]);
      await eventually(async () => expect(await kubectlOk(eve, ['auth', 'can-i', 'bind', 'clusterroles/admin', '-n', ns.name])).to.equal('yes\n'));
      expect((await fence(eve, ns.name, { access: admins }, 'fence', '--dry-run=server')).stderr).to.include(why);
    });

    it('names the permission lacking, the one RBAC names', async function () {
      const cluster = await sharedCluster();
      const una = await cluster.userKubeconfig('una');
      const { kept, lacking } = await allButLast('view');
      await kubectlOk(admin, ['apply', '--server-side', '-f', '-'], JSON.stringify({
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'view-but-last', namespace: ns.name },
        rules: [...asRules(kept), CREATE_ROLEBINDINGS, { apiGroups: ['palisade.dev'], resources: ['namespaceringfences'], verbs: ['create', 'patch'] }],
      }));
      await kubectlOk(admin, ['create', 'rolebinding', 'una', '--role=view-but-last', '--user=una', '-n', ns.name]);
      const named = `${lacking.verb} ${lacking.resource}${lacking.group ? ` in API group ${lacking.group}` : ''}`;
      await eventually(async () => {
        const direct = await kubectl(una, ['create', 'rolebinding', 'palisade-viewers', '--clusterrole=view', '--user=newcomer', '-n', ns.name, '--dry-run=server']);
        expect(direct.stderr).to.include(`{APIGroups:["${lacking.group}"], Resources:["${lacking.resource}"], Verbs:["${lacking.verb}"]}`);
        const refused = await fence(una, ns.name, { access: { viewers: [{ kind: 'User', name: 'newcomer' }] } }, 'fence', '--dry-run=server');
        expect(refused.stderr).to.include(`spec.access.viewers: adding subjects needs bind on ClusterRole view or every permission it grants, in namespace ${ns.name},`
          + ` as creating their RoleBinding yourself would; you lack ${named}`);
      });
    });

    it('never blocks keeping or removing subjects, other edits, or the operator writing status and RoleBindings', async function () {
      const cluster = await sharedCluster();
      const everyRole = { admins: [{ kind: 'User' as const, name: 'eve' }], editors: [{ kind: 'Group' as const, name: 'devs' }], viewers: [{ kind: 'Group' as const, name: 'auditors' }] };
      const byAdmin = await fence(admin, ns.name, { access: everyRole });
      expect(byAdmin.stderr, 'a cluster admin, adding to all three roles at once').to.equal('');

      const operator = await startPalisadeOperator(cluster, ['--leader-elect=false']);
      try {
        await eventually(async () => {
          const live = JSON.parse(await kubectlOk(admin, ['get', 'namespaceringfence', 'fence', '-n', ns.name, '-o', 'json'])) as
            { metadata: { generation: number }; status?: { observedGeneration?: number; conditions?: { type: string; status: string }[] } };
          expect(live.status?.observedGeneration).to.equal(live.metadata.generation);
          expect(live.status?.conditions?.find((c) => c.type === 'Ready')?.status).to.equal('True');
        }, 30_000);
        const bindings = await kubectlOk(admin, ['get', 'rolebindings', '-n', ns.name, '-l', 'app.kubernetes.io/managed-by=palisade', '-o', 'name']);
        expect(bindings.split('\n').filter(Boolean).sort()).to.deep.equal(['palisade-admins', 'palisade-editors', 'palisade-viewers'].map((n) => `rolebinding.rbac.authorization.k8s.io/${n}`));
      } finally {
        await stopOperator(operator);
      }

      // Someone who may grant nothing, editing the ringfence the cluster admin filled.
      const nia = await cluster.userKubeconfig('nia');
      await kubectlOk(admin, ['create', 'rolebinding', 'nia', `--clusterrole=${RINGFENCE_WRITER}`, '--user=nia', '-n', ns.name]);
      await eventually(async () => expect(outcome(await fence(nia, ns.name, { mode: 'DryRun', access: everyRole })), 'access unchanged').to.equal('allowed'));
      expect(outcome(await fence(nia, ns.name, { mode: 'DryRun', access: { viewers: everyRole.viewers } })), 'admins and editors removed').to.equal('allowed');
      expect(outcome(await fence(nia, ns.name, { mode: 'DryRun', access: everyRole })), 'the removed put back').to.equal('refused');
    });
  });
});

// Two controllers over one kind. Labels are decided per namespace (several baselines may select
// one), so one controller works namespaces: it asks the plan what the labels should be, dry-runs
// the enforce level where it is not in force yet, and applies or hands the labels back. The other
// works baselines: finalizer, status, and on deletion the hand-back of its namespaces.
import { API_VERSION, GROUP, VERSION } from '../../api/crd.ts';
import type { PodSecurityBaselineStatus } from '../../api/podsecuritybaseline.ts';
import { apply, FIELD_MANAGER, needsApply } from '../../runtime/apply.ts';
import type { KubeObject, Resource } from '../../runtime/client.ts';
import type { Condition } from '../../runtime/conditions.ts';
import { controller, Trigger, type ControllerSpec, type ReconcileOutcome, type Request } from '../../runtime/controller.ts';
import type { OperatorContext } from '../../runtime/operator.ts';
import { namespaceApply, planNamespace, readState, type Drift } from './namespace-plan.ts';
import { effectivePolicy, levelLabel, modeOfLabel, selects, versionLabel, type Baseline, type LevelVersion } from './policy.ts';
import { baselineStatus } from './status.ts';
import { parseViolations, worthReporting, type NamespaceViolations } from './violations.ts';

export const baselines: Resource = { group: GROUP, version: VERSION, kind: 'PodSecurityBaseline', resource: 'podsecuritybaselines', namespaced: false };
const namespaces: Resource = { group: '', version: 'v1', kind: 'Namespace', resource: 'namespaces', namespaced: false };
const pods: Resource = { group: '', version: 'v1', kind: 'Pod', resource: 'pods', namespaced: true };

const specOrDeletionChanged = (old: KubeObject, now: KubeObject) =>
  old.metadata.generation !== now.metadata.generation || old.metadata.deletionTimestamp !== now.metadata.deletionTimestamp;

const STATUS_INTERVAL_MS = 1_000;
const INCOMPLETE_RECHECK_MS = 30_000;

/** Held until every namespace the baseline labelled has its labels handed back or decided without it. */
export const FINALIZER = 'palisade.dev/pod-security-labels';

type BaselineObject = KubeObject & Baseline & { metadata: { generation?: number; finalizers?: string[] }; status?: PodSecurityBaselineStatus & { conditions?: Condition[] } };
type NamespaceObject = KubeObject & { metadata: { labels?: Record<string, string>; annotations?: Record<string, string> } };

export function podSecurityBaselineControllers({ client, namespace: operatorNamespace, manager, events }: OperatorContext): ControllerSpec[] {
  const baselineCache = manager.informer<BaselineObject>(baselines);
  const namespaceCache = manager.informer<NamespaceObject>(namespaces);
  const podCache = manager.informer(pods, { metadataOnly: true });
  // What the last dry run found and the last labelling failure, per namespace: facts the
  // baselines' status reports, re-derived by the next pass after a restart.
  const violations = new Map<string, NamespaceViolations>();
  const failures = new Map<string, string>();
  const statusChanged = new Trigger();
  const statusWrittenAt = new Map<string, number>();

  const active = () => baselineCache.list().filter((b) => !b.metadata.deletionTimestamp);
  const selecting = (ns: NamespaceObject) => active().filter((b) => selects(b, ns, operatorNamespace));
  const remember = <T>(facts: Map<string, T>, ns: NamespaceObject, value: T | undefined) => {
    if (JSON.stringify(facts.get(ns.metadata.name)) === JSON.stringify(value)) return;
    if (value === undefined) facts.delete(ns.metadata.name);
    else facts.set(ns.metadata.name, value);
    for (const b of baselineCache.list()) if (selects(b, ns, operatorNamespace)) statusChanged.fire({ name: b.metadata.name });
  };

  /** Which pods the enforce level would reject, as the API server's own admission says on a dry run. */
  async function dryRunEnforce(name: string, enforce: LevelVersion): Promise<NamespaceViolations> {
    const { warnings } = await client.exchange('patch-dry-run', namespaces, 'PATCH', client.path(namespaces, undefined, name), {
      query: { dryRun: 'All', fieldManager: FIELD_MANAGER },
      body: { metadata: { labels: { [levelLabel('enforce')]: enforce.level, [versionLabel('enforce')]: enforce.version } } },
      contentType: 'application/merge-patch+json',
    });
    return parseViolations(warnings);
  }

  async function reportDrift(drift: Drift[], ns: string, policy: ReturnType<typeof effectivePolicy>) {
    for (const { label, applied, found } of drift) {
      const mode = modeOfLabel(label);
      const owner = policy && mode && baselineCache.get(policy.modes[mode].baseline);
      if (owner) {
        await events.record(owner, 'Warning', 'DriftReverted', 'Label',
          `namespace ${ns}: ${label} was ${found === undefined ? 'removed' : `set to "${found}"`} outside Palisade; put back to "${applied}"`);
      }
    }
  }

  /** Brings one namespace's labels to what the active baselines decide; shared by both controllers. */
  async function syncNamespace(name: string): Promise<void> {
    const ns = namespaceCache.get(name);
    if (!ns || ns.metadata.deletionTimestamp) {
      violations.delete(name);
      failures.delete(name);
      return;
    }
    try {
      const policy = effectivePolicy(selecting(ns));
      let plan = planNamespace(ns, policy);
      let found: NamespaceViolations | undefined;
      if (plan.action === 'check') {
        found = await dryRunEnforce(name, plan.enforce);
        plan = planNamespace(ns, policy, found);
      }
      // Reported: what the dry run found; once enforced (Immediate enforces over violators, which
      // run on), the last finding for as long as a pod it names is still there.
      const previous = violations.get(name);
      const stillThere = previous?.pods.some((pod) => podCache.get(pod.name, name)) ? previous : undefined;
      remember(violations, ns, plan.action === 'apply' ? worthReporting(found ?? stillThere) : undefined);
      if (plan.action === 'release') {
        await client.request('patch', namespaces, 'PATCH', client.path(namespaces, undefined, name), {
          query: { fieldManager: FIELD_MANAGER }, body: plan.patch, contentType: 'application/json-patch+json',
        });
      } else if (plan.action === 'apply') {
        const desired = namespaceApply(name, plan);
        // Force: the six labels are ours to set wherever a baseline selects the namespace; what
        // was there before is kept in the state annotation and handed back on release.
        if (needsApply(desired, ns)) {
          await apply(client, namespaces, desired, { force: true });
          await reportDrift(plan.drift, name, policy);
        }
      }
      remember(failures, ns, undefined);
    } catch (error) {
      remember(failures, ns, error instanceof Error ? error.message : String(error));
      throw error;
    }
  }

  async function reconcileBaseline({ name }: Request): Promise<ReconcileOutcome> {
    const baseline = baselineCache.get(name);
    if (!baseline) {
      statusWrittenAt.delete(name);
      return;
    }
    const identity = { apiVersion: API_VERSION, kind: 'PodSecurityBaseline', metadata: { name } };
    if (baseline.metadata.deletionTimestamp) {
      if (!baseline.metadata.finalizers?.includes(FINALIZER)) return;
      // Every namespace it may have labelled is decided again without it; only then may it go.
      const touched = namespaceCache.list().filter((ns) => readState(ns) || selects(baseline, ns, operatorNamespace));
      for (const ns of touched) await syncNamespace(ns.metadata.name);
      await apply(client, baselines, identity);
      return;
    }
    const withFinalizer = { ...identity, metadata: { name, finalizers: [FINALIZER] } };
    if (needsApply(withFinalizer, baseline)) await apply(client, baselines, withFinalizer);
    const status = baselineStatus(baseline, {
      namespaces: namespaceCache.list(), baselines: active(), operatorNamespace, violations, failures,
    });
    const desired = { ...identity, status };
    if (!needsApply(desired, baseline, { subresource: 'status' })) return;
    // While hundreds of namespaces get labelled, counts change with each: write them at most once a second.
    const wait = (statusWrittenAt.get(name) ?? -Infinity) + STATUS_INTERVAL_MS - performance.now();
    if (wait > 0) return { requeueAfterMs: wait };
    await apply(client, baselines, desired, { subresource: 'status', force: true });
    statusWrittenAt.set(name, performance.now());
  }

  const namespaceController = controller('podsecuritybaseline-namespaces')
    .for(namespaces)
    // A baseline's spec change or deletion may concern every namespace it selects, and every one
    // it labelled before; its status writes concern none.
    .watches(baselines, (baseline, event) => (event.type === 'update' && !specOrDeletionChanged(event.old, baseline) ? [] : namespaceCache.list()
      .filter((ns) => readState(ns) || selects(baseline as BaselineObject, ns, operatorNamespace))
      .map((ns) => ({ name: ns.metadata.name }))))
    // Where enforcement waits for violating pods, a pod leaving (or changing) may be what it waits for.
    // A pod going (or coming) is what can change the verdict; its status updates are not.
    .watches(pods, (pod, event) => (event.type !== 'update' && violations.has(pod.metadata.namespace ?? '') ? [{ name: pod.metadata.namespace! }] : []),
      { metadataOnly: true })
    .reconcile(async ({ name }) => {
      await syncNamespace(name);
      // A check the server could not finish (too many pods, no time) proves nothing: try again later.
      return violations.get(name)?.complete === false ? { requeueAfterMs: INCOMPLETE_RECHECK_MS } : undefined;
    });

  const baselineController = controller('podsecuritybaseline')
    .for(baselines)
    // Statuses count namespaces: any namespace change may change any baseline's counts.
    .watches(namespaces, () => baselineCache.list().map((b) => ({ name: b.metadata.name })))
    .triggeredBy(statusChanged)
    .reconcile(reconcileBaseline);

  return [namespaceController, baselineController];
}

// Two controllers over one kind. Labels are decided per namespace (several baselines may select
// one), so one controller works namespaces: it asks the plan what the labels should be, dry-runs
// the enforce level where it is not in force yet, and applies or hands the labels back. The other
// works baselines: finalizer, status, and on deletion the hand-back of its namespaces.
import { baselines } from '../../api/resources.ts';
import type { PodSecurityBaselineStatus } from '../../api/podsecuritybaseline.ts';
import { NAMESPACE_METADATA, namespaces, pods } from '../../kubernetes/resources.ts';
import { FIELD_MANAGER } from '../../runtime/apply.ts';
import type { KubeObject } from '../../runtime/client.ts';
import type { Condition } from '../../runtime/conditions.ts';
import { controller, Trigger, type ControllerSpec, type ReconcileOutcome, type Request } from '../../runtime/controller.ts';
import type { OperatorContext } from '../../runtime/operator.ts';
import { PacerPerObject } from '../../runtime/pacer.ts';
import { decideBaseline, decideNamespace, FINALIZER, releaseBaseline } from './decide.ts';
import { NamespaceFindings } from './findings.ts';
import { planNamespace, readState } from './namespace-plan.ts';
import { effectivePolicy, levelLabel, selects, versionLabel, type Baseline, type LevelVersion } from '../../podsecurity/namespace-policy.ts';
import { parseViolations, worthReporting, type NamespaceViolations } from './violations.ts';
import { errorMessage } from '../../runtime/errors.ts';

const specOrDeletionChanged = (old: KubeObject, now: KubeObject) =>
  old.metadata.generation !== now.metadata.generation || old.metadata.deletionTimestamp !== now.metadata.deletionTimestamp;

const INCOMPLETE_RECHECK_MS = 30_000;
// A baseline's reconcile reads every namespace; while a rollout labels thousands, one a second
// (its status is written at most once a second anyway) instead of one per namespace event.
const STATUS_COALESCE_MS = 1_000;
// And however many namespaces there are, each baseline's passes take at most 1 % of a core
// (Pacer): about 30 ms over 20,000 namespaces, so a status every 3 s there, where a rollout takes
// a minute; and never more than 10 s apart.
const STATUS_PASS_SHARE = 0.01;
const STATUS_PASS_MAX_WAIT_MS = 10_000;

type BaselineObject = KubeObject & Baseline & { metadata: { generation?: number; finalizers?: string[] }; status?: PodSecurityBaselineStatus & { conditions?: Condition[] } };
type NamespaceObject = KubeObject & { metadata: { labels?: Record<string, string>; annotations?: Record<string, string> } };

export function podSecurityBaselineControllers({ client, namespace: operatorNamespace, manager, effects, clock }: OperatorContext): ControllerSpec[] {
  const baselineCache = manager.informer<BaselineObject>(baselines);
  const namespaceCache = manager.informer<NamespaceObject>(namespaces, NAMESPACE_METADATA);
  const podCache = manager.informer(pods, { metadataOnly: true });
  const statusChanged = new Trigger();
  const tellBaselines = (name: string) => {
    const ns = namespaceCache.get(name);
    for (const b of baselineCache.list()) if (ns && selects(b, ns, operatorNamespace)) statusChanged.fire({ name: b.metadata.name });
  };
  const findings = new NamespaceFindings(tellBaselines);
  const statusWrittenAt = new Map<string, Date>();
  const statusPasses = new PacerPerObject(STATUS_PASS_SHARE, STATUS_PASS_MAX_WAIT_MS);

  const active = () => baselineCache.list().filter((b) => !b.metadata.deletionTimestamp);

  /** Which pods the enforce level would reject, as the API server's own admission says on a dry run. */
  async function dryRunEnforce(name: string, enforce: LevelVersion): Promise<NamespaceViolations> {
    const { warnings } = await client.exchangePatch(namespaces, { name },
      { metadata: { labels: { [levelLabel('enforce')]: enforce.level, [versionLabel('enforce')]: enforce.version } } },
      { type: 'merge', verb: 'patch-dry-run', dryRun: true, fieldManager: FIELD_MANAGER });
    return parseViolations(warnings, enforce);
  }

  /**
   * Reported: what the dry run found; once enforced (Immediate enforces over violators), the last
   * finding while a pod it names is there: this process's, else the one a baseline's status records
   * (after a restart no dry run is made where enforce is in force already).
   */
  function violationsToReport(name: string, action: string, found: NamespaceViolations | undefined) {
    const previous = findings.violations.get(name) ?? recordedViolations(name);
    const stillThere = previous?.pods.some((pod) => podCache.get(pod.name, name)) ? previous : undefined;
    return action === 'apply' ? worthReporting(found ?? stillThere) : undefined;
  }

  function recordedViolations(namespace: string): NamespaceViolations | undefined {
    const recorded = baselineCache.list().flatMap((b) => b.status?.violations ?? []).find((v) => v.namespace === namespace);
    return recorded && { total: recorded.total, pods: recorded.pods, complete: true };
  }

  /** Brings one namespace's labels to what the active baselines decide; shared by both controllers. */
  async function syncNamespace(name: string): Promise<void> {
    const ns = namespaceCache.get(name);
    if (!ns || ns.metadata.deletionTimestamp) return findings.forget(name);
    try {
      const policy = effectivePolicy(active().filter((b) => selects(b, ns, operatorNamespace)));
      let plan = planNamespace(ns, policy);
      let found: NamespaceViolations | undefined;
      if (plan.action === 'check') {
        found = await dryRunEnforce(name, plan.enforce);
        plan = planNamespace(ns, policy, found);
      }
      const violations = violationsToReport(name, plan.action, found);
      // The baselines counting this namespace hear of the labels written from the apply's answer (Informer.assume).
      await effects.run((failures) => decideNamespace(name, plan, policy, (baseline) => baselineCache.get(baseline), failures));
      findings.record(name, { violations });
    } catch (error) {
      findings.record(name, { violations: findings.violations.get(name), failure: errorMessage(error) });
      throw error;
    }
  }

  async function reconcileBaseline({ name }: Request): Promise<ReconcileOutcome> {
    const baseline = baselineCache.get(name);
    if (!baseline) {
      statusWrittenAt.delete(name);
      statusPasses.forget(name);
      return undefined;
    }
    if (baseline.metadata.deletionTimestamp) {
      if (!baseline.metadata.finalizers?.includes(FINALIZER)) return undefined;
      // Every namespace it may have labelled is decided again without it; only then may it go.
      const touched = namespaceCache.list().filter((ns) => readState(ns) || selects(baseline, ns, operatorNamespace));
      for (const ns of touched) await syncNamespace(ns.metadata.name);
      return effects.run(() => releaseBaseline(name));
    }
    const now = clock();
    // The namespace controller tells us when each namespace has been looked at (findings).
    const pass = statusPasses.of(baseline.metadata).runWhenDue(() => decideBaseline({
      baseline, namespaces: namespaceCache.list(), baselines: active(), operatorNamespace,
      violations: findings.violations, failures: findings.failures, now, statusWrittenAt: statusWrittenAt.get(name),
      hasObserved: (namespace) => findings.hasObserved(namespace),
    }));
    if (!pass.ran) return { requeueAfterMs: pass.waitMs };
    const outcome = await effects.run(() => pass.value);
    if (pass.value.status) statusWrittenAt.set(name, now);
    return outcome;
  }

  const namespaceController = controller('podsecuritybaseline-namespaces')
    .for(namespaces, NAMESPACE_METADATA)
    // A baseline's spec change or deletion may concern every namespace it selects, and every one
    // it labelled before; its status writes concern none.
    .watches(baselines, (baseline, event) => (event.type === 'update' && !specOrDeletionChanged(event.old, baseline) ? [] : namespaceCache.list()
      .filter((ns) => readState(ns) || selects(baseline as BaselineObject, ns, operatorNamespace))
      .map((ns) => ({ name: ns.metadata.name }))))
    // Where enforcement waits for violating pods, a pod going (or coming) is what can change the
    // verdict; its status updates are not.
    .watches(pods, (pod, event) => (event.type !== 'update' && findings.violations.has(pod.metadata.namespace ?? '') ? [{ name: pod.metadata.namespace! }] : []),
      { metadataOnly: true })
    .reconcile(async ({ name }) => {
      await syncNamespace(name);
      // A check the server could not finish (too many pods, no time) proves nothing: try again later.
      return findings.violations.get(name)?.complete === false ? { requeueAfterMs: INCOMPLETE_RECHECK_MS } : undefined;
    });

  const baselineController = controller('podsecuritybaseline')
    .for(baselines).reportsReady()
    // Statuses count namespaces: any namespace change may change any baseline's counts.
    .watches(namespaces, () => baselineCache.list().map((b) => ({ name: b.metadata.name })), NAMESPACE_METADATA, STATUS_COALESCE_MS)
    .triggeredBy(statusChanged, STATUS_COALESCE_MS)
    .reconcile(reconcileBaseline);

  return [namespaceController, baselineController];
}

// Least privilege, both ways: every e2e test that runs Palisade's operator runs it as its
// ServiceAccount with exactly config/rbac (a missing permission fails that test), and the
// apiservers' audit logs of that user show which rules were needed (an unneeded one fails the
// check that runs after all tests: test/e2e/least-privilege.after-all.ts).
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { load, loadAll } from 'js-yaml';
import type { AuditEvent, ControlPlane } from '../../harness/control-plane/control-plane.ts';
import { eventually } from './eventually.ts';
import { kubectl, kubectlOk } from '../../harness/kubectl.ts';
import { startOperator, type OperatorProcess } from '../../harness/operator.ts';

export const OPERATOR_USER = 'system:serviceaccount:palisade-system:palisade-operator';
const OPERATOR_GROUPS = ['system:serviceaccounts', 'system:serviceaccounts:palisade-system'];
const RBAC_DIR = new URL('../../config/rbac', import.meta.url).pathname;
/** Installed only where asked for: what a cluster without storagemigration.k8s.io/v1 needs. */
export const LEGACY_MIGRATION_RBAC = `${RBAC_DIR}/legacy-migration`;

const CLI = new URL('../../src/cli/main.ts', import.meta.url).pathname;

/** `palisade operator` on `plane` as the Deployment runs it: its ServiceAccount, in palisade-system. */
export async function startPalisadeOperator(plane: ControlPlane, args: string[]): Promise<OperatorProcess> {
  return startOperator(CLI, await operatorKubeconfig(plane), args, ['operator'], [], { POD_NAMESPACE: 'palisade-system' });
}

const kubeconfigs = new WeakMap<ControlPlane, Promise<string>>();

/**
 * A kubeconfig for the operator's ServiceAccount on `plane`, after installing config/rbac and the
 * namespaces it refers to. A client certificate in the ServiceAccount's name: RBAC sees the same
 * user and groups as a token would give.
 */
export function operatorKubeconfig(plane: ControlPlane): Promise<string> {
  let kubeconfig = kubeconfigs.get(plane);
  if (!kubeconfig) {
    kubeconfig = (async () => {
      for (const name of ['palisade-system', 'palisade-keys']) {
        await kubectlOk(plane.kubeconfig, ['apply', '--server-side', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
      }
      await kubectlOk(plane.kubeconfig, ['apply', '--server-side', '-k', RBAC_DIR]);
      const kubeconfig = await plane.userKubeconfig(OPERATOR_USER, OPERATOR_GROUPS);
      // RBAC takes effect when the authorizer's cache has the new bindings: until then the
      // operator's first requests would be refused (and the final check would say so).
      for (const question of [['bind', 'clusterroles/admin'], ['update', 'leases', '-n', 'palisade-system'], ['create', 'jobs', '-n', 'palisade-keys']]) {
        await eventually(async () => expect((await kubectl(kubeconfig, ['auth', 'can-i', ...question])).stdout.trim(), question.join(' ')).to.equal('yes'));
      }
      return kubeconfig;
    })();
    kubeconfigs.set(plane, kubeconfig);
  }
  return kubeconfig;
}

const kept: AuditEvent[] = [];

/** Keeps the operator's requests on `plane` for the final check; call it before stopping a plane. */
export async function keepOperatorRequests(plane: ControlPlane): Promise<void> {
  kept.push(...(await plane.auditEvents()).filter((event) => event.user.username === OPERATOR_USER));
}

export function keptOperatorRequests(): readonly AuditEvent[] {
  return kept;
}

/** One thing a rule lets the operator do: a verb on a resource (or URL), in a namespace or everywhere. */
export interface Grant {
  /** The Role's namespace; undefined for a ClusterRole bound cluster-wide. */
  namespace?: string;
  apiGroup: string;
  resource: string;
  verb: string;
  resourceName?: string;
  nonResourceURL?: string;
}

interface Rule { apiGroups?: string[]; resources?: string[]; verbs: string[]; resourceNames?: string[]; nonResourceURLs?: string[] }
interface RbacObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Rule[];
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

/**
 * Every grant config/rbac's bindings give the operator, one per verb, resource, name and
 * namespace; with `optional`, those of the optional kustomizations too.
 */
export function operatorGrants({ optional = false } = {}): Grant[] {
  const objects = [RBAC_DIR, ...(optional ? [LEGACY_MIGRATION_RBAC] : [])].flatMap((dir) => {
    const { resources } = load(readFileSync(`${dir}/kustomization.yaml`, 'utf8')) as { resources: string[] };
    return resources.flatMap((file) => loadAll(readFileSync(`${dir}/${file}`, 'utf8')) as RbacObject[]);
  });
  const isOperator = (binding: RbacObject) => binding.subjects?.some((s) =>
    (s.kind === 'ServiceAccount' && `system:serviceaccount:${s.namespace}:${s.name}` === OPERATOR_USER)
    || (s.kind === 'User' && s.name === OPERATOR_USER) || (s.kind === 'Group' && OPERATOR_GROUPS.includes(s.name)));
  return objects.filter((o) => o.kind.endsWith('Binding') && isOperator(o)).flatMap((binding) => {
    const role = objects.find((o) => o.kind === binding.roleRef!.kind && o.metadata.name === binding.roleRef!.name
      && o.metadata.namespace === (binding.roleRef!.kind === 'Role' ? binding.metadata.namespace : undefined));
    if (!role) throw new Error(`${binding.kind} ${binding.metadata.name} refers to ${binding.roleRef!.kind} ${binding.roleRef!.name}, not in config/rbac`);
    const namespace = binding.kind === 'RoleBinding' ? binding.metadata.namespace : undefined;
    return (role.rules ?? []).flatMap((rule) => expand(rule, namespace));
  });
}

function expand(rule: Rule, namespace: string | undefined): Grant[] {
  if (rule.nonResourceURLs) return rule.nonResourceURLs.flatMap((url) => rule.verbs.map((verb) => ({ apiGroup: '', resource: '', verb, nonResourceURL: url })));
  const names = rule.resourceNames?.length ? rule.resourceNames : [undefined];
  return (rule.apiGroups ?? []).flatMap((apiGroup) => (rule.resources ?? []).flatMap((resource) => rule.verbs.flatMap((verb) =>
    names.map((resourceName) => ({ namespace, apiGroup, resource, verb, ...(resourceName === undefined ? {} : { resourceName }) })))));
}

/** Whether an allowed request needed `grant`: its verb on its object, where the grant applies. */
export function needs(event: AuditEvent, grant: Grant): boolean {
  if (event.annotations?.['authorization.k8s.io/decision'] !== 'allow') return false;
  const ref = event.objectRef;
  if (grant.nonResourceURL !== undefined) return !ref && event.verb === grant.verb && event.requestURI.split('?')[0] === grant.nonResourceURL;
  if (!ref?.resource) return false;
  if (grant.namespace !== undefined && ref.namespace !== grant.namespace) return false;
  if (grant.verb === 'bind') return bound(event, grant);
  const resource = ref.subresource ? `${ref.resource}/${ref.subresource}` : ref.resource;
  return (ref.apiGroup ?? '') === grant.apiGroup && resource === grant.resource
    && (grant.resourceName === undefined || ref.name === grant.resourceName)
    && (event.verb === grant.verb || createdByApply(event, grant));
}

/** A server-side apply that created its object was authorized for create as well as patch. */
function createdByApply(event: AuditEvent, grant: Grant): boolean {
  return grant.verb === 'create' && event.verb === 'patch' && event.responseStatus?.code === 201;
}

/** Writing a RoleBinding to a ClusterRole the writer does not hold needs bind on that ClusterRole. */
function bound(event: AuditEvent, grant: Grant): boolean {
  const { roleRef } = event.responseObject ?? {};
  return grant.apiGroup === 'rbac.authorization.k8s.io' && grant.resource === 'clusterroles'
    && event.objectRef?.apiGroup === 'rbac.authorization.k8s.io' && event.objectRef.resource === 'rolebindings'
    && ['create', 'patch', 'update'].includes(event.verb) && (event.responseStatus?.code ?? 500) < 300
    && roleRef?.kind === 'ClusterRole' && (grant.resourceName === undefined || roleRef.name === grant.resourceName);
}

/** The grants no request needed, in words. */
export function unneededGrants(grants: Grant[], events: readonly AuditEvent[]): string[] {
  return grants.filter((grant) => !events.some((event) => needs(event, grant))).map(describe);
}

/**
 * The API server's 403 to creating an object of a CRD being deleted: no permission would let it,
 * and a controller re-creating what the CRD's deletion removes meets it (the ClusterRingfence test
 * that removes the ClusterNetworkPolicy CRDs).
 */
const CRD_TERMINATING = 'create not allowed while custom resource definition is terminating';

/**
 * The requests refused as forbidden, in words: by RBAC, and also after it (the escalation check
 * on a RoleBinding, admission such as Pod Security), which answer 403 to an authorized request.
 */
export function forbiddenRequests(events: readonly AuditEvent[]): string[] {
  return events.filter((event) => event.annotations?.['authorization.k8s.io/decision'] === 'forbid'
    || (event.responseStatus?.code === 403 && !event.responseStatus.message?.includes(CRD_TERMINATING)))
    .map((event) => `${event.verb} ${event.requestURI}`);
}

/** Grants another grant already gives (same verb on the same resource, there or everywhere, by name or any). */
export function redundantGrants(grants: Grant[]): string[] {
  const covers = (wide: Grant, narrow: Grant) => wide !== narrow && wide.verb === narrow.verb && wide.apiGroup === narrow.apiGroup
    && wide.resource === narrow.resource && wide.nonResourceURL === narrow.nonResourceURL
    && (wide.namespace === undefined || wide.namespace === narrow.namespace)
    && (wide.resourceName === undefined || wide.resourceName === narrow.resourceName);
  return grants.filter((grant) => grants.some((other) => covers(other, grant) && (!covers(grant, other) || grants.indexOf(other) < grants.indexOf(grant)))).map(describe);
}

function describe(grant: Grant): string {
  const what = grant.nonResourceURL ?? `${grant.apiGroup || 'core'}/${grant.resource}${grant.resourceName ? `/${grant.resourceName}` : ''}`;
  return `${grant.verb} ${what}${grant.namespace ? ` in ${grant.namespace}` : ''}`;
}

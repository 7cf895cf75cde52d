// Every rule `palisade scan` can report, with its severity and why it matters: the SARIF rules
// and the text a reader acts on. Pod Security rules carry the admission check IDs verbatim.
import { CHECKS } from '../podsecurity/index.ts';
import type { Rule, Severity } from './types.ts';

const PSS_URI = 'https://kubernetes.io/docs/concepts/security/pod-security-standards/';

/** What each Pod Security check forbids, and why. */
const PSS_HELP: Record<string, [title: string, help: string]> = {
  appArmorProfile: ['AppArmor profile overridden', 'An unconfined or unknown AppArmor profile removes the kernel confinement the runtime default gives; use RuntimeDefault or a Localhost profile.'],
  capabilities_baseline: ['Capabilities added beyond the default set', 'Capabilities such as SYS_ADMIN or NET_RAW let a container act on the node; add only those in the baseline list.'],
  capabilities_restricted: ['Capabilities not dropped', 'Restricted pods drop ALL capabilities and may add back only NET_BIND_SERVICE.'],
  hostNamespaces: ['Host namespaces shared', 'hostNetwork, hostPID or hostIPC let a container see and reach the node\'s processes and network.'],
  hostPathVolumes: ['hostPath volume', 'A hostPath volume exposes the node\'s filesystem; use a PersistentVolumeClaim, a ConfigMap or an emptyDir.'],
  hostPorts: ['Host port', 'A hostPort binds the node\'s own address, bypassing Services and NetworkPolicies on many networks.'],
  hostProbesAndHostLifecycle: ['Probe or lifecycle handler with a host', 'A probe or lifecycle handler that names a host makes the kubelet connect anywhere on the pod\'s behalf.'],
  privileged: ['Privileged container', 'A privileged container has every capability and every device of the node: it is root on the node.'],
  procMount: ['Unmasked /proc', 'An Unmasked procMount exposes the node\'s /proc paths the runtime hides.'],
  procMount_restricted: ['Unmasked /proc', 'An Unmasked procMount exposes the node\'s /proc paths the runtime hides.'],
  seLinuxOptions: ['SELinux type or user overridden', 'Custom SELinux users, roles or types can lift the container out of its SELinux confinement.'],
  seccompProfile_baseline: ['Seccomp disabled', 'An Unconfined seccomp profile lets the container make every system call.'],
  seccompProfile_restricted: ['Seccomp profile not set', 'Restricted pods set seccompProfile to RuntimeDefault or Localhost.'],
  sysctls: ['Unsafe sysctl', 'Sysctls outside the safe set change kernel settings that other pods on the node share.'],
  windowsHostProcess: ['Windows HostProcess container', 'A HostProcess container runs as a process on the Windows node, with its full access.'],
  allowPrivilegeEscalation: ['Privilege escalation allowed', 'Restricted containers set allowPrivilegeEscalation: false so that setuid binaries cannot gain privileges.'],
  restrictedVolumes: ['Volume type not allowed', 'Restricted pods use only configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected and secret volumes.'],
  runAsNonRoot: ['May run as root', 'Restricted pods set runAsNonRoot: true, so that the kubelet refuses an image that runs as root.'],
  runAsUser: ['Runs as UID 0', 'Restricted pods must not set runAsUser: 0.'],
};

const pssRule = (id: string): Rule => {
  const [title, help] = PSS_HELP[id] ?? [id, 'A Pod Security Standards check.'];
  return { id: `pss/${id}`, severity: 'error', title, help, helpUri: PSS_URI };
};

const rule = (name: string, severity: Severity, title: string, help: string, helpUri: string): Rule =>
  ({ id: `palisade/${name}`, severity, title, help, helpUri });

const GOOD_PRACTICES = 'https://kubernetes.io/docs/concepts/security/';
const RBAC_PRACTICES = 'https://kubernetes.io/docs/concepts/security/rbac-good-practices/';
const NETWORK_POLICIES = 'https://kubernetes.io/docs/concepts/services-networking/network-policies/';

export const PALISADE_RULES = {
  podNotSelected: rule('pod-without-network-policy', 'warning', 'No NetworkPolicy selects these pods',
    'Pods that no NetworkPolicy selects accept traffic from every pod in the cluster; fence the namespace in (a NamespaceRingfence) or select them.', NETWORK_POLICIES),
  noDefaultDeny: rule('namespace-without-default-deny', 'warning', 'Namespace without a default-deny NetworkPolicy',
    'Without a policy that selects every pod for ingress, a new workload is open to the whole cluster until someone writes one; a NamespaceRingfence writes it.', NETWORK_POLICIES),
  noEnforceLabel: rule('namespace-without-enforce-label', 'warning', 'Namespace without a Pod Security enforce level',
    'Without pod-security.kubernetes.io/enforce the API server admits any pod, privileged ones too; label it or select it with a PodSecurityBaseline.', PSS_URI),
  runtimeSocket: rule('runtime-socket-mount', 'error', 'Container runtime socket mounted',
    'The runtime\'s socket (containerd, CRI-O, Docker) lets whoever holds it start privileged containers on the node.', `${GOOD_PRACTICES}pod-security-standards/`),
  imageLatest: rule('image-latest-tag', 'warning', 'Image without a tag or with :latest',
    'A moving tag means a restart can run different code than was reviewed; pin a version, better a digest.', 'https://kubernetes.io/docs/concepts/containers/images/#image-names'),
  imageDigest: rule('image-without-digest', 'warning', 'Image not pinned by digest',
    'A tag can be pushed again; only a digest (@sha256:...) names exactly the image that was reviewed and scanned.', 'https://kubernetes.io/docs/concepts/containers/images/#image-names'),
  secretInEnv: rule('secret-in-env', 'warning', 'Secret exposed as an environment variable',
    'Environment variables leak into logs, crash dumps and child processes; mount the Secret as a file instead.', 'https://kubernetes.io/docs/concepts/security/secrets-good-practices/'),
  tokenAutomount: rule('service-account-token-automounted', 'warning', 'ServiceAccount token mounted automatically',
    'A pod that does not call the API server should not carry a token for it; set automountServiceAccountToken: false.', 'https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting'),
  missingLimits: rule('missing-resource-limits', 'warning', 'Container without CPU or memory limits',
    'A container without limits can starve its neighbours on the node; set resources.limits.cpu and resources.limits.memory.', 'https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/'),
  writableRoot: rule('writable-root-filesystem', 'warning', 'Root filesystem writable',
    'A read-only root filesystem stops an intruder from changing the container\'s binaries; set readOnlyRootFilesystem: true and mount an emptyDir where it writes.', GOOD_PRACTICES),
  exposedService: rule('service-exposed-on-nodes', 'warning', 'Service of type NodePort or LoadBalancer',
    'A NodePort or LoadBalancer Service opens the workload on every node, or to the internet, outside any Ingress or gateway.', 'https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types'),
  clusterAdmin: rule('rbac-cluster-admin-binding', 'error', 'Binding to cluster-admin',
    'cluster-admin can do anything anywhere; bind a role with only the verbs and resources the subject needs.', RBAC_PRACTICES),
  wildcard: rule('rbac-wildcard', 'error', 'Wildcard verb or resource in a role',
    'A * grants every verb or resource, including those added later; list them.', RBAC_PRACTICES),
  podsExec: rule('rbac-pods-exec', 'warning', 'Role grants exec or attach into pods, or nodes/proxy',
    'pods/exec and pods/attach run commands in any pod in scope, with its ServiceAccount and Secrets; nodes/proxy reaches the kubelet\'s API, and every pod of the node.', RBAC_PRACTICES),
  secretsRead: rule('rbac-secrets-read', 'warning', 'Role reads Secrets',
    'get, list or watch on secrets reads every Secret in scope, ServiceAccount tokens included.', RBAC_PRACTICES),
  escalation: rule('rbac-escalation-verbs', 'error', 'Role grants escalate, bind or impersonate',
    'escalate, bind and impersonate let the holder give itself, or act with, permissions it does not have.', RBAC_PRACTICES),
  broadSubject: rule('rbac-broad-subject', 'error', 'Binding to anonymous or every authenticated user',
    'system:anonymous, system:unauthenticated and system:authenticated are everyone, or everyone with any credential; system:serviceaccounts is every pod\'s token.', RBAC_PRACTICES),
  invalidIgnore: rule('invalid-scan-ignore', 'error', 'palisade.dev/scan-ignore entry without a reason or with an unknown rule',
    'Every suppression says why, in the manifest, so that a reviewer can judge it: "pss/hostPorts=<reason>; ...".', 'https://github.com/palisade-dev/palisade#scanning-manifests-palisade-scan'),
} as const satisfies Record<string, Rule>;

export const RULES: readonly Rule[] = [...CHECKS.map(({ id }) => pssRule(id)), ...Object.values(PALISADE_RULES)];

const byId = new Map(RULES.map((known) => [known.id, known]));

export const ruleById = (id: string): Rule | undefined => byId.get(id);

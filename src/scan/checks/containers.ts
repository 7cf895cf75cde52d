// What each container of a pod template does that the anchors (kube-score, Polaris, Trivy) flag
// beyond Pod Security: moving images, Secrets in the environment, no limits, a writable root, the
// runtime's socket, and a ServiceAccount token the pod may not need.
import { posix } from 'node:path';
import type { FieldPath } from '../../api/manifest-lines.ts';
import { podTemplate, type PodTemplate } from '../../kubernetes/manifest-objects.ts';
import { PALISADE_RULES as R } from '../rules.ts';
import type { Check, Issue } from './check.ts';

interface ContainerView {
  name?: string | null;
  image?: string | null;
  env?: { name?: string; valueFrom?: { secretKeyRef?: { name?: string } | null } | null }[] | null;
  envFrom?: { secretRef?: { name?: string } | null }[] | null;
  resources?: { limits?: Record<string, unknown> | null } | null;
  securityContext?: { readOnlyRootFilesystem?: boolean | null } | null;
}

/** Where the container runtimes keep their sockets, and Docker its state: a volume of any of them, or of a directory above one, hands over the node. */
const RUNTIME_PATHS = [
  '/var/run/docker.sock', '/run/docker.sock', '/var/run/containerd/containerd.sock', '/run/containerd/containerd.sock',
  '/var/run/crio/crio.sock', '/run/crio/crio.sock', '/var/run/cri-dockerd.sock', '/run/k3s/containerd/containerd.sock', '/var/lib/docker',
];

function mountsRuntime(hostPath: string): boolean {
  const target = posix.normalize(hostPath).replace(/(.)\/$/, '$1');
  return RUNTIME_PATHS.some((path) => path === target || target === '/' || path.startsWith(`${target}/`));
}

/** A digest (@sha256:..., @sha512:...) pins the image; a tag does not. */
const DIGEST = /@[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-f]{32,}$/i;

/** The image's tag, or undefined when it has none (a registry's port is not a tag). */
function tagOf(image: string): string | undefined {
  const name = image.split('@')[0]!;
  const lastPart = name.slice(name.lastIndexOf('/') + 1);
  return lastPart.includes(':') ? lastPart.slice(lastPart.indexOf(':') + 1) : undefined;
}

function imageIssues(container: ContainerView, path: FieldPath, label: string): Issue[] {
  const image = container.image ?? '';
  if (image === '') return [];
  if (DIGEST.test(image)) return [];
  const tag = tagOf(image);
  const issues: Issue[] = [{ rule: R.imageDigest, message: `${label} runs ${image}, not pinned by digest`, path: [...path, 'image'] }];
  if (tag === undefined || tag === 'latest') issues.unshift({ rule: R.imageLatest, message: `${label} runs ${image}${tag ? '' : ', which means :latest'}`, path: [...path, 'image'] });
  return issues;
}

function secretEnvIssues(container: ContainerView, path: FieldPath, label: string): Issue[] {
  const fromKeys = (container.env ?? []).flatMap((variable, index) => {
    const secret = variable.valueFrom?.secretKeyRef?.name;
    return secret ? [{ rule: R.secretInEnv, message: `${label} reads Secret ${secret} into $${variable.name ?? ''}`, path: [...path, 'env', index] }] : [];
  });
  const fromSecrets = (container.envFrom ?? []).flatMap((source, index) => {
    const secret = source.secretRef?.name;
    return secret ? [{ rule: R.secretInEnv, message: `${label} reads all of Secret ${secret} into its environment`, path: [...path, 'envFrom', index] }] : [];
  });
  return [...fromKeys, ...fromSecrets];
}

function limitsIssue(container: ContainerView, path: FieldPath, label: string): Issue[] {
  const limits = container.resources?.limits ?? {};
  const missing = ['cpu', 'memory'].filter((resource) => limits[resource] === undefined || limits[resource] === null);
  return missing.length === 0 ? [] : [{ rule: R.missingLimits, message: `${label} has no ${missing.join(' or ')} limit`, path: [...path, 'resources'] }];
}

function rootIssue(container: ContainerView, path: FieldPath, label: string): Issue[] {
  return container.securityContext?.readOnlyRootFilesystem === true ? [] : [{
    rule: R.writableRoot, message: `${label} does not set securityContext.readOnlyRootFilesystem: true`, path: [...path, 'securityContext'],
  }];
}

/** Each container with its path and how a message names it; ephemeral ones come from kubectl debug, never from manifests. */
function containers(template: PodTemplate): { container: ContainerView; path: FieldPath; label: string }[] {
  const spec = template.spec as unknown as Record<string, ContainerView[] | null | undefined>;
  return (['initContainers', 'containers'] as const).flatMap((field) => (spec[field] ?? []).map((container, index) => ({
    container, path: [...template.path, 'spec', field, index], label: `${field === 'initContainers' ? 'init container' : 'container'} "${container.name ?? ''}"`,
  })));
}

function socketIssues(template: PodTemplate): Issue[] {
  return (template.spec.volumes ?? []).flatMap((volume, index) => {
    const path = (volume.hostPath as { path?: string } | undefined)?.path;
    if (typeof path !== 'string') return [];
    if (!mountsRuntime(path)) return [];
    return [{ rule: R.runtimeSocket, message: `volume "${volume.name ?? ''}" mounts ${path} from the node, where the container runtime's socket is`, path: [...template.path, 'spec', 'volumes', index] }];
  });
}

export const containerChecks: Check = (subject, context) => {
  const template = podTemplate(subject.value);
  if (!template) return undefined;
  const issues = containers(template).flatMap(({ container, path, label }) => [
    ...imageIssues(container, path, label), ...secretEnvIssues(container, path, label), ...limitsIssue(container, path, label), ...rootIssue(container, path, label),
  ]);
  // serviceAccount is the deprecated name the API server still reads when serviceAccountName is empty.
  const { automountServiceAccountToken: podAutomount, serviceAccountName: named, serviceAccount } = template.spec;
  const serviceAccountName = named || serviceAccount;
  const account = `${subject.ref.namespace ?? ''}/${serviceAccountName || 'default'}`;
  if (podAutomount !== false && (podAutomount === true || context.serviceAccountAutomount.get(account) !== false)) {
    issues.push({ rule: R.tokenAutomount, message: `the pod mounts ServiceAccount ${serviceAccountName || 'default'}'s token; set automountServiceAccountToken: false unless it calls the API server`, path: [...template.path, 'spec'] });
  }
  return {
    rules: [R.runtimeSocket, R.imageLatest, R.imageDigest, R.secretInEnv, R.missingLimits, R.writableRoot, R.tokenAutomount],
    issues: [...socketIssues(template), ...issues],
  };
};

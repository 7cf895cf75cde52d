// Where in a pod template a Pod Security failure is: admission's detail names the containers or
// volumes at fault, or the pod's own fields, and the finding is reported at the first of them
// (at its securityContext, or its ports for a host port). What the detail does not place stays
// at the pod spec.
import type { FieldPath } from '../../api/manifest-lines.ts';
import type { Failure } from '../../podsecurity/index.ts';
import type { PodTemplate } from '../../kubernetes/manifest-objects.ts';

const CONTAINER_FIELDS = ['initContainers', 'containers', 'ephemeralContainers'] as const;
const NAMED_CONTAINER = /\bcontainers? "([^"]*)"/;
const NAMED_VOLUME = /\bvolumes? "([^"]*)"/;
const HOST_NAMESPACE = /^(hostNetwork|hostPID|hostIPC)=/;
const POD_FIELD = /^pod must not set securityContext\.(\w+)/;

type Named = { name?: string | null; securityContext?: unknown };

function containerPath(template: PodTemplate, name: string, id: string): FieldPath | undefined {
  for (const field of CONTAINER_FIELDS) {
    const containers = (template.spec[field] ?? []) as Named[];
    const index = containers.findIndex((container) => (container.name ?? '') === name);
    if (index === -1) continue;
    if (id === 'hostPorts') return [field, index, 'ports'];
    return containers[index]!.securityContext ? [field, index, 'securityContext'] : [field, index];
  }
  return undefined;
}

/** The field of the pod spec (relative to it) a failure points at, or [] for the spec itself. */
function withinSpec(template: PodTemplate, { id, detail }: Failure): FieldPath {
  const volume = NAMED_VOLUME.exec(detail)?.[1];
  const index = volume === undefined ? -1 : (template.spec.volumes ?? []).findIndex((candidate) => (candidate.name ?? '') === volume);
  if (index !== -1) return ['volumes', index];
  const container = NAMED_CONTAINER.exec(detail)?.[1];
  const found = container === undefined ? undefined : containerPath(template, container, id);
  if (found) return found;
  const hostNamespace = HOST_NAMESPACE.exec(detail)?.[1];
  if (hostNamespace) return [hostNamespace];
  if (id === 'sysctls') return ['securityContext', 'sysctls'];
  const podField = POD_FIELD.exec(detail)?.[1];
  return podField ? ['securityContext', podField] : [];
}

/** The path, from the object's root, at which a failure is reported. */
export function failurePath(template: PodTemplate, failure: Failure): FieldPath {
  if (failure.detail.startsWith('annotation')) return [...template.path, 'metadata', 'annotations'];
  return [...template.path, 'spec', ...withinSpec(template, failure)];
}

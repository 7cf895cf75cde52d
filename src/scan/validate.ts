// Input a scan refuses rather than misreads, named by file, document and line: Palisade's own
// resources checked as the API server checks them (their CRD schema and CEL rules), the Pod
// Security labels admission refuses on a Namespace, and pod templates whose fields are not of the
// API's types where the checks read them.
import { API_VERSION } from '../api/crd.ts';
import { isVersion } from '../podsecurity/index.ts';
import { PSA_LABEL_PREFIX, PSA_LEVELS } from '../podsecurity/namespace-policy.ts';
import { type Subject } from './objects.ts';
import { fieldAt, isObject, podTemplate, type KubeObject, type PodTemplate } from '../kubernetes/manifest-objects.ts';
import type { PalisadeValidator } from './palisade-resources.ts';
import { InputError } from './subjects.ts';
import { refName } from './types.ts';


/** What admission's namespace label validation refuses (a level or version it cannot parse). */
function podSecurityLabelErrors(object: KubeObject): string[] {
  return Object.entries(object.metadata?.labels ?? {}).flatMap(([label, value]) => {
    if (!label.startsWith(PSA_LABEL_PREFIX)) return [];
    const valid = label.endsWith('-version') ? isVersion(String(value)) : (PSA_LEVELS as readonly string[]).includes(String(value));
    return valid ? [] : [`metadata.labels.${label}: ${JSON.stringify(value)} is not a Pod Security ${label.endsWith('-version') ? 'version (latest or v1.N)' : 'level (privileged, baseline or restricted)'}`];
  });
}

/** Lists of objects the checks walk, each at its path under the pod spec. */
const LISTS_OF_OBJECTS = ['containers', 'initContainers', 'ephemeralContainers', 'volumes'];
const CONTAINER_LISTS = ['env', 'envFrom', 'ports'];
const CONTAINER_OBJECTS = ['securityContext', 'resources'];

function podTemplateErrors(template: PodTemplate, raw: unknown): string[] {
  const at = [...template.path, 'spec'].join('.');
  if (raw !== undefined && raw !== null && !isObject(raw)) return [`${at}: must be an object`];
  const spec = template.spec as Record<string, unknown>;
  return LISTS_OF_OBJECTS.flatMap((field) => {
    const list = spec[field];
    if (list === undefined || list === null) return [];
    if (!Array.isArray(list)) return [`${at}.${field}: must be a list`];
    return list.flatMap((item: unknown, index) => {
      const where = `${at}.${field}[${index}]`;
      if (!isObject(item)) return [`${where}: must be an object`];
      if (field === 'volumes') return [];
      const container = item;
      return [
        ...CONTAINER_LISTS.filter((key) => container[key] != null && (!Array.isArray(container[key]) || !(container[key] as unknown[]).every(isObject))).map((key) => `${where}.${key}: must be a list of objects`),
        ...CONTAINER_OBJECTS.filter((key) => container[key] != null && !isObject(container[key])).map((key) => `${where}.${key}: must be an object`),
      ];
    });
  });
}


export const isPalisadeResource = (object: KubeObject) => object.apiVersion === API_VERSION;

function errorsOf(object: KubeObject, validatePalisade: PalisadeValidator | undefined): string[] {
  if (isPalisadeResource(object)) {
    if (!validatePalisade) throw new Error('scan: the input has Palisade resources: pass validatePalisadeResource');
    return validatePalisade(object);
  }
  if (object.apiVersion === 'v1' && object.kind === 'Namespace') return podSecurityLabelErrors(object);
  const template = podTemplate(object);
  return template ? podTemplateErrors(template, fieldAt(object, [...template.path, 'spec'])) : [];
}

/** Throws InputError naming every field of `subjects` a scan cannot trust, each with its object and place. */
export function assertReadable(subjects: readonly Subject[], validatePalisade: PalisadeValidator | undefined): void {
  const refusals = subjects.filter((subject) => !subject.live).flatMap((subject) => {
    const { file, document, line } = subject.location;
    return errorsOf(subject.value, validatePalisade).map((error) => `${file}: document ${document} (line ${line}): ${refName(subject.ref)} is not a valid ${subject.ref.kind}: ${error}`);
  });
  if (refusals.length > 0) throw new InputError(refusals.join('\n'));
}

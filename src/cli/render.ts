// `palisade render -f FILE|DIR`: the objects the given NamespaceRingfences and ClusterRingfences
// would produce, offline, by the controllers' own render code. Every Palisade resource in the files
// is first checked as the API server would check it (src/api/validate.ts), read as kubectl reads
// YAML, so that what render accepts is what `kubectl apply` would. A ClusterRingfence's tenants are
// the Namespaces of the same files that it selects; its policies are written as v1beta1, in the
// operator's default priority band.
import type { KindDefinition } from '../api/crd.ts';
import { API_VERSION, GROUP, kinds } from '../api/index.ts';
import { parseManifests } from '../api/manifests.ts';
import { namespaceRingfence, type NamespaceRingfenceSpec } from '../api/namespaceringfence.ts';
import { validateResource } from '../api/validate.ts';
import { clusterRingfence, type ClusterRingfenceSpec } from '../api/clusterringfence.ts';
import { render } from '../controllers/namespaceringfence/render.ts';
import type { SelectedNamespace } from '../controllers/clusterringfence/render.ts';
import { namespacesIn, offlineClusterPolicies } from './offline-cluster-policies.ts';
import { errorMessage } from '../runtime/errors.ts';
import { readInputs, type Input } from './inputs.ts';
import { formatObjects, type OutputFormat } from './output.ts';
import { UsageError } from './usage.ts';

interface Document {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: unknown; labels?: unknown };
}

/** What one validated resource renders to; nothing for the kinds that render nothing. */
function rendered(kind: KindDefinition, resource: Record<string, unknown>, name: string, namespace: string, namespaces: readonly SelectedNamespace[]): unknown[] {
  if (kind === namespaceRingfence) {
    const { networkPolicies, roleBindings } = render({ metadata: { name, namespace }, spec: resource.spec as NamespaceRingfenceSpec });
    return [...networkPolicies, ...roleBindings];
  }
  if (kind !== clusterRingfence) return [];
  return offlineClusterPolicies(name, resource.spec as ClusterRingfenceSpec, namespaces);
}

function documents({ name, text }: Input): Document[] {
  try {
    return parseManifests(text) as Document[];
  } catch (error) {
    throw new UsageError(`${name}: ${errorMessage(error)}`);
  }
}

/** The Palisade kind of a document of the group; undefined for other groups' objects, which render leaves alone. */
function palisadeKind(doc: Document, where: string) {
  // kubectl apply would refuse it too: without both it is no object at all.
  if (typeof doc.apiVersion !== 'string' || typeof doc.kind !== 'string') throw new UsageError(`${where}: apiVersion and kind must be set`);
  if (!doc.apiVersion.startsWith(`${GROUP}/`)) return undefined;
  if (doc.apiVersion !== API_VERSION) throw new UsageError(`${where}: ${doc.apiVersion} is not served: ${GROUP} serves ${API_VERSION}`);
  const kind = kinds.find((candidate) => candidate.kind === doc.kind);
  if (!kind) throw new UsageError(`${where}: kind ${String(doc.kind)} is not served by ${GROUP}`);
  return kind;
}

/**
 * Every object the ringfences in `paths` produce, in `format`. Throws UsageError naming the file,
 * the document and each field the API server would refuse, for every invalid document.
 */
export function renderFiles(paths: string[], format: OutputFormat = 'yaml'): string {
  const out: unknown[] = [];
  const refusals: string[] = [];
  let resources = 0;
  const inputs = readInputs(paths).map((input) => ({ input, docs: documents(input) }));
  const namespaces = namespacesIn(inputs.flatMap(({ docs }) => docs));
  for (const { input, docs } of inputs) {
    for (const [index, doc] of docs.entries()) {
      const kind = palisadeKind(doc, `${input.name}: document ${index + 1}`);
      if (!kind) continue;
      resources++;
      const { name, namespace = 'default' } = doc.metadata ?? {};
      const where = `${input.name}: ${kind.kind} ${kind.scope === 'Namespaced' ? `${String(namespace)}/` : ''}${typeof name === 'string' ? name : '?'}`;
      try {
        const resource = validateResource(kind, doc as Record<string, unknown>);
        out.push(...rendered(kind, resource, name as string, namespace as string, namespaces));
      } catch (error) {
        refusals.push(...errorMessage(error).split('\n').map((line) => `${where}: ${line}`));
      }
    }
  }
  if (refusals.length > 0) throw new UsageError(refusals.join('\n'));
  if (resources === 0) throw new UsageError(`no Palisade resource found in ${paths.join(', ')}`);
  return formatObjects(out, format);
}

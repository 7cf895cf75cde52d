// `palisade render -f FILE|DIR`: the objects the given NamespaceRingfences would produce, offline,
// by the controller's own render code. Every Palisade resource in the files is first checked as
// the API server would check it (src/api/validate.ts), read as kubectl reads YAML, so that what
// render accepts is what `kubectl apply` would.
import { API_VERSION, GROUP, kinds } from '../api/index.ts';
import { parseManifests } from '../api/manifests.ts';
import { namespaceRingfence, type NamespaceRingfenceSpec } from '../api/namespaceringfence.ts';
import { validateResource } from '../api/validate.ts';
import { render } from '../controllers/namespaceringfence/render.ts';
import { errorMessage } from '../runtime/errors.ts';
import { readInputs, type Input } from './inputs.ts';
import { formatObjects, type OutputFormat } from './output.ts';
import { UsageError } from './usage.ts';

interface Document {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: unknown };
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
  for (const input of readInputs(paths)) {
    for (const [index, doc] of documents(input).entries()) {
      const kind = palisadeKind(doc, `${input.name}: document ${index + 1}`);
      if (!kind) continue;
      resources++;
      const { name, namespace = 'default' } = doc.metadata ?? {};
      const where = `${input.name}: ${kind.kind} ${kind.scope === 'Namespaced' ? `${String(namespace)}/` : ''}${typeof name === 'string' ? name : '?'}`;
      try {
        const resource = validateResource(kind, doc as Record<string, unknown>);
        if (kind !== namespaceRingfence) continue;
        const { networkPolicies, roleBindings } = render({
          metadata: { name: name as string, namespace: namespace as string },
          spec: resource.spec as NamespaceRingfenceSpec,
        });
        out.push(...networkPolicies, ...roleBindings);
      } catch (error) {
        refusals.push(...errorMessage(error).split('\n').map((line) => `${where}: ${line}`));
      }
    }
  }
  if (refusals.length > 0) throw new UsageError(refusals.join('\n'));
  if (resources === 0) throw new UsageError(`no Palisade resource found in ${paths.join(', ')}`);
  return formatObjects(out, format);
}

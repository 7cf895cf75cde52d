// `palisade render -f FILE|DIR`: the objects the given NamespaceRingfences would produce, offline,
// by the controller's own render code.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { dump, loadAll } from 'js-yaml';
import { API_VERSION } from '../api/index.ts';
import { namespaceRingfence } from '../api/namespaceringfence.ts';
import type { NamespaceRingfenceSpec } from '../api/namespaceringfence.ts';
import { validateSpec } from '../api/validate.ts';
import { render } from '../controllers/namespaceringfence/render.ts';
import { UsageError } from './usage.ts';

function files(path: string): string[] {
  if (!statSync(path, { throwIfNoEntry: false })) throw new UsageError(`${path}: no such file or directory`);
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).filter((name) => /\.(ya?ml|json)$/.test(name)).sort().map((name) => join(path, name));
}

interface Document {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  spec?: unknown;
}

/** The YAML stream of every object the ringfences in `paths` produce; throws naming the file, object and field at fault. */
export function renderFiles(paths: string[]): string {
  const out: unknown[] = [];
  for (const file of paths.flatMap(files)) {
    let documents: Document[];
    try {
      documents = (loadAll(readFileSync(file, 'utf8')) as (Document | null)[]).filter((doc): doc is Document => doc !== null);
    } catch (error) {
      throw new UsageError(`${file}: not YAML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    }
    for (const doc of documents.filter((d) => d.apiVersion === API_VERSION && d.kind === namespaceRingfence.kind)) {
      const name = doc.metadata?.name;
      const namespace = doc.metadata?.namespace ?? 'default';
      const where = `${file}: NamespaceRingfence ${namespace}/${name ?? '?'}`;
      if (!name) throw new UsageError(`${where}: metadata.name: required`);
      try {
        const spec = validateSpec<NamespaceRingfenceSpec>(namespaceRingfence, doc.spec ?? {});
        const { networkPolicies, roleBindings } = render({ metadata: { name, namespace }, spec });
        out.push(...networkPolicies, ...roleBindings);
      } catch (error) {
        throw new UsageError(`${where}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
  if (out.length === 0) throw new UsageError(`no NamespaceRingfence found in ${paths.join(', ')}`);
  return out.map((object) => dump(object, { lineWidth: 120, noRefs: true })).join('---\n');
}

// The EncryptionConfiguration file, as an ordered list of entries: keys (name and material) and
// `identity`. The first entry encrypts writes; every entry can read. Rendering and parsing are
// pure and exact, so a file read back is compared, never trusted blindly.
import { createHash } from 'node:crypto';
import { dump, load } from 'js-yaml';

export type KeyProvider = 'aescbc' | 'aesgcm' | 'secretbox';

export type Entry = { provider: KeyProvider; name: string; secret: string } | { provider: 'identity' };

/** The file as Palisade sees it: its own block (resources and entries) and every other block, kept as found. */
export interface EncryptionConfig {
  resources: string[];
  entries: Entry[];
  others: unknown[];
}

type Block = { resources?: string[]; providers?: Record<string, { keys?: { name: string; secret: string }[] } | null>[] };

interface ConfigFile {
  apiVersion?: string;
  kind?: string;
  resources?: Block[];
}

/** As the config names resources: `secrets` is core; `widgets.example.com` is widgets of group example.com. */
export function groupResource(resource: string): { group: string; resource: string } {
  const dot = resource.indexOf('.');
  return dot < 0 ? { group: '', resource } : { group: resource.slice(dot + 1), resource: resource.slice(0, dot) };
}

export const entryName = (entry: Entry) => (entry.provider === 'identity' ? 'identity' : entry.name);

export function renderConfig(config: EncryptionConfig): string {
  // Neighbouring keys of one provider share its block, in order.
  const providers: Record<string, unknown>[] = [];
  for (const entry of config.entries) {
    if (entry.provider === 'identity') {
      providers.push({ identity: {} });
      continue;
    }
    const last = providers.at(-1)?.[entry.provider] as { keys: unknown[] } | undefined;
    const key = { name: entry.name, secret: entry.secret };
    if (last) last.keys.push(key);
    else providers.push({ [entry.provider]: { keys: [key] } });
  }
  return dump({
    apiVersion: 'apiserver.config.k8s.io/v1', kind: 'EncryptionConfiguration',
    resources: [{ resources: config.resources, providers }, ...config.others],
  }, { lineWidth: -1, noRefs: true });
}

/**
 * Palisade's block is the one that configures any of `resources`; its resources are never
 * dropped (data of a resource left out would become unreadable). Throws on a file that is not an
 * EncryptionConfiguration, with a message that never quotes the file: it holds key material.
 */
export function parseConfig(text: string, resources: string[]): EncryptionConfig {
  let file: ConfigFile | null;
  try {
    file = load(text) as ConfigFile | null;
  } catch (error) {
    const line = (error as { mark?: { line?: number } }).mark?.line;
    // No cause attached: the parser's message quotes the file, and the file holds key material.
    // eslint-disable-next-line preserve-caught-error
    throw new Error(`the encryption config is not valid YAML${line === undefined ? '' : ` (line ${line + 1})`}`);
  }
  if (file?.kind !== 'EncryptionConfiguration') throw new Error('the file is not an EncryptionConfiguration');
  const blocks = file.resources ?? [];
  const ours = blocks.find((block) => block.resources?.some((resource) => resources.includes(resource)));
  const elsewhere = resources.find((resource) => blocks.some((block) => block !== ours && block.resources?.includes(resource)));
  // Taking it into Palisade's block would leave its data under keys no longer configured for it.
  if (elsewhere) throw new Error(`${elsewhere} is encrypted by another block of the config, with other keys: one schedule rotates one block`);
  const entries = (ours?.providers ?? []).flatMap((provider): Entry[] => {
    const [type, settings] = Object.entries(provider)[0] ?? [];
    if (type === 'identity') return [{ provider: 'identity' }];
    if (type === 'aescbc' || type === 'aesgcm' || type === 'secretbox') {
      return (settings?.keys ?? []).map((key) => ({ provider: type, name: key.name, secret: key.secret }));
    }
    throw new Error(`provider ${type} is not one Palisade writes`);
  });
  return { resources: [...new Set([...resources, ...(ours?.resources ?? [])])], entries, others: blocks.filter((block) => block !== ours) };
}

/** How kube-apiserver identifies a config it loaded (apiserver_encryption_config_controller_last_config_info{hash}). */
export const configHash = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

// The EncryptionConfiguration file, as an ordered list of entries: keys (name and material) and
// `identity`. The first entry encrypts writes; every entry can read. Rendering and parsing are
// pure and exact, so a file read back is compared, never trusted blindly.
import { createHash } from 'node:crypto';
import { dump, load } from 'js-yaml';

export type KeyProvider = 'aescbc' | 'aesgcm' | 'secretbox';

export type Entry = { provider: KeyProvider; name: string; secret: string } | { provider: 'identity' };

export interface EncryptionConfig {
  resources: string[];
  entries: Entry[];
}

interface ConfigFile {
  apiVersion?: string;
  kind?: string;
  resources?: { resources?: string[]; providers?: Record<string, { keys?: { name: string; secret: string }[] } | null>[] }[];
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
    resources: [{ resources: config.resources, providers }],
  }, { lineWidth: -1, noRefs: true });
}

/** The entries configured for `resource`; none when the file does not configure it. Throws on a file that is not an EncryptionConfiguration. */
export function parseConfig(text: string, resource: string): Entry[] {
  const file = load(text) as ConfigFile | null;
  if (file?.kind !== 'EncryptionConfiguration') throw new Error('the file is not an EncryptionConfiguration');
  const block = file.resources?.find((entry) => entry.resources?.includes(resource));
  return (block?.providers ?? []).flatMap((provider): Entry[] => {
    const [type, settings] = Object.entries(provider)[0] ?? [];
    if (type === 'identity') return [{ provider: 'identity' }];
    if (type === 'aescbc' || type === 'aesgcm' || type === 'secretbox') {
      return (settings?.keys ?? []).map((key) => ({ provider: type, name: key.name, secret: key.secret }));
    }
    throw new Error(`provider ${type} is not one Palisade writes`);
  });
}

/** How kube-apiserver identifies a config it loaded (apiserver_encryption_config_controller_last_config_info{hash}). */
export const configHash = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

// Key Secrets: one per key, immutable, held by a finalizer while a config may name it, labelled
// with its schedule and generation. The material is made here with the CSPRNG and leaves only
// into the Secret and the config file; names are all that is ever logged or reported.
import { randomBytes } from 'node:crypto';
import { secrets } from '../../kubernetes/resources.ts';
import { FIELD_MANAGER } from '../../runtime/apply.ts';
import { ApiError, isNotFound, type KubeClient, type KubeObject } from '../../runtime/client.ts';

export const SCHEDULE_LABEL = 'palisade.dev/key-rotation-schedule';
export const GENERATION_LABEL = 'palisade.dev/key-generation';
export const KEY_FINALIZER = 'palisade.dev/encryption-key';
const KEY_TYPE = 'palisade.dev/encryption-key';

export type KeySecret = KubeObject & { type?: string; data?: { key?: string } };

/** Creates the key's Secret unless it exists, and returns it as the API server holds it. */
export async function createKey(client: KubeClient, namespace: string, schedule: string, name: string, generation: number): Promise<KeySecret> {
  const secret = {
    apiVersion: 'v1', kind: 'Secret', type: KEY_TYPE, immutable: true,
    metadata: { name, namespace, labels: { [SCHEDULE_LABEL]: schedule, [GENERATION_LABEL]: String(generation) }, finalizers: [KEY_FINALIZER] },
    data: { key: randomBytes(32).toString('base64') },
  };
  try {
    await client.create(secrets, secret, { fieldManager: FIELD_MANAGER });
  } catch (error) {
    // Created by an earlier pass that did not live to record it: that one stands.
    if (!(error instanceof ApiError && error.code === 409)) throw error;
  }
  const stored = await client.get<KeySecret>(secrets, name, namespace);
  if (stored.type !== KEY_TYPE || !stored.data?.key) throw new Error(`Secret ${namespace}/${name} exists but is not a Palisade key`);
  return stored;
}

/** Lets a key Secret go: its finalizer first (it is immutable, but metadata is not), then the Secret. */
export async function deleteKey(client: KubeClient, namespace: string, name: string): Promise<void> {
  try {
    await client.patch(secrets, { name, namespace }, { metadata: { finalizers: null } }, { type: 'merge' });
  } catch (error) {
    if (isNotFound(error)) return;
    throw error;
  }
  await client.delete(secrets, name, namespace);
}

// An EncryptionConfiguration written the way an administrator would, before Palisade: one aescbc
// key that Palisade did not make, then identity.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';

/** Writes the file; resolves with the key's material, which a rotation must move every object off. */
export async function writeInitialEncryptionConfig(file: string, keyName = 'initial'): Promise<string> {
  const material = randomBytes(32).toString('base64');
  await writeFile(file, [
    'apiVersion: apiserver.config.k8s.io/v1', 'kind: EncryptionConfiguration', 'resources:', '  - resources: [secrets]', '    providers:',
    '      - aescbc:', '          keys:', `            - {name: ${keyName}, secret: "${material}"}`, '      - identity: {}', '',
  ].join('\n'));
  return material;
}

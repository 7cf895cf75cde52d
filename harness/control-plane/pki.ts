// The certificates and keys of a test control plane, made with the openssl command line: a CA,
// the apiservers' serving certificate, the service-account signing key, and client certificates
// for users with any name and groups (CN = user, O = groups, as kube-apiserver reads them).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const openssl = (...args: string[]) => run('openssl', args);
const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export interface Pki {
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  serviceAccountKey: string;
  serviceAccountPublicKey: string;
}

/** The names and addresses every apiserver of a test control plane may be reached at. */
export const SERVING_ADDRESSES = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '10.0.0.1'];
const SERVING_NAMES = ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'];

function subject(commonName: string, organizations: string[] = []): string {
  const escape = (value: string) => value.replace(/[/\\=+,]/g, (c) => `\\${c}`);
  return [...organizations.map((o) => `/O=${escape(o)}`), `/CN=${escape(commonName)}`].join('');
}

async function signed(dir: string, name: string, subj: string, extensions: string, caCert: string, caKey: string) {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const crt = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  await writeFile(ext, extensions);
  await openssl('req', ...ecKey, '-keyout', key, '-subj', subj, '-out', csr);
  await openssl('x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-set_serial', `0x${randomBytes(16).toString('hex')}`,
    '-days', '365', '-extfile', ext, '-out', crt);
  return { cert: crt, key };
}

export async function createPki(dir: string): Promise<Pki> {
  const caCert = join(dir, 'ca.crt');
  const caKey = join(dir, 'ca.key');
  await openssl('req', '-x509', ...ecKey, '-keyout', caKey, '-out', caCert, '-days', '3650',
    '-subj', subject('palisade-test-ca'), '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  const sans = [...SERVING_ADDRESSES.map((ip) => `IP:${ip}`), ...SERVING_NAMES.map((dns) => `DNS:${dns}`)].join(',');
  const serving = await signed(dir, 'apiserver', subject('kube-apiserver'),
    `subjectAltName=${sans}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n`, caCert, caKey);
  const serviceAccountKey = join(dir, 'sa.key');
  const serviceAccountPublicKey = join(dir, 'sa.pub');
  await openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', serviceAccountKey);
  await openssl('pkey', '-in', serviceAccountKey, '-pubout', '-out', serviceAccountPublicKey);
  return { caCert, caKey, servingCert: serving.cert, servingKey: serving.key, serviceAccountKey, serviceAccountPublicKey };
}

/** A client certificate for `user` in `groups`, signed by the control plane's CA. */
export function createClientCert(pki: Pki, dir: string, fileName: string, user: string, groups: string[]) {
  return signed(dir, fileName, subject(user, groups),
    'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n', pki.caCert, pki.caKey);
}

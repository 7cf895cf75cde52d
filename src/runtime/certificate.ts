// The metrics server's TLS certificate: generated in memory at start (self-signed, ECDSA P-256,
// naming the metrics Service), as controller-runtime does when no certificate is given, or read
// from a directory holding tls.crt and tls.key (a Secret of cert-manager's, say) and read again
// when they change (a Secret volume's update, a renewal).
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier, AttributeTypeAndValue, AttributeValue, BasicConstraints, Certificate, ExtendedKeyUsage, Extension,
  Extensions, GeneralName, id_ce_basicConstraints, id_ce_extKeyUsage, id_ce_keyUsage, id_ce_subjectAltName, id_kp_serverAuth,
  KeyUsage, KeyUsageFlags, Name, RelativeDistinguishedName, SubjectAlternativeName, SubjectPublicKeyInfo, TBSCertificate, Validity, Version,
} from '@peculiar/asn1-x509';
import { createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { errorMessage } from './errors.ts';

/** A PEM certificate (chain) and its PEM private key. */
export interface KeyPair {
  cert: string;
  key: string;
}

/** The metrics Service's name in config/manager. */
export const METRICS_SERVICE = 'palisade-operator-metrics';

/** The names a client may reach the metrics Service by, in `namespace`, and loopback (a port-forward). */
export function metricsServiceNames(namespace: string): string[] {
  return [`${METRICS_SERVICE}.${namespace}.svc`, `${METRICS_SERVICE}.${namespace}.svc.cluster.local`, `${METRICS_SERVICE}.${namespace}`,
    METRICS_SERVICE, 'localhost', '127.0.0.1', '::1'];
}

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const COMMON_NAME = '2.5.4.3';

/** A self-signed serving certificate for `names` (DNS names and IP addresses), valid for a year from an hour ago. */
export function selfSignedCertificate(names: readonly string[], now = new Date()): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const algorithm = new AlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA256 });
  const subject = new Name([new RelativeDistinguishedName([
    new AttributeTypeAndValue({ type: COMMON_NAME, value: new AttributeValue({ utf8String: names[0] ?? 'palisade' }) }),
  ])]);
  const extension = (extnID: string, value: unknown, critical: boolean) =>
    new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
  const serial = randomBytes(16);
  serial[0]! &= 0x7f; // a positive INTEGER
  const tbsCertificate = new TBSCertificate({
    version: Version.v3,
    serialNumber: arrayBuffer(serial),
    signature: algorithm,
    issuer: subject,
    subject,
    validity: new Validity({ notBefore: new Date(now.getTime() - 3_600_000), notAfter: new Date(now.getTime() + 365 * 86_400_000) }),
    subjectPublicKeyInfo: AsnConvert.parse(publicKey.export({ type: 'spki', format: 'der' }), SubjectPublicKeyInfo),
    extensions: new Extensions([
      extension(id_ce_basicConstraints, new BasicConstraints({ cA: false }), true),
      extension(id_ce_keyUsage, new KeyUsage(KeyUsageFlags.digitalSignature), true),
      extension(id_ce_extKeyUsage, new ExtendedKeyUsage([id_kp_serverAuth]), false),
      extension(id_ce_subjectAltName, new SubjectAlternativeName(names.map((name) =>
        new GeneralName(isIP(name) ? { iPAddress: name } : { dNSName: name }))), false),
    ]),
  });
  const signature = sign('sha256', Buffer.from(AsnConvert.serialize(tbsCertificate)), privateKey);
  const der = AsnConvert.serialize(new Certificate({ tbsCertificate, signatureAlgorithm: algorithm, signatureValue: arrayBuffer(signature) }));
  return { cert: new X509Certificate(Buffer.from(der)).toString(), key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

const arrayBuffer = (bytes: Buffer): ArrayBuffer => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;

/** Reads `dir`/tls.crt and `dir`/tls.key; throws naming the file unless both parse and belong together. */
export async function readKeyPair(dir: string): Promise<KeyPair> {
  const read = (file: string) => readFile(join(dir, file), 'utf8').catch((error: unknown) => {
    throw new Error(`--metrics-cert-path: cannot read ${join(dir, file)}: ${errorMessage(error)}`, { cause: error });
  });
  const [cert, key] = [await read('tls.crt'), await read('tls.key')];
  let matches: boolean;
  try {
    matches = new X509Certificate(cert).checkPrivateKey(createPrivateKey(key));
  } catch (error) {
    throw new Error(`--metrics-cert-path: ${dir}/tls.crt and tls.key are not a PEM certificate and key: ${errorMessage(error)}`,
      { cause: error });
  }
  if (!matches) throw new Error(`--metrics-cert-path: ${dir}/tls.key is not the key of ${dir}/tls.crt`);
  return { cert, key };
}

/**
 * Reads `dir`'s key pair again every `intervalMs` and calls `onChange` with it when it changed.
 * A pair that does not read or match (a renewal half-written) is reported to `onError` (once while
 * it lasts) and the last good one stays. Returns the function that stops it.
 */
export function watchKeyPair(dir: string, current: KeyPair, onChange: (pair: KeyPair) => void, onError: (error: unknown) => void,
  intervalMs = 10_000): () => void {
  let last = current;
  let lastError: string | undefined;
  let reading = false;
  const timer = setInterval(() => {
    if (reading) return;
    reading = true;
    readKeyPair(dir).then((pair) => {
      lastError = undefined;
      if (pair.cert === last.cert && pair.key === last.key) return;
      last = pair;
      onChange(pair);
    }, (error: unknown) => {
      // Once per distinct failure, not every interval while it lasts.
      const message = errorMessage(error);
      if (message !== lastError) onError(error);
      lastError = message;
    }).finally(() => {
      reading = false;
    });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

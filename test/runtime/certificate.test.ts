import { expect } from 'chai';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtemp, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { metricsServiceNames, readKeyPair, selfSignedCertificate, watchKeyPair, type KeyPair } from '../../src/runtime/certificate.ts';

async function certDir(pair: Partial<KeyPair>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'palisade-cert-'));
  if (pair.cert !== undefined) await writeFile(join(dir, 'tls.crt'), pair.cert);
  if (pair.key !== undefined) await writeFile(join(dir, 'tls.key'), pair.key);
  return dir;
}

describe('selfSignedCertificate', function () {
  it('names the metrics Service and loopback, serves TLS only, and is signed by its own key', function () {
    const now = new Date('2026-01-01T00:00:00Z');
    const { cert, key } = selfSignedCertificate(metricsServiceNames('palisade-system'), now);
    const x509 = new X509Certificate(cert);
    expect(x509.subjectAltName).to.equal('DNS:palisade-operator-metrics.palisade-system.svc, DNS:palisade-operator-metrics.palisade-system.svc.cluster.local, '
      + 'DNS:palisade-operator-metrics.palisade-system, DNS:palisade-operator-metrics, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(x509.subject).to.equal('CN=palisade-operator-metrics.palisade-system.svc');
    expect(x509.checkHost('palisade-operator-metrics.palisade-system.svc')).to.equal('palisade-operator-metrics.palisade-system.svc');
    expect(x509.checkHost('example.com')).to.equal(undefined);
    expect(x509.checkIP('127.0.0.1')).to.equal('127.0.0.1');
    expect(x509.ca).to.equal(false);
    expect(x509.keyUsage).to.deep.equal(['1.3.6.1.5.5.7.3.1']);
    expect(x509.verify(x509.publicKey)).to.equal(true);
    expect(x509.checkPrivateKey(createPrivateKey(key))).to.equal(true);
    expect([x509.validFromDate.toISOString(), x509.validToDate.toISOString()]).to.deep.equal(['2025-12-31T23:00:00.000Z', '2027-01-01T00:00:00.000Z']);
  });

  it('makes a new key and serial number each time', function () {
    const [a, b] = [selfSignedCertificate(['x']), selfSignedCertificate(['x'])];
    expect(a.key).to.not.equal(b.key);
    expect(new X509Certificate(a.cert).serialNumber).to.not.equal(new X509Certificate(b.cert).serialNumber);
  });
});

describe('readKeyPair', function () {
  it('reads tls.crt and tls.key', async function () {
    const pair = selfSignedCertificate(['x']);
    expect(await readKeyPair(await certDir(pair))).to.deep.equal(pair);
  });

  it('names what is wrong: a missing file, not PEM, a key of another certificate', async function () {
    const pair = selfSignedCertificate(['x']);
    const failure = (dir: string) => readKeyPair(dir).then(() => '', (error: Error) => error.message);
    expect(await failure(await certDir({ cert: pair.cert }))).to.match(/^--metrics-cert-path: cannot read .*tls\.key: ENOENT/);
    expect(await failure(await certDir({ cert: 'nonsense', key: pair.key }))).to.include('are not a PEM certificate and key');
    expect(await failure(await certDir({ cert: pair.cert, key: selfSignedCertificate(['y']).key }))).to.match(/tls\.key is not the key of .*tls\.crt$/);
  });
});

/** As the kubelet updates a Secret volume: each file whole or not at all (a poll never reads half a file). */
async function replaceFile(path: string, content: string): Promise<void> {
  await writeFile(`${path}.new`, content);
  await rename(`${path}.new`, path);
}

describe('watchKeyPair', function () {
  it('reports a changed pair once, a broken one once while it lasts, and keeps the last good one', async function () {
    const first = selfSignedCertificate(['x']);
    const dir = await certDir(first);
    const changes: KeyPair[] = [];
    const errors: string[] = [];
    const stop = watchKeyPair(dir, first, (pair) => changes.push(pair), (error) => errors.push((error as Error).message), 20);
    try {
      await sleep(100);
      expect(changes).to.deep.equal([]);
      const second = selfSignedCertificate(['y']);
      await replaceFile(join(dir, 'tls.crt'), second.cert); // the key not yet written: a mismatch
      await sleep(100);
      await replaceFile(join(dir, 'tls.key'), second.key);
      await sleep(100);
      expect(changes).to.deep.equal([second]);
      expect(errors).to.have.length(1);
      expect(errors[0]).to.include('is not the key of');
    } finally {
      stop();
    }
  });
});

import { expect } from 'chai';
import { writerJob } from '../../../src/controllers/keyrotationschedule/delivery.ts';

describe('HostPathJob writer Job', function () {
  const job = writerJob({ schedule: 'secrets-at-rest', namespace: 'palisade-keys', path: '/etc/kubernetes/enc/encryption-config.yaml', image: 'img:1', record: 'secrets-at-rest-encryption-config', node: 'cp-1', hash: 'abcdef0123' });
  const pod = job.spec.template.spec;

  it('is pinned to its node, tolerates its taints, and is named by content and node', function () {
    expect(pod.nodeName).to.equal('cp-1');
    expect(pod.tolerations).to.deep.equal([{ operator: 'Exists' }]);
    expect(job.metadata.name).to.match(/^secrets-at-rest-config-abcdef0123-[0-9a-f]{6}$/);
    expect(writerJob({ ...{ schedule: 'secrets-at-rest', namespace: 'n', path: '/p/f', image: 'i', record: 'r', hash: 'abcdef0123' }, node: 'cp-2' }).metadata.name).to.not.equal(job.metadata.name);
  });

  it('writes the mounted record into the directory of the file on the host, with the operator command and nothing more', function () {
    const [container] = pod.containers;
    expect(container!.image).to.equal('img:1');
    expect(container!.args).to.deep.equal(['write-encryption-config', '--from', '/palisade/encryption-config.yaml', '--to', '/host/encryption-config.yaml']);
    expect(pod.volumes).to.deep.equal([
      { name: 'config', secret: { secretName: 'secrets-at-rest-encryption-config', defaultMode: 0o400 } },
      { name: 'target', hostPath: { path: '/etc/kubernetes/enc', type: 'DirectoryOrCreate' } },
    ]);
    expect(container!.securityContext).to.deep.equal({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(pod.automountServiceAccountToken).to.equal(false);
  });
});

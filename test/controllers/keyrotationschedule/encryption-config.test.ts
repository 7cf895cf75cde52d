import { expect } from 'chai';
import { configHash, parseConfig, renderConfig, type Entry } from '../../../src/controllers/keyrotationschedule/encryption-config.ts';

describe('EncryptionConfiguration file', function () {
  const entries: Entry[] = [
    { provider: 'secretbox', name: 'new', secret: 'bmV3' },
    { provider: 'aescbc', name: 'b', secret: 'Yg==' },
    { provider: 'aescbc', name: 'a', secret: 'YQ==' },
    { provider: 'identity' },
  ];

  it('renders neighbouring keys of a provider into one block, in order, and parses back to the same entries', function () {
    const text = renderConfig({ resources: ['secrets', 'configmaps'], entries, others: [] });
    expect(text).to.include('kind: EncryptionConfiguration');
    expect(parseConfig(text, ['configmaps'])).to.deep.equal({ resources: ['configmaps', 'secrets'], entries, others: [] });
    expect(parseConfig(text, ['widgets.example.com']).entries).to.deep.equal([]);
  });

  it('keeps the blocks it does not manage as they are, and never drops a resource from its own', function () {
    const foreign = { resources: ['events'], providers: [{ aesgcm: { keys: [{ name: 'theirs', secret: 'dGhlaXJz' }] } }] };
    const text = renderConfig({ resources: ['secrets', 'configmaps'], entries, others: [foreign] });
    const parsed = parseConfig(text, ['secrets']);
    expect(parsed.resources).to.have.members(['secrets', 'configmaps']);
    expect(parsed.others).to.deep.equal([foreign]);
    expect(renderConfig(parsed)).to.equal(text);
    expect(() => parseConfig(text, ['secrets', 'events'])).to.throw('events is encrypted by another block');
  });

  it('refuses what is not an EncryptionConfiguration, or a provider it would not write, without quoting the file', function () {
    expect(() => parseConfig('kind: Pod', ['secrets'])).to.throw('not an EncryptionConfiguration');
    expect(() => parseConfig('kind: EncryptionConfiguration\nresources: [{resources: [secrets], providers: [{kms: {name: x}}]}]', ['secrets'])).to.throw('kms');
    const broken = 'kind: EncryptionConfiguration\nresources:\n  - providers:\n    - aescbc:\n        keys:\n        - {name: a, secret: "S3CR3TMATERIAL=="}\n   bad: [';
    expect(() => parseConfig(broken, ['secrets'])).to.throw(/not valid YAML \(line \d+\)$/);
    try {
      parseConfig(broken, ['secrets']);
    } catch (error) {
      expect((error as Error).message).to.not.include('S3CR3T');
    }
  });

  it('hashes the file the way kube-apiserver reports it', function () {
    expect(configHash('')).to.equal('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

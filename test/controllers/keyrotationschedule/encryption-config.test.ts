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
    const text = renderConfig({ resources: ['secrets', 'configmaps'], entries });
    expect(text).to.include('kind: EncryptionConfiguration');
    expect(parseConfig(text, 'configmaps')).to.deep.equal(entries);
    expect(parseConfig(text, 'widgets.example.com')).to.deep.equal([]);
  });

  it('refuses what is not an EncryptionConfiguration, or a provider it would not write', function () {
    expect(() => parseConfig('kind: Pod', 'secrets')).to.throw('not an EncryptionConfiguration');
    expect(() => parseConfig('kind: EncryptionConfiguration\nresources: [{resources: [secrets], providers: [{kms: {name: x}}]}]', 'secrets')).to.throw('kms');
  });

  it('hashes the file the way kube-apiserver reports it', function () {
    expect(configHash('')).to.equal('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

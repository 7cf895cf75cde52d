import { expect } from 'chai';
import { KEY_ROTATION_FLAGS, keyRotationSettings } from '../../../src/controllers/keyrotationschedule/settings.ts';
import { operatorConfig } from '../../../src/runtime/operator.ts';

describe('KeyRotationSchedule settings', function () {
  it('are parsed by the runtime from flags, else the environment, and read by the controller', function () {
    const fromFlags = operatorConfig(['--apiserver-urls=https://10.0.0.1:6443, https://10.0.0.2:6443', '--image=palisade:1'], {}, KEY_ROTATION_FLAGS);
    expect(keyRotationSettings(fromFlags.settings)).to.deep.equal({ apiServerUrls: ['https://10.0.0.1:6443', 'https://10.0.0.2:6443'], image: 'palisade:1' });
    const fromEnv = operatorConfig([], { PALISADE_IMAGE: 'palisade:2' }, KEY_ROTATION_FLAGS);
    expect(keyRotationSettings(fromEnv.settings)).to.deep.equal({ apiServerUrls: [], image: 'palisade:2' });
  });

  it('are unknown to an operator that does not declare them', function () {
    expect(() => operatorConfig(['--image=palisade:1'], {})).to.throw(/image/);
  });
});

// Where the apiservers are when no --apiserver-urls is given: the endpoints of default/kubernetes,
// as the apiservers' endpoint reconciler publishes them (e2e cannot: the API refuses loopback there).
import { expect } from 'chai';
import { endpointUrls } from '../../../src/controllers/keyrotationschedule/apiservers.ts';

describe('KeyRotationSchedule apiserver discovery', function () {
  it('lists every address behind default/kubernetes on its https port, IPv6 in brackets', function () {
    expect(endpointUrls({
      subsets: [
        { addresses: [{ ip: '10.0.0.11' }, { ip: '10.0.0.12' }], ports: [{ name: 'metrics', port: 9000 }, { name: 'https', port: 6443 }] },
        { addresses: [{ ip: 'fd00::13' }], ports: [{ port: 443 }] },
      ],
    })).to.deep.equal(['https://10.0.0.11:6443', 'https://10.0.0.12:6443', 'https://[fd00::13]:443']);
  });

  it('finds none in an Endpoints object without subsets', function () {
    expect(endpointUrls({})).to.deep.equal([]);
  });
});

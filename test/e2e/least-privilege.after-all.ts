// Runs after every other test (the Makefile names it last): over all the requests the operator
// made as its ServiceAccount in this run, on every control plane, each permission config/rbac
// grants it was needed at least once (the optional legacy-migration role's on the control plane
// that needs it), and none was refused.
import { expect } from 'chai';
import { sharedCluster } from '../support/cluster.ts';
import { forbiddenRequests, keepOperatorRequests, keptOperatorRequests, operatorGrants, unneededGrants } from '../support/least-privilege.ts';

// Needed where no test control plane can go: the API refuses loopback addresses in Endpoints, so
// default/kubernetes has none here and the tests name the apiservers (--apiserver-urls). An
// operator run without them (the image's, in-cluster) reads it when it finds a KeyRotationSchedule
// that another suite left: so it may be needed, or not.
const NEEDED_BEYOND_LOOPBACK = ['get core/endpoints/kubernetes in default'];

describe('config/rbac, after all the end-to-end tests', function () {
  before(async function () {
    await keepOperatorRequests(await sharedCluster());
    expect(keptOperatorRequests(), 'requests of the operator recorded (run with the whole e2e suite)').to.have.length.above(0);
  });

  it('grants the operator nothing it never needed, in config/rbac and in its optional roles', function () {
    const unneeded = unneededGrants(operatorGrants({ optional: true }), keptOperatorRequests());
    expect(unneeded.filter((grant) => !NEEDED_BEYOND_LOOPBACK.includes(grant))).to.deep.equal([]);
  });

  it('refused the operator nothing', function () {
    expect(forbiddenRequests(keptOperatorRequests())).to.deep.equal([]);
  });
});

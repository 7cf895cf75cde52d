import { expect } from 'chai';
import { MAX_PODS_LISTED, noViolations, parseViolations } from '../../../src/controllers/podsecuritybaseline/violations.ts';

const RESTRICTED = { level: 'restricted', version: 'latest' } as const;

describe('PodSecurityBaseline violations', function () {
  it('reads the pods and checks from Pod Security admission warnings, counting the grouped pods, each check by ID', function () {
    const found = parseViolations([
      'existing pods in namespace "team" violate the new PodSecurity enforce level "restricted:latest"',
      'web-1 (and 2 other pods): allowPrivilegeEscalation != false, runAsNonRoot != true, seccompProfile',
      'db-0 (and 1 other pod): privileged',
      'batch: host namespaces, a reason of a newer server',
    ], RESTRICTED);
    expect(found).to.deep.equal({
      total: 6, complete: true,
      pods: [
        { name: 'batch', checks: ['pss/hostNamespaces', 'a reason of a newer server'] },
        { name: 'db-0', checks: ['pss/privileged'] },
        { name: 'web-1', checks: ['pss/allowPrivilegeEscalation', 'pss/runAsNonRoot', 'pss/seccompProfile_restricted'] },
      ],
    });
    expect(parseViolations(['web-1: seccompProfile'], { level: 'baseline', version: 'v1.30' }).pods[0]?.checks).to.deep.equal(['pss/seccompProfile_baseline']);
    expect(noViolations(found)).to.equal(false);
  });

  it('proves nothing when the server checked only some pods or could not list them', function () {
    for (const warning of ['new PodSecurity enforce level only checked against the first 3000 of 3100 existing pods',
      'failed to list pods while checking new PodSecurity enforce level']) {
      const found = parseViolations([warning], RESTRICTED);
      expect(found).to.include({ total: 0, complete: false });
      expect(noViolations(found)).to.equal(false);
    }
    expect(noViolations(parseViolations([], RESTRICTED))).to.equal(true);
  });

  it('lists at most the first pods by name, and counts them all', function () {
    const warnings = Array.from({ length: 15 }, (_, i) => `pod-${String(i).padStart(2, '0')}: check-${i}`);
    const found = parseViolations(warnings.reverse(), RESTRICTED);
    expect(found.total).to.equal(15);
    expect(found.pods.map((p) => p.name)).to.deep.equal(Array.from({ length: MAX_PODS_LISTED }, (_, i) => `pod-${String(i).padStart(2, '0')}`));
  });
});

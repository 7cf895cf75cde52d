// Where a Pod Security finding is reported: at the container, volume or pod field admission's
// detail names, the deepest part of it that is written.
import { expect } from 'chai';
import { scanOf, yaml } from './support.ts';

const lines = (text: string, level: 'baseline' | 'restricted') =>
  scanOf(text, { level }).findings.filter(({ rule }) => rule.startsWith('pss/')).map(({ rule, location }) => [rule, location.line]);

describe('palisade scan: where a Pod Security finding is', function () {
  it('names the host namespace field, the volume, and the ports of the container with a host port', function () {
    expect(lines(yaml`
      apiVersion: v1
      kind: Pod
      metadata:
        name: agent
      spec:
        hostPID: true
        volumes:
          - name: scratch
            emptyDir: {}
          - name: root
            hostPath: {path: /}
        containers:
          - name: agent
            image: agent
            ports: [{containerPort: 80, hostPort: 80}]
    `, 'baseline')).to.deep.equal([['pss/hostNamespaces', 6], ['pss/hostPathVolumes', 10], ['pss/hostPorts', 15]]);
  });

  it('names the securityContext of the container at fault, the pod\'s own field, or the annotation', function () {
    expect(lines(yaml`
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: web
      spec:
        template:
          metadata:
            annotations:
              container.apparmor.security.beta.kubernetes.io/web: unconfined
          spec:
            securityContext:
              runAsNonRoot: false
            containers:
              - name: init-free
                image: web
                securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, seccompProfile: {type: RuntimeDefault}}
              - name: web
                image: web
                securityContext: {privileged: true}
    `, 'restricted')).to.deep.equal([
      ['pss/appArmorProfile', 8],
      ['pss/runAsNonRoot', 12],
      ['pss/allowPrivilegeEscalation', 19],
      ['pss/capabilities_restricted', 19],
      ['pss/privileged', 19],
      ['pss/seccompProfile_restricted', 19],
    ]);
  });
});

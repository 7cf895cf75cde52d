// `palisade scan` as a whole: waivers in palisade.dev/scan-ignore, Lists, input it cannot read,
// and the order of its findings. The checks themselves are in checks.test.ts, the Pod Security
// level in pod-security-target.test.ts. Lines are 1-based in the YAML as written here.
import { expect } from 'chai';
import { InputError, subjectsOf } from '../../src/scan/subjects.ts';
import type { ScanResult } from '../../src/scan/types.ts';
import { FILE, scanOf, scanSubjects, yaml } from './support.ts';

/** Each finding as [line, rule], with the reason last when it is suppressed. */
const listed = (result: ScanResult) => result.findings.map(({ rule, location, suppressed }) => (suppressed === undefined ? [location.line, rule] : [location.line, rule, suppressed]));

describe('palisade scan', function () {
  describe('palisade.dev/scan-ignore', function () {
    /** A Pod whose annotation is `waiver`, held to baseline: it fails pss/hostPorts only. */
    const debugPod = (waiver: string) => yaml`
      apiVersion: v1
      kind: Pod
      metadata:
        name: debug
        namespace: team
        annotations:
          palisade.dev/scan-ignore: ${JSON.stringify(waiver)}
      spec:
        containers:
          - name: app
            image: app
            ports: [{containerPort: 8080, hostPort: 8080}]
    `;

    it('on an object, suppresses the findings it names with their reasons, which keep their place among the others', function () {
      const waived = scanOf(debugPod('pss/hostPorts=debug pod, removed after the incident;  palisade/image-latest-tag = pinned by the mirror ;'), { level: 'baseline' });
      const unwaived = scanOf(debugPod(''), { level: 'baseline' });
      expect(listed(unwaived)).to.deep.equal([
        [3, 'palisade/pod-without-network-policy'],
        [8, 'palisade/service-account-token-automounted'],
        [10, 'palisade/missing-resource-limits'],
        [10, 'palisade/writable-root-filesystem'],
        [11, 'palisade/image-latest-tag'],
        [11, 'palisade/image-without-digest'],
        [12, 'pss/hostPorts'],
      ]);
      expect(listed(waived)).to.deep.equal([
        [3, 'palisade/pod-without-network-policy'],
        [8, 'palisade/service-account-token-automounted'],
        [10, 'palisade/missing-resource-limits'],
        [10, 'palisade/writable-root-filesystem'],
        [11, 'palisade/image-latest-tag', 'pinned by the mirror'],
        [11, 'palisade/image-without-digest'],
        [12, 'pss/hostPorts', 'debug pod, removed after the incident'],
      ]);
      expect(waived.findings.map(({ suppressed, ...finding }) => finding)).to.deep.equal(unwaived.findings);
    });

    it('on a workload\'s pod template, and on the workload itself, suppresses the findings each names', function () {
      const result = scanOf(yaml`
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          annotations:
            palisade.dev/scan-ignore: palisade/service-account-token-automounted=it calls the API server
        spec:
          selector: {matchLabels: {app: web}}
          template:
            metadata:
              labels: {app: web}
              annotations:
                palisade.dev/scan-ignore: "palisade/writable-root-filesystem=writes its cache to /; pss/hostPorts=legacy agent"
            spec:
              containers:
                - name: app
                  image: app:1.2
                  ports: [{containerPort: 8080, hostPort: 8080}]
      `, { level: 'baseline' });
      expect(listed(result)).to.deep.equal([
        [10, 'palisade/pod-without-network-policy'],
        [14, 'palisade/service-account-token-automounted', 'it calls the API server'],
        [16, 'palisade/missing-resource-limits'],
        [16, 'palisade/writable-root-filesystem', 'writes its cache to /'],
        [17, 'palisade/image-without-digest'],
        [18, 'pss/hostPorts', 'legacy agent'],
      ]);
    });

    it('makes an entry without a reason a palisade/invalid-scan-ignore finding at the annotation, and waives nothing with it', function () {
      const result = scanOf(yaml`
        apiVersion: v1
        kind: Service
        metadata:
          name: web
          annotations:
            palisade.dev/scan-ignore: "palisade/service-exposed-on-nodes; palisade/service-exposed-on-nodes=  "
        spec:
          type: NodePort
      `);
      const invalid = {
        rule: 'palisade/invalid-scan-ignore', severity: 'error',
        message: 'palisade.dev/scan-ignore waives palisade/service-exposed-on-nodes without a reason: write palisade/service-exposed-on-nodes=<why>',
        object: { apiVersion: 'v1', kind: 'Service', name: 'web', namespace: 'default' },
        location: { file: FILE, document: 1, line: 6 },
      };
      expect(result.findings).to.deep.equal([invalid, invalid, {
        rule: 'palisade/service-exposed-on-nodes', severity: 'warning', message: 'Service of type NodePort opens its pods on every node',
        object: invalid.object, location: { ...invalid.location, line: 8 },
      }]);
      expect(result.rules.map(({ id }) => id)).to.include('palisade/invalid-scan-ignore');
    });

    it('lets no entry waive palisade/invalid-scan-ignore, which only fixing the entry clears', function () {
      const result = scanOf(yaml`
        apiVersion: v1
        kind: Service
        metadata:
          name: web
          annotations:
            palisade.dev/scan-ignore: "palisade/invalid-scan-ignore=ok; palisade/service-exposed-on-nodes"
        spec:
          type: ClusterIP
      `);
      expect(listed(result)).to.deep.equal([[6, 'palisade/invalid-scan-ignore'], [6, 'palisade/invalid-scan-ignore']]);
      expect(result.findings[0]?.message).to.equal('palisade.dev/scan-ignore cannot waive palisade/invalid-scan-ignore: fix the entry instead');
    });

    it('makes an entry naming an unknown rule a palisade/invalid-scan-ignore finding, on a pod template too', function () {
      const result = scanOf(yaml`
        apiVersion: batch/v1
        kind: Job
        metadata:
          name: migrate
        spec:
          template:
            metadata:
              annotations:
                palisade.dev/scan-ignore: "pss/hostPort=typo of hostPorts; palisade/no-such-rule=because"
            spec:
              automountServiceAccountToken: false
              containers: []
      `, { level: 'baseline' });
      expect(result.findings.filter(({ rule }) => rule === 'palisade/invalid-scan-ignore').map(({ severity, message, location }) => [severity, message, location.line])).to.deep.equal([
        ['error', 'palisade.dev/scan-ignore names pss/hostPort, which is no rule of palisade scan', 9],
        ['error', 'palisade.dev/scan-ignore names palisade/no-such-rule, which is no rule of palisade scan', 9],
      ]);
    });
  });

  describe('Lists', function () {
    it('scans each item of a List, where the item is written, and the documents after it', function () {
      const result = scanOf(yaml`
        apiVersion: v1
        kind: List
        items:
          - apiVersion: v1
            kind: Service
            metadata:
              name: web
            spec:
              type: NodePort
          - apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata:
              name: admins
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
            subjects: [{kind: Group, name: admins}]
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: after
        spec:
          type: LoadBalancer
      `);
      expect(result.objects.map(({ object, location }) => [object.kind, object.name, location])).to.deep.equal([
        ['Service', 'web', { file: FILE, document: 1, line: 4 }],
        ['ClusterRoleBinding', 'admins', { file: FILE, document: 1, line: 10 }],
        ['Service', 'after', { file: FILE, document: 2, line: 17 }],
      ]);
      expect(result.findings.map(({ rule, object, location }) => [rule, object.name, location.document, location.line])).to.deep.equal([
        ['palisade/service-exposed-on-nodes', 'web', 1, 9],
        ['palisade/rbac-cluster-admin-binding', 'admins', 1, 14],
        ['palisade/service-exposed-on-nodes', 'after', 2, 22],
      ]);
    });
  });

  describe('input it cannot read', function () {
    it('throws an InputError naming the file, document and line of an object without kind', function () {
      const text = yaml`
        apiVersion: v1
        kind: Service
        metadata:
          name: ok
        ---
        ---
        apiVersion: v1
        metadata:
          name: kindless
      `;
      expect(() => subjectsOf(FILE, text, 'default')).to.throw(InputError, /^manifests\.yaml: document 2 \(line 7\): apiVersion and kind must be set$/);
    });

    it('throws an InputError naming the file, document, line and index of a List item without apiVersion', function () {
      const text = yaml`
        apiVersion: v1
        kind: List
        items:
          - apiVersion: v1
            kind: Service
            metadata: {name: ok}
          - kind: Service
            metadata: {name: versionless}
      `;
      expect(() => subjectsOf(FILE, text, 'default')).to.throw(InputError, /^manifests\.yaml: document 1 \(line 7\): items\[1\]: apiVersion and kind must be set$/);
    });

    it('throws an InputError naming the file for text that is not YAML', function () {
      expect(() => subjectsOf(FILE, 'kind: [Pod\n', 'default')).to.throw(InputError, /^manifests\.yaml: document 1 \(line 2\): not YAML: /);
    });

    /** Scanning `text` throws an InputError with `message`, never a TypeError. */
    const rejects = (text: string, message: string) => {
      const subjects = subjectsOf(FILE, text, 'default');
      expect(() => scanSubjects(subjects)).to.throw(InputError, message);
    };

    for (const containers of ['"oops"', '[1]']) {
      it(`throws an InputError naming the object, not a TypeError, for containers: ${containers}`, function () {
        rejects(yaml`
          apiVersion: v1
          kind: Pod
          metadata:
            name: p
            namespace: team
          spec:
            containers: ${containers}
        `, 'manifests.yaml: document 1 (line 1): team/Pod/p is not a valid Pod: ');
      });
    }

    it('throws an InputError naming the object for a pod template\'s containers that are a string', function () {
      rejects(yaml`
        apiVersion: v1
        kind: Service
        metadata:
          name: ok
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
        spec:
          template:
            spec:
              containers: "oops"
      `, 'manifests.yaml: document 2 (line 6): default/Deployment/web is not a valid Deployment: ');
    });

    it('throws an InputError naming the object for a Role whose rules are a string', function () {
      rejects(yaml`
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata:
          name: reader
        rules: "oops"
      `, 'manifests.yaml: document 1 (line 1): default/Role/reader is not a valid Role: ');
    });

    it('names the PodSecurityBaseline, not a pod it selects, when the baseline has no enforce level', function () {
      const subjects = subjectsOf(FILE, yaml`
        apiVersion: palisade.dev/v1alpha1
        kind: PodSecurityBaseline
        metadata:
          name: tenants
        spec:
          namespaces: [team]
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          name: web
          namespace: team
        spec:
          containers: []
      `, 'default');
      expect(() => scanSubjects(subjects)).to.throw(InputError, /PodSecurityBaseline\/tenants/);
    });

    it('checks Palisade resources as the API server does, and the Pod Security labels admission refuses', function () {
      const subjects = subjectsOf(FILE, yaml`
        apiVersion: palisade.dev/v1alpha1
        kind: PodSecurityBaseline
        metadata:
          name: tenants
        spec:
          namespaces: teams
          enforce: {level: strict}
        ---
        apiVersion: v1
        kind: Namespace
        metadata:
          name: team
          labels: {pod-security.kubernetes.io/enforce: baseline, pod-security.kubernetes.io/enforce-version: v1.x}
      `, 'default');
      expect(() => scanSubjects(subjects)).to.throw(InputError).with.property('message').that.matches(/PodSecurityBaseline\/tenants is not a valid PodSecurityBaseline: spec\.namespaces/)
        .and.matches(/spec\.enforce\.level/)
        .and.matches(/document 2 \(line 9\): Namespace\/team is not a valid Namespace: metadata\.labels\.pod-security\.kubernetes\.io\/enforce-version: "v1\.x"/);
    });
  });

  describe('the result', function () {
    const b = subjectsOf('b.yaml', yaml`
      apiVersion: v1
      kind: Service
      metadata:
        name: b
      spec:
        type: NodePort
    `, 'default');
    const a = subjectsOf('a.yaml', yaml`
      apiVersion: v1
      kind: Service
      metadata:
        name: a
      spec:
        type: LoadBalancer
      ---
      apiVersion: v1
      kind: Pod
      metadata:
        name: p
      spec:
        containers:
          - name: app
            image: app
            securityContext: {privileged: true}
    `, 'default');
    const result = scanSubjects([...b, ...a], { level: 'baseline' });

    it('sorts findings by file, then document, then line, then rule, whatever the order of the input and of the checks', function () {
      expect(result.findings.map(({ location, rule }) => [location.file, location.document, location.line, rule])).to.deep.equal([
        ['a.yaml', 1, 6, 'palisade/service-exposed-on-nodes'],
        ['a.yaml', 2, 10, 'palisade/pod-without-network-policy'],
        ['a.yaml', 2, 12, 'palisade/service-account-token-automounted'],
        ['a.yaml', 2, 14, 'palisade/missing-resource-limits'],
        ['a.yaml', 2, 15, 'palisade/image-latest-tag'],
        ['a.yaml', 2, 15, 'palisade/image-without-digest'],
        ['a.yaml', 2, 16, 'palisade/writable-root-filesystem'],
        ['a.yaml', 2, 16, 'pss/privileged'],
        ['b.yaml', 1, 6, 'palisade/service-exposed-on-nodes'],
      ]);
    });

    it('lists every rule checked or found once, by id', function () {
      const ids = result.rules.map(({ id }) => id);
      expect(ids).to.deep.equal([...new Set(ids)].sort());
      expect(ids).to.include.members([...new Set([...result.findings.map(({ rule }) => rule), ...result.objects.flatMap(({ rules }) => rules)])]);
      expect(result.rules.find(({ id }) => id === 'pss/privileged')).to.deep.include({ severity: 'error', title: 'Privileged container' });
    });
  });
});

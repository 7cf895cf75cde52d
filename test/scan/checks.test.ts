// Every palisade/* rule of `palisade scan`, each on a manifest that breaks it and on a close one
// that does not, and the workload kinds whose pod templates the checks read. Lines are 1-based in
// the YAML as written here (see `yaml` below).
import { expect } from 'chai';
import { PALISADE_RULES } from '../../src/scan/rules.ts';
import type { ScanResult } from '../../src/scan/types.ts';
import { FILE, scanOf, yaml } from './support.ts';

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

/** The findings of one rule, as severity, message and line. */
const found = (result: ScanResult, rule: string) => result.findings
  .filter((finding) => finding.rule === rule)
  .map(({ severity, message, location }) => ({ severity, message, line: location.line }));

describe('palisade scan checks', function () {
  it('has the palisade/* rules tested below, with their severities', function () {
    expect(Object.values(PALISADE_RULES).map(({ id, severity }) => `${id} ${severity}`)).to.deep.equal([
      'palisade/pod-without-network-policy warning',
      'palisade/namespace-without-default-deny warning',
      'palisade/namespace-without-enforce-label warning',
      'palisade/runtime-socket-mount error',
      'palisade/image-latest-tag warning',
      'palisade/image-without-digest warning',
      'palisade/secret-in-env warning',
      'palisade/service-account-token-automounted warning',
      'palisade/missing-resource-limits warning',
      'palisade/writable-root-filesystem warning',
      'palisade/service-exposed-on-nodes warning',
      'palisade/rbac-cluster-admin-binding error',
      'palisade/rbac-wildcard error',
      'palisade/rbac-pods-exec warning',
      'palisade/rbac-secrets-read warning',
      'palisade/rbac-escalation-verbs error',
      'palisade/rbac-broad-subject error',
      'palisade/invalid-scan-ignore error', // in scan.test.ts
    ]);
  });

  describe('palisade/image-latest-tag and palisade/image-without-digest', function () {
    const result = scanOf(yaml`
      apiVersion: v1
      kind: Pod
      metadata:
        name: images
      spec:
        initContainers:
          - name: setup
            image: busybox:latest
        containers:
          - name: untagged
            image: nginx
          - name: port
            image: registry:5000/app
          - name: versioned
            image: app:1.2
          - name: port-and-tag
            image: registry:5000/app:1.2
          - name: digest
            image: app@${DIGEST}
          - name: tag-and-digest
            image: registry:5000/app:1.2@${DIGEST}
    `);

    it('flags :latest, no tag, and a registry port without a tag (a port is not a tag) as image-latest-tag, at the image line', function () {
      expect(found(result, 'palisade/image-latest-tag')).to.deep.equal([
        { severity: 'warning', message: 'init container "setup" runs busybox:latest', line: 8 },
        { severity: 'warning', message: 'container "untagged" runs nginx, which means :latest', line: 11 },
        { severity: 'warning', message: 'container "port" runs registry:5000/app, which means :latest', line: 13 },
      ]);
    });

    it('flags every image without a digest as image-without-digest, a pinned version too, and no image with @sha256', function () {
      expect(found(result, 'palisade/image-without-digest')).to.deep.equal([
        { severity: 'warning', message: 'init container "setup" runs busybox:latest, not pinned by digest', line: 8 },
        { severity: 'warning', message: 'container "untagged" runs nginx, not pinned by digest', line: 11 },
        { severity: 'warning', message: 'container "port" runs registry:5000/app, not pinned by digest', line: 13 },
        { severity: 'warning', message: 'container "versioned" runs app:1.2, not pinned by digest', line: 15 },
        { severity: 'warning', message: 'container "port-and-tag" runs registry:5000/app:1.2, not pinned by digest', line: 17 },
      ]);
    });
  });

  describe('palisade/secret-in-env', function () {
    it('flags a secretKeyRef at its env entry and an envFrom secretRef at its envFrom entry, never a ConfigMap or a plain value', function () {
      const result = scanOf(yaml`
        apiVersion: v1
        kind: Pod
        metadata:
          name: env
        spec:
          containers:
            - name: app
              image: app@${DIGEST}
              env:
                - name: PLAIN
                  value: x
                - name: MODE
                  valueFrom:
                    configMapKeyRef: {name: settings, key: mode}
                - name: PASSWORD
                  valueFrom:
                    secretKeyRef: {name: db, key: password}
              envFrom:
                - configMapRef: {name: settings}
                - secretRef: {name: api-keys}
      `);
      expect(found(result, 'palisade/secret-in-env')).to.deep.equal([
        { severity: 'warning', message: 'container "app" reads Secret db into $PASSWORD', line: 15 },
        { severity: 'warning', message: 'container "app" reads all of Secret api-keys into its environment', line: 20 },
      ]);
    });

    it('finds nothing in a container that reads only ConfigMaps', function () {
      const result = scanOf(yaml`
        apiVersion: v1
        kind: Pod
        metadata:
          name: env
        spec:
          containers:
            - name: app
              image: app@${DIGEST}
              env:
                - name: MODE
                  valueFrom:
                    configMapKeyRef: {name: settings, key: mode}
              envFrom:
                - configMapRef: {name: settings}
      `);
      expect(found(result, 'palisade/secret-in-env')).to.deep.equal([]);
    });
  });

  describe('palisade/missing-resource-limits', function () {
    it('names the limits a container lacks, at its resources (or the container when it has none), and passes one with both', function () {
      const result = scanOf(yaml`
        apiVersion: v1
        kind: Pod
        metadata:
          name: limits
        spec:
          containers:
            - name: none
              image: app@${DIGEST}
            - name: memory-only
              image: app@${DIGEST}
              resources:
                limits: {memory: 128Mi}
            - name: requests-only
              image: app@${DIGEST}
              resources:
                requests: {cpu: 100m, memory: 64Mi}
            - name: both
              image: app@${DIGEST}
              resources:
                limits: {cpu: 500m, memory: 128Mi}
      `);
      expect(found(result, 'palisade/missing-resource-limits')).to.deep.equal([
        { severity: 'warning', message: 'container "none" has no cpu or memory limit', line: 7 },
        { severity: 'warning', message: 'container "memory-only" has no cpu limit', line: 11 },
        { severity: 'warning', message: 'container "requests-only" has no cpu or memory limit', line: 15 },
      ]);
    });
  });

  describe('palisade/writable-root-filesystem', function () {
    it('flags readOnlyRootFilesystem false or unset, at the securityContext (or the container), and passes true', function () {
      const result = scanOf(yaml`
        apiVersion: v1
        kind: Pod
        metadata:
          name: root
        spec:
          containers:
            - name: unset
              image: app@${DIGEST}
            - name: writable
              image: app@${DIGEST}
              securityContext:
                readOnlyRootFilesystem: false
            - name: read-only
              image: app@${DIGEST}
              securityContext:
                readOnlyRootFilesystem: true
      `);
      expect(found(result, 'palisade/writable-root-filesystem')).to.deep.equal([
        { severity: 'warning', message: 'container "unset" does not set securityContext.readOnlyRootFilesystem: true', line: 7 },
        { severity: 'warning', message: 'container "writable" does not set securityContext.readOnlyRootFilesystem: true', line: 11 },
      ]);
    });
  });

  describe('palisade/runtime-socket-mount', function () {
    it('flags a hostPath of the Docker socket and of the containerd or CRI-O directory, at the volume, and not /var/log or a ConfigMap', function () {
      const result = scanOf(yaml`
        apiVersion: v1
        kind: Pod
        metadata:
          name: sockets
        spec:
          containers: []
          volumes:
            - name: docker
              hostPath: {path: /var/run/docker.sock, type: Socket}
            - name: logs
              hostPath: {path: /var/log}
            - name: containerd
              hostPath: {path: /run/containerd}
            - name: config
              configMap: {name: settings}
            - name: crio
              hostPath: {path: /var/run/crio/}
      `);
      expect(found(result, 'palisade/runtime-socket-mount')).to.deep.equal([
        { severity: 'error', message: 'volume "docker" mounts /var/run/docker.sock from the node, where the container runtime\'s socket is', line: 8 },
        { severity: 'error', message: 'volume "containerd" mounts /run/containerd from the node, where the container runtime\'s socket is', line: 12 },
        { severity: 'error', message: 'volume "crio" mounts /var/run/crio/ from the node, where the container runtime\'s socket is', line: 16 },
      ]);
    });
  });

  describe('palisade/service-account-token-automounted', function () {
    const result = scanOf(yaml`
      apiVersion: v1
      kind: ServiceAccount
      metadata:
        name: quiet
        namespace: team
      automountServiceAccountToken: false
      ---
      apiVersion: v1
      kind: Pod
      metadata:
        name: uses-quiet
        namespace: team
      spec:
        serviceAccountName: quiet
        containers: []
      ---
      apiVersion: v1
      kind: Pod
      metadata:
        name: overrides-quiet
        namespace: team
      spec:
        serviceAccountName: quiet
        automountServiceAccountToken: true
        containers: []
      ---
      apiVersion: v1
      kind: Pod
      metadata:
        name: opts-out
        namespace: team
      spec:
        automountServiceAccountToken: false
        containers: []
      ---
      apiVersion: v1
      kind: Pod
      metadata:
        name: defaults
        namespace: team
      spec:
        containers: []
      ---
      apiVersion: v1
      kind: Pod
      metadata:
        name: quiet-elsewhere
        namespace: other
      spec:
        serviceAccountName: quiet
        containers: []
    `);
    const byPod = (name: string) => result.findings.filter((finding) => finding.rule === 'palisade/service-account-token-automounted' && finding.object.name === name)
      .map(({ severity, message, location }) => ({ severity, message, line: location.line }));

    it('flags a pod that leaves the default ServiceAccount\'s token mounted, at its spec', function () {
      expect(byPod('defaults')).to.deep.equal([{
        severity: 'warning', line: 41,
        message: 'the pod mounts ServiceAccount default\'s token; set automountServiceAccountToken: false unless it calls the API server',
      }]);
    });

    it('passes a pod with automountServiceAccountToken: false', function () {
      expect(byPod('opts-out')).to.deep.equal([]);
    });

    it('passes a pod whose ServiceAccount, in the input and its namespace, sets automountServiceAccountToken: false', function () {
      expect(byPod('uses-quiet')).to.deep.equal([]);
    });

    it('flags a pod that sets automountServiceAccountToken: true over its ServiceAccount\'s false', function () {
      expect(byPod('overrides-quiet')).to.deep.equal([{
        severity: 'warning', line: 22,
        message: 'the pod mounts ServiceAccount quiet\'s token; set automountServiceAccountToken: false unless it calls the API server',
      }]);
    });

    it('flags a pod whose ServiceAccount of that name is only in another namespace', function () {
      expect(byPod('quiet-elsewhere').map(({ line }) => line)).to.deep.equal([49]);
    });

    it('reads the deprecated spec.serviceAccount as the pod\'s ServiceAccount when serviceAccountName is unset', function () {
      const alias = scanOf(yaml`
        apiVersion: v1
        kind: ServiceAccount
        metadata:
          name: quiet
        automountServiceAccountToken: false
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          name: alias
        spec:
          serviceAccount: quiet
          containers: []
      `);
      expect(found(alias, 'palisade/service-account-token-automounted')).to.deep.equal([]);
    });
  });

  describe('palisade/service-exposed-on-nodes', function () {
    it('flags NodePort and LoadBalancer Services at spec.type, and not ClusterIP or an unset type', function () {
      const result = scanOf(yaml`
        apiVersion: v1
        kind: Service
        metadata:
          name: node-port
        spec:
          type: NodePort
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: cloud
        spec:
          type: LoadBalancer
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: internal
        spec:
          type: ClusterIP
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: untyped
        spec:
          ports: [{port: 80}]
      `);
      expect(found(result, 'palisade/service-exposed-on-nodes')).to.deep.equal([
        { severity: 'warning', message: 'Service of type NodePort opens its pods on every node', line: 6 },
        { severity: 'warning', message: 'Service of type LoadBalancer opens its pods on every node and to a load balancer', line: 13 },
      ]);
      expect(result.objects.map(({ object, rules }) => [object.name, rules])).to.deep.equal(['node-port', 'cloud', 'internal', 'untyped']
        .map((name) => [name, ['palisade/service-exposed-on-nodes', 'palisade/invalid-scan-ignore']]));
    });
  });

  describe('RBAC roles', function () {
    const broad = scanOf(yaml`
      apiVersion: rbac.authorization.k8s.io/v1
      kind: ClusterRole
      metadata:
        name: broad
      rules:
        - apiGroups: ["*"]
          resources: ["*"]
          verbs: ["*"]
        - apiGroups: ["apps"]
          resources: ["deployments"]
          verbs: ["*"]
        - apiGroups: [""]
          resources: ["*"]
          verbs: ["get"]
        - apiGroups: ["rbac.authorization.k8s.io"]
          resources: ["clusterroles"]
          verbs: ["escalate", "bind"]
        - apiGroups: [""]
          resources: ["users", "groups", "serviceaccounts"]
          verbs: ["impersonate"]
    `);
    const narrow = scanOf(yaml`
      apiVersion: rbac.authorization.k8s.io/v1
      kind: Role
      metadata:
        name: debugger
        namespace: team
      rules:
        - apiGroups: [""]
          resources: ["pods/exec"]
          verbs: ["create"]
        - apiGroups: [""]
          resources: ["secrets"]
          verbs: ["list"]
        - apiGroups: [""]
          resources: ["configmaps", "pods", "pods/log"]
          verbs: ["get", "list", "watch"]
        - apiGroups: ["apps"]
          resources: ["deployments"]
          verbs: ["get", "update", "patch"]
    `);

    it('flags * in verbs or resources as palisade/rbac-wildcard, at the first field that has it', function () {
      expect(found(broad, 'palisade/rbac-wildcard')).to.deep.equal([
        { severity: 'error', message: 'rule grants * in verbs and resources', line: 8 },
        { severity: 'error', message: 'rule grants * in verbs', line: 11 },
        { severity: 'error', message: 'rule grants * in resources', line: 13 },
      ]);
      expect(found(narrow, 'palisade/rbac-wildcard')).to.deep.equal([]);
    });

    it('flags escalate, bind and impersonate as palisade/rbac-escalation-verbs, at the verbs', function () {
      expect(found(broad, 'palisade/rbac-escalation-verbs')).to.deep.equal([
        { severity: 'error', message: 'rule grants escalate, bind', line: 17 },
        { severity: 'error', message: 'rule grants impersonate', line: 20 },
      ]);
      expect(found(narrow, 'palisade/rbac-escalation-verbs')).to.deep.equal([]);
    });

    it('flags create on pods/exec, and * or get on every core resource, as palisade/rbac-pods-exec, at the rule', function () {
      expect(found(narrow, 'palisade/rbac-pods-exec')).to.deep.equal([{ severity: 'warning', message: 'rule grants exec or attach into pods, or the kubelet\'s API', line: 7 }]);
      expect(found(broad, 'palisade/rbac-pods-exec').map(({ line }) => line)).to.deep.equal([6, 12]);
    });

    it('flags list on secrets, and get on * in the core group, as palisade/rbac-secrets-read, and not list on configmaps', function () {
      expect(found(narrow, 'palisade/rbac-secrets-read')).to.deep.equal([{ severity: 'warning', message: 'rule reads Secrets', line: 10 }]);
      expect(found(broad, 'palisade/rbac-secrets-read').map(({ line }) => line)).to.deep.equal([6, 12]);
    });

    it('checks a Role and a ClusterRole against the four role rules', function () {
      for (const result of [broad, narrow]) {
        expect(result.objects[0]!.rules).to.deep.equal([
          'palisade/rbac-wildcard', 'palisade/rbac-escalation-verbs', 'palisade/rbac-pods-exec', 'palisade/rbac-secrets-read', 'palisade/invalid-scan-ignore',
        ]);
      }
    });
  });

  describe('RBAC bindings', function () {
    it('flags a binding to the ClusterRole cluster-admin at its roleRef, and each subject that is everyone at the subject', function () {
      const result = scanOf(yaml`
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata:
          name: everyone-admin
        roleRef:
          apiGroup: rbac.authorization.k8s.io
          kind: ClusterRole
          name: cluster-admin
        subjects:
          - kind: Group
            name: system:authenticated
          - kind: User
            name: alice
          - kind: User
            name: system:anonymous
          - kind: Group
            name: system:unauthenticated
      `);
      expect(found(result, 'palisade/rbac-cluster-admin-binding')).to.deep.equal([
        { severity: 'error', message: 'ClusterRoleBinding grants cluster-admin', line: 5 },
      ]);
      expect(found(result, 'palisade/rbac-broad-subject')).to.deep.equal([
        { severity: 'error', message: 'ClusterRoleBinding binds Group system:authenticated', line: 10 },
        { severity: 'error', message: 'ClusterRoleBinding binds User system:anonymous', line: 14 },
        { severity: 'error', message: 'ClusterRoleBinding binds Group system:unauthenticated', line: 16 },
      ]);
    });

    it('flags a RoleBinding to the ClusterRole cluster-admin too', function () {
      const result = scanOf(yaml`
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata:
          name: team-admin
          namespace: team
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
        subjects: [{kind: User, name: alice}]
      `);
      expect(found(result, 'palisade/rbac-cluster-admin-binding')).to.deep.equal([{ severity: 'error', message: 'RoleBinding grants cluster-admin', line: 6 }]);
      expect(found(result, 'palisade/rbac-broad-subject')).to.deep.equal([]);
    });

    it('finds nothing in bindings of named users and groups to other roles, a Role named cluster-admin included', function () {
      const result = scanOf(yaml`
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata:
          name: view
          namespace: team
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
        subjects: [{kind: User, name: alice}, {kind: Group, name: developers}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata:
          name: local
          namespace: team
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: cluster-admin}
        subjects: [{kind: ServiceAccount, name: builder, namespace: team}]
      `);
      expect(result.findings).to.deep.equal([]);
      expect(result.objects.map(({ rules }) => rules)).to.deep.equal([0, 1].map(() => [
        'palisade/rbac-cluster-admin-binding', 'palisade/rbac-broad-subject', 'palisade/invalid-scan-ignore',
      ]));
    });
  });

  describe('palisade/namespace-without-enforce-label', function () {
    const result = scanOf(yaml`
      apiVersion: v1
      kind: Namespace
      metadata:
        name: bare
      ---
      apiVersion: v1
      kind: Namespace
      metadata:
        name: labelled
        labels:
          pod-security.kubernetes.io/enforce: baseline
      ---
      apiVersion: v1
      kind: Namespace
      metadata:
        name: by-name
      ---
      apiVersion: v1
      kind: Namespace
      metadata:
        name: by-label
        labels:
          tenant: "yes"
      ---
      apiVersion: palisade.dev/v1alpha1
      kind: PodSecurityBaseline
      metadata:
        name: tenants
      spec:
        namespaces: [by-name]
        namespaceSelector:
          matchLabels: {tenant: "yes"}
        enforce: {level: baseline}
    `);

    it('flags a Namespace with no enforce label that no PodSecurityBaseline in the input selects, at its metadata', function () {
      expect(found(result, 'palisade/namespace-without-enforce-label')).to.deep.equal([{
        severity: 'warning', line: 3, message: 'Namespace bare has no pod-security.kubernetes.io/enforce label and no PodSecurityBaseline selects it',
      }]);
    });

    it('passes a Namespace with the enforce label, and ones a PodSecurityBaseline selects by name or by label', function () {
      const flagged = result.findings.filter((finding) => finding.rule === 'palisade/namespace-without-enforce-label').map(({ object }) => object.name);
      expect(flagged).to.deep.equal(['bare']);
      expect(result.objects.filter(({ object }) => object.kind === 'Namespace').map(({ object, rules }) => [object.name, rules])).to.deep.equal(
        ['bare', 'labelled', 'by-name', 'by-label'].map((name) => [name, ['palisade/namespace-without-enforce-label', 'palisade/namespace-without-default-deny', 'palisade/invalid-scan-ignore']]),
      );
    });

    it('checks the PodSecurityBaseline against no rule but invalid-scan-ignore', function () {
      expect(result.objects[4]).to.deep.include({ object: { apiVersion: 'palisade.dev/v1alpha1', kind: 'PodSecurityBaseline', name: 'tenants' }, rules: ['palisade/invalid-scan-ignore'] });
    });
  });

  describe('NetworkPolicy coverage', function () {
    /** The Namespace `team` and a Deployment of pods labelled app: web, after `policies`. */
    const withPolicies = (policies: string) => scanOf(`${policies}---\n${yaml`
      apiVersion: v1
      kind: Namespace
      metadata:
        name: team
        labels: {pod-security.kubernetes.io/enforce: privileged}
      ---
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: web
        namespace: team
      spec:
        selector: {matchLabels: {app: web}}
        template:
          metadata:
            labels: {app: web}
          spec:
            containers: []
    `}`);
    /** [pod-without-network-policy, namespace-without-default-deny] lines, relative to the Namespace's first line. */
    const coverage = (result: ScanResult) => {
      const start = result.objects.find(({ object }) => object.kind === 'Namespace')!.location.line;
      const lines = (rule: string) => found(result, rule).map(({ line }) => line - start + 1);
      return { pods: lines('palisade/pod-without-network-policy'), namespace: lines('palisade/namespace-without-default-deny') };
    };

    it('flags pods no NetworkPolicy selects at their template\'s metadata, and their Namespace at its metadata, when there is none', function () {
      const result = scanOf(yaml`
        apiVersion: v1
        kind: Namespace
        metadata:
          name: open
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          name: web
          namespace: open
        spec:
          containers: []
      `);
      expect(found(result, 'palisade/pod-without-network-policy')).to.deep.equal([
        { severity: 'warning', message: 'no NetworkPolicy in namespace open selects these pods for ingress', line: 8 },
      ]);
      expect(found(result, 'palisade/namespace-without-default-deny')).to.deep.equal([
        { severity: 'warning', message: 'no NetworkPolicy or NamespaceRingfence selects every pod of open for ingress', line: 3 },
      ]);
    });

    it('flags the pods when the only policy selects other labels', function () {
      const result = withPolicies(yaml`
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: api-only
          namespace: team
        spec:
          podSelector: {matchLabels: {app: api}}
          policyTypes: [Ingress]
      `);
      expect(coverage(result)).to.deep.equal({ pods: [15], namespace: [3] });
      expect(found(result, 'palisade/pod-without-network-policy')[0]!.message).to.equal('no NetworkPolicy in namespace team selects these pods for ingress');
    });

    it('passes the pods a policy selects by label, but not their Namespace, which still lacks a default deny', function () {
      const result = withPolicies(yaml`
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: web
          namespace: team
        spec:
          podSelector:
            matchExpressions: [{key: app, operator: In, values: [web, api]}]
          ingress: [{from: [{podSelector: {}}]}]
      `);
      expect(coverage(result)).to.deep.equal({ pods: [], namespace: [3] });
    });

    it('passes both pods and Namespace under an empty-podSelector default deny, policyTypes given or defaulted', function () {
      for (const policyTypes of ['policyTypes: [Ingress]', 'policyTypes: [Ingress, Egress]', 'egress: [{to: [{podSelector: {}}]}]']) {
        const result = withPolicies(yaml`
          apiVersion: networking.k8s.io/v1
          kind: NetworkPolicy
          metadata:
            name: default-deny
            namespace: team
          spec:
            podSelector: {}
            ${policyTypes}
        `);
        expect(coverage(result), policyTypes).to.deep.equal({ pods: [], namespace: [] });
      }
    });

    it('does not count an Egress-only policy for ingress', function () {
      const result = withPolicies(yaml`
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: egress-only
          namespace: team
        spec:
          podSelector: {}
          policyTypes: [Egress]
      `);
      expect(coverage(result)).to.deep.equal({ pods: [15], namespace: [3] });
    });

    it('does not count a default deny in another namespace', function () {
      const result = withPolicies(yaml`
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: default-deny
          namespace: elsewhere
        spec:
          podSelector: {}
      `);
      expect(coverage(result)).to.deep.equal({ pods: [15], namespace: [3] });
    });

    it('passes both pods and Namespace when a NamespaceRingfence is in the namespace', function () {
      const result = withPolicies(yaml`
        apiVersion: palisade.dev/v1alpha1
        kind: NamespaceRingfence
        metadata:
          name: fence
          namespace: team
        spec: {}
      `);
      expect(coverage(result)).to.deep.equal({ pods: [], namespace: [] });
    });
  });

  describe('workload kinds', function () {
    const POD_SPEC = ['containers:', '  - name: app', `    image: app@${DIGEST}`, '    securityContext:', '      privileged: true'];
    /** A workload whose pod template (its spec) is at `path`; its pod spec starts on line 5 + path.length. */
    const workload = (apiVersion: string, kind: string, path: string[]) => [
      `apiVersion: ${apiVersion}`, `kind: ${kind}`, 'metadata:', `  name: ${kind.toLowerCase()}`,
      ...[...path, 'spec'].map((key, depth) => `${'  '.repeat(depth)}${key}:`),
      ...POD_SPEC.map((line) => `${'  '.repeat(path.length + 1)}${line}`),
    ].join('\n');
    const KINDS: [apiVersion: string, kind: string, path: string[], specLine: number][] = [
      ['v1', 'Pod', [], 5],
      ['apps/v1', 'Deployment', ['spec', 'template'], 7],
      ['apps/v1', 'StatefulSet', ['spec', 'template'], 7],
      ['apps/v1', 'DaemonSet', ['spec', 'template'], 7],
      ['apps/v1', 'ReplicaSet', ['spec', 'template'], 7],
      ['batch/v1', 'Job', ['spec', 'template'], 7],
      ['batch/v1', 'CronJob', ['spec', 'jobTemplate', 'spec', 'template'], 9],
      ['v1', 'ReplicationController', ['spec', 'template'], 7],
    ];

    for (const [apiVersion, kind, path, specLine] of KINDS) {
      it(`checks the pod template of a ${apiVersion} ${kind}: a privileged container is pss/privileged at its securityContext`, function () {
        const result = scanOf(workload(apiVersion, kind, path));
        expect(found(result, 'pss/privileged')).to.deep.equal([
          { severity: 'error', message: 'privileged (container "app" must not set securityContext.privileged=true)', line: specLine + 4 },
        ]);
        expect(result.objects[0]!.rules).to.include.members(['pss/privileged', 'palisade/writable-root-filesystem', 'palisade/pod-without-network-policy']);
      });
    }

    it('checks no pod template of an object of another group with a workload\'s kind name', function () {
      for (const [, kind, path] of KINDS) {
        const result = scanOf(workload('example.com/v1', kind, path));
        expect(result.findings, kind).to.deep.equal([]);
        expect(result.objects, kind).to.deep.equal([{
          object: { apiVersion: 'example.com/v1', kind, name: kind.toLowerCase(), namespace: 'default' },
          location: { file: FILE, document: 1, line: 1 },
          rules: ['palisade/invalid-scan-ignore'],
        }]);
      }
    });
  });

  describe('what looks safe and is not, and what looks risky and is not', function () {
    it('counts no allow-all policy as a default deny, and no DryRun ringfence as a fence', function () {
      const result = scanOf(yaml`
        apiVersion: v1
        kind: Namespace
        metadata:
          name: open
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: allow-all, namespace: open}
        spec: {podSelector: {}, ingress: [{}]}
        ---
        apiVersion: v1
        kind: Namespace
        metadata:
          name: trial
        ---
        apiVersion: palisade.dev/v1alpha1
        kind: NamespaceRingfence
        metadata: {name: fence, namespace: trial}
        spec: {mode: DryRun}
      `);
      expect(found(result, 'palisade/namespace-without-default-deny').map(({ line }) => line)).to.deep.equal([3, 13]);
    });

    it('reads RBAC as the API server matches it: */exec, nodes/proxy, and Secrets by name', function () {
      const result = scanOf(yaml`
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata:
          name: debugger
        rules:
          - {apiGroups: [''], resources: ['*/exec'], verbs: [create]}
          - {apiGroups: [''], resources: [nodes/proxy], verbs: [get]}
          - {apiGroups: [''], resources: [secrets], resourceNames: [tls], verbs: [get]}
      `);
      expect(found(result, 'palisade/rbac-pods-exec').map(({ line }) => line)).to.deep.equal([6, 7]);
      expect(found(result, 'palisade/rbac-secrets-read')).to.deep.equal([{ severity: 'warning', message: 'rule reads Secrets named tls', line: 8 }]);
    });

    it('pins an image by any digest, and sees the runtime socket through a path written oddly', function () {
      const result = scanOf(yaml`
        apiVersion: v1
        kind: Pod
        metadata:
          name: agent
        spec:
          volumes:
            - {name: sock, hostPath: {path: /var/run//./docker.sock}}
            - {name: logs, hostPath: {path: /var/log}}
          containers:
            - name: agent
              image: agent@sha512:${'ab'.repeat(64)}
      `);
      expect(found(result, 'palisade/runtime-socket-mount').map(({ line }) => line)).to.deep.equal([7]);
      expect(found(result, 'palisade/image-without-digest')).to.deep.equal([]);
      expect(found(result, 'palisade/image-latest-tag')).to.deep.equal([]);
    });
  });
});

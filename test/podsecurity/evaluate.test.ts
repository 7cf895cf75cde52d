// The version differences of the Pod Security checks that are easiest to get wrong, each on both
// sides of the version that changes it. test/podsecurity/oracle.test.ts holds the whole against the
// official evaluator.
import { expect } from 'chai';
import { CHECKS, NEWEST_MINOR, evaluate, forbiddenDetail, minorOf, type PodSpec } from '../../src/podsecurity/index.ts';
import type { Level } from '../../src/podsecurity/types.ts';

/** A container restricted allows, at every version. */
const container = (name = 'app', securityContext: object = {}) => ({
  name,
  securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, ...securityContext },
});

/** A pod restricted allows at every version, with `spec` merged over it. */
const pod = (spec: PodSpec = {}, annotations?: Record<string, string>) => ({
  metadata: { name: 'p', ...(annotations ? { annotations } : {}) },
  spec: { containers: [container()], securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }, ...spec },
});

const failed = (subject: ReturnType<typeof pod>, level: Level, version: string) => evaluate(subject, { level, version }).failures.map(({ id }) => id);

describe('Pod Security checks by version', function () {
  it('has the 19 checks of the module, the newest change in v1.37', function () {
    expect(CHECKS.map(({ id }) => id)).to.have.length(19);
    expect(NEWEST_MINOR).to.equal(37);
    expect(minorOf('latest')).to.equal(37);
    expect(minorOf('v1.99'), 'newer than any change: the newest').to.equal(37);
    expect(() => minorOf('v1.01')).to.throw('must be "latest" or "v1.x"');
    expect(() => minorOf('1.30')).to.throw();
  });

  it('allows the compliant pod at every level and version', function () {
    for (const level of ['baseline', 'restricted'] as const) {
      for (let minor = 0; minor <= 38; minor++) expect(failed(pod(), level, `v1.${minor}`), `${level} v1.${minor}`).to.deep.equal([]);
    }
    expect(evaluate({}, { level: 'privileged', version: 'latest' })).to.deep.equal({ allowed: true, failures: [] });
  });

  it('grows the safe sysctls in v1.27, v1.29, v1.32 and v1.37', function () {
    const withSysctl = (name: string) => pod({ securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' }, sysctls: [{ name }] } });
    const firstAllowed = (name: string) => [...Array(39).keys()].find((minor) => failed(withSysctl(name), 'baseline', `v1.${minor}`).length === 0);
    expect(firstAllowed('kernel.shm_rmid_forced')).to.equal(0);
    expect(firstAllowed('net.ipv4.ip_local_reserved_ports')).to.equal(27);
    expect(firstAllowed('net.ipv4.tcp_keepalive_probes')).to.equal(29);
    expect(firstAllowed('net.ipv4.tcp_wmem')).to.equal(32);
    expect(firstAllowed('net.ipv4.tcp_notsent_lowat')).to.equal(37);
    expect(firstAllowed('kernel.msgmax')).to.equal(undefined);
    const forbidden = evaluate(withSysctl('kernel.msgmax'), { level: 'baseline', version: 'latest' });
    expect(forbidden.failures).to.deep.equal([{ id: 'sysctls', reason: 'forbidden sysctls', detail: 'kernel.msgmax' }]);
  });

  it('allows the SELinux type container_engine_t from v1.31, never a user or role', function () {
    const engine = pod({ containers: [container('app', { seLinuxOptions: { type: 'container_engine_t' } })] });
    expect(failed(engine, 'baseline', 'v1.30')).to.deep.equal(['seLinuxOptions']);
    expect(failed(engine, 'baseline', 'v1.31')).to.deep.equal([]);
    const user = pod({ containers: [container('app', { seLinuxOptions: { type: 'spc_t', user: 'root' } })] });
    expect(evaluate(user, { level: 'baseline', version: 'latest' }).failures[0]?.detail).to.equal(
      'container "app" set forbidden securityContext.seLinuxOptions: type "spc_t"; user may not be set',
    );
  });

  it('waives procMount in a user namespace from v1.35 in baseline, but not in restricted', function () {
    const unmasked = (hostUsers?: boolean) => pod({ ...(hostUsers === undefined ? {} : { hostUsers }), containers: [container('app', { procMount: 'Unmasked' })] });
    expect(failed(unmasked(false), 'baseline', 'v1.34')).to.deep.equal(['procMount']);
    expect(failed(unmasked(false), 'baseline', 'v1.35')).to.deep.equal([]);
    expect(failed(unmasked(true), 'baseline', 'v1.35')).to.deep.equal(['procMount']);
    expect(failed(unmasked(), 'baseline', 'v1.35')).to.deep.equal(['procMount']);
    expect(failed(unmasked(false), 'restricted', 'v1.34'), 'baseline check, before the override').to.deep.equal(['procMount']);
    expect(failed(unmasked(false), 'restricted', 'v1.35'), 'restricted override').to.deep.equal(['procMount_restricted']);
  });

  it('waives runAsNonRoot and runAsUser in a user namespace from v1.35', function () {
    const root = (hostUsers?: boolean) => pod({ ...(hostUsers === undefined ? {} : { hostUsers }), securityContext: { runAsUser: 0, seccompProfile: { type: 'RuntimeDefault' } } });
    expect(failed(root(false), 'restricted', 'v1.34')).to.deep.equal(['runAsNonRoot', 'runAsUser']);
    expect(failed(root(false), 'restricted', 'v1.35')).to.deep.equal([]);
    expect(failed(root(true), 'restricted', 'v1.35')).to.deep.equal(['runAsNonRoot', 'runAsUser']);
    expect(failed(root(), 'restricted', 'v1.22'), 'runAsUser starts at v1.23').to.deep.equal(['runAsNonRoot']);
  });

  it('checks probe and lifecycle hosts from v1.34', function () {
    const probing = pod({
      containers: [{ ...container('b'), livenessProbe: { httpGet: { host: 'x.example' } } }, { ...container('a'), lifecycle: { preStop: { tcpSocket: { host: '10.0.0.1' } } } }],
    });
    expect(failed(probing, 'baseline', 'v1.33')).to.deep.equal([]);
    expect(evaluate(probing, { level: 'baseline', version: 'v1.34' }).failures).to.deep.equal([
      { id: 'hostProbesAndHostLifecycle', reason: 'probe or lifecycle host', detail: 'containers "a", "b" use probe or lifecycle hosts "10.0.0.1", "x.example"' },
    ]);
  });

  it('requires allowPrivilegeEscalation=false from v1.8, except on Windows from v1.25', function () {
    const unset = (os?: string) => pod({ ...(os ? { os: { name: os } } : {}), containers: [{ name: 'app', securityContext: { capabilities: { drop: ['ALL'] } } }] });
    expect(failed(unset(), 'restricted', 'v1.7')).to.deep.equal([]);
    expect(failed(unset(), 'restricted', 'v1.8')).to.deep.equal(['allowPrivilegeEscalation']);
    expect(failed(unset('windows'), 'restricted', 'v1.24')).to.deep.equal(['allowPrivilegeEscalation']);
    expect(failed(unset('windows'), 'restricted', 'v1.25')).to.deep.equal([]);
    expect(failed(unset('linux'), 'restricted', 'v1.25')).to.deep.equal(['allowPrivilegeEscalation']);
  });

  it('reads seccomp from the annotations before v1.19 and from the field since, in baseline', function () {
    const annotated = pod({}, { 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined' });
    expect(evaluate(annotated, { level: 'baseline', version: 'v1.18' }).failures).to.deep.equal([
      { id: 'seccompProfile_baseline', reason: 'seccompProfile', detail: 'forbidden annotation seccomp.security.alpha.kubernetes.io/pod="unconfined"' },
    ]);
    expect(failed(annotated, 'baseline', 'v1.19')).to.deep.equal([]);
    const unconfined = pod({ securityContext: { runAsNonRoot: true, seccompProfile: { type: 'Unconfined' } } });
    expect(failed(unconfined, 'baseline', 'v1.18')).to.deep.equal([]);
    expect(failed(unconfined, 'baseline', 'v1.19')).to.deep.equal(['seccompProfile_baseline']);
  });

  it('runs a restricted check instead of the baseline check it overrides, from the version it starts', function () {
    const unconfined = pod({ securityContext: { runAsNonRoot: true, seccompProfile: { type: 'Unconfined' } } });
    expect(failed(unconfined, 'restricted', 'v1.19')).to.deep.equal(['seccompProfile_restricted']);
    const rawSocket = pod({ containers: [container('app', { capabilities: { add: ['NET_RAW'] } })] });
    expect(failed(rawSocket, 'restricted', 'v1.21'), 'before capabilities_restricted').to.deep.equal(['capabilities_baseline']);
    expect(failed(rawSocket, 'restricted', 'v1.22')).to.deep.equal(['capabilities_restricted']);
    const hostPath = pod({ volumes: [{ name: 'root', hostPath: { path: '/' } }] });
    expect(failed(hostPath, 'baseline', 'latest')).to.deep.equal(['hostPathVolumes']);
    expect(evaluate(hostPath, { level: 'restricted', version: 'v1.0' }).failures).to.deep.equal([
      { id: 'restrictedVolumes', reason: 'restricted volume types', detail: 'volume "root" uses restricted volume type "hostPath"' },
    ]);
  });

  it('lists failures baseline first, each group by ID, and writes them as admission does', function () {
    const bad = pod({ hostNetwork: true, containers: [{ name: 'app', securityContext: { privileged: true } }], securityContext: {} });
    const { failures } = evaluate(bad, { level: 'restricted', version: 'latest' });
    expect(failures.map(({ id }) => id)).to.deep.equal(['hostNamespaces', 'privileged', 'allowPrivilegeEscalation', 'capabilities_restricted', 'runAsNonRoot', 'seccompProfile_restricted']);
    expect(forbiddenDetail(failures.slice(0, 2))).to.equal('host namespaces (hostNetwork=true), privileged (container "app" must not set securityContext.privileged=true)');
  });

  it('words details as the module does: host ports sorted as text, annotation values quoted as Go quotes them', function () {
    const ports = pod({ containers: [{ ...container('a'), ports: [{ hostPort: 9 }, { hostPort: 10 }] }, { ...container('b'), ports: [{ hostPort: 9 }] }] });
    expect(evaluate(ports, { level: 'baseline', version: 'latest' }).failures[0]?.detail).to.equal('containers "a", "b" use hostPorts 10, 9');
    const annotated = pod({}, { 'container.apparmor.security.beta.kubernetes.io/app': 'unconfined\t"x"' });
    expect(evaluate(annotated, { level: 'baseline', version: 'latest' }).failures).to.deep.equal([
      {
        id: 'appArmorProfile',
        reason: 'forbidden AppArmor profile',
        // %q inside joinQuote's plain quotes: Go escapes the tab and the value's own quotes, nothing else.
        detail: String.raw`annotation must not set AppArmor profile type to "container.apparmor.security.beta.kubernetes.io/app="unconfined\t\"x\"""`,
      },
    ]);
  });

  it('applies the API server defaults: a volume with no source is an emptyDir, and a Pod’s ports under hostNetwork are host ports', function () {
    expect(failed(pod({ volumes: [{ name: 'scratch' }] }), 'restricted', 'latest')).to.deep.equal([]);
    const hostNetwork = pod({ hostNetwork: true, containers: [{ ...container(), ports: [{ containerPort: 8080 }] }] });
    expect(evaluate(hostNetwork, { level: 'baseline', version: 'latest', podObject: true }).failures.map(({ id, detail }) => `${id}: ${detail}`)).to.deep.equal([
      'hostNamespaces: hostNetwork=true',
      'hostPorts: container "app" uses hostPort 8080',
    ]);
    expect(failed(hostNetwork, 'baseline', 'latest'), 'a pod template: no host port default').to.deep.equal(['hostNamespaces']);
  });

  it('copies a Pod\'s AppArmor annotations to its containers\' fields, as the Pod strategy does, unless the field or the pod sets one', function () {
    const annotated = (spec: PodSpec, value: string) => pod(spec, { 'container.apparmor.security.beta.kubernetes.io/app': value });
    const detail = (subject: ReturnType<typeof pod>, podObject: boolean) =>
      forbiddenDetail(evaluate(subject, { level: 'baseline', version: 'latest', podObject }).failures);
    expect(detail(annotated({ containers: [container()] }, 'unconfined'), true)).to.equal(
      'forbidden AppArmor profiles (container "app" and annotation must not set AppArmor profile type to "Unconfined", "container.apparmor.security.beta.kubernetes.io/app="unconfined"")');
    expect(detail(annotated({ containers: [container()] }, 'unconfined'), false), 'a pod template').to.equal(
      'forbidden AppArmor profile (annotation must not set AppArmor profile type to "container.apparmor.security.beta.kubernetes.io/app="unconfined"")');
    const podUnconfined = { securityContext: { appArmorProfile: { type: 'Unconfined' } }, containers: [container()] };
    expect(detail(annotated(podUnconfined, 'unconfined'), true), 'the same profile as the pod\'s').to.equal(
      'forbidden AppArmor profiles (pod and annotation must not set AppArmor profile type to "Unconfined", "container.apparmor.security.beta.kubernetes.io/app="unconfined"")');
    expect(detail(annotated({ containers: [container('app', { appArmorProfile: { type: 'RuntimeDefault' } })] }, 'unconfined'), true), 'the field set').to.equal(
      'forbidden AppArmor profile (annotation must not set AppArmor profile type to "container.apparmor.security.beta.kubernetes.io/app="unconfined"")');
    expect(detail(annotated({ containers: [container()] }, 'localhost/ padded'), true), 'an invalid profile is not copied').to.equal('');
  });
});

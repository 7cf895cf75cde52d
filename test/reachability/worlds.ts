// Generated worlds for differential tests: random namespaces, labelled pods with named container
// ports and IPs, NetworkPolicies over every construct of the API (selectors with expressions,
// policyTypes written or defaulted, peers AND-ed and OR-ed, ipBlocks with except, named ports,
// endPort, three protocols), and connections to ask about. Seeded: the same worlds every run.
import { integer, pick, random, type Random } from '../../harness/random.ts';
import type { Connection, ContainerPort, NetworkPolicySource, PolicyPeer, PolicyPort, World, Workload } from '../../src/reachability/types.ts';
import { PROTOCOLS } from '../../src/reachability/ports.ts';
import type { LabelSelector } from '../../src/kubernetes/objects.ts';

export interface GeneratedCase {
  from: { workload: Workload } | { ip: string };
  to: { workload: Workload } | { ip: string };
  connection: Connection;
}

export interface GeneratedWorld {
  world: World;
  cases: GeneratedCase[];
}

export interface WorldOptions {
  /** Port entries with a protocol and no port (netpol-analyzer's eval reads them wrongly: see its named test). */
  protocolOnlyPorts: boolean;
  /** Named ports in egress rules (netpol-analyzer refuses a world where one may meet an address). */
  namedEgressPorts: boolean;
}

const ALL_CONSTRUCTS: WorldOptions = { protocolOnlyPorts: true, namedEgressPorts: true };

const KEYS = ['app', 'tier', 'team'];
const VALUES = ['a', 'b', 'c'];
const PORTS = [53, 80, 443, 8080];
const PORT_NAMES = ['http', 'dns', 'metrics'];
// Pods live in 10.1.0.0/16; "outside" addresses in 192.168.0.0/16 and 172.16.0.0/12.
const OUTSIDE = ['192.168.1.10', '192.168.2.20', '172.16.5.5', '8.8.8.8'];
const CIDRS = [['0.0.0.0/0', '192.168.0.0/16'], ['192.168.0.0/16', '192.168.1.0/24'], ['172.16.0.0/12'], ['192.168.2.0/24']];

function labels(next: Random): Record<string, string> {
  return Object.fromEntries(KEYS.filter(() => next() < 0.5).map((key) => [key, pick(next, VALUES)]));
}

function selector(next: Random): LabelSelector {
  const roll = next();
  if (roll < 0.3) return {};
  if (roll < 0.7) return { matchLabels: { [pick(next, KEYS)]: pick(next, VALUES) } };
  const operator = pick(next, ['In', 'NotIn', 'Exists', 'DoesNotExist']);
  const key = pick(next, KEYS);
  return { matchExpressions: [operator === 'In' || operator === 'NotIn' ? { key, operator, values: [pick(next, VALUES), pick(next, VALUES)] } : { key, operator }] };
}

function peer(next: Random, namespaces: string[]): PolicyPeer {
  const roll = next();
  if (roll < 0.2) {
    const [cidr = '', except] = pick(next, CIDRS);
    return { ipBlock: { cidr, ...(except ? { except: [except] } : {}) } };
  }
  if (roll < 0.45) return { podSelector: selector(next) };
  const namespaceSelector = next() < 0.5
    ? { matchLabels: { 'kubernetes.io/metadata.name': pick(next, namespaces) } }
    : selector(next);
  return roll < 0.7 ? { namespaceSelector } : { namespaceSelector, podSelector: selector(next) };
}

function port(next: Random, options: WorldOptions, named: boolean): PolicyPort {
  const protocol = next() < 0.7 ? 'TCP' : pick(next, PROTOCOLS);
  const withProtocol = next() < 0.5 || protocol !== 'TCP' ? { protocol } : {};
  const roll = next();
  if (roll < 0.15 && options.protocolOnlyPorts) return { protocol };
  if (roll < 0.35 && named) return { ...withProtocol, port: pick(next, PORT_NAMES) };
  if (roll < 0.5) return { ...withProtocol, port: 50, endPort: pick(next, [53, 80, 443]) };
  return { ...withProtocol, port: pick(next, PORTS) };
}

const some = <T>(next: Random, most: number, make: () => T): T[] => Array.from({ length: integer(next, most + 1) }, make);

function rules<Field extends 'from' | 'to'>(next: Random, field: Field, namespaces: string[], options: WorldOptions) {
  return some(next, 2, () => ({
    ...(next() < 0.75 ? { [field]: some(next, 2, () => peer(next, namespaces)) } : {}),
    ...(next() < 0.7 ? { ports: some(next, 2, () => port(next, options, field === 'from' || options.namedEgressPorts)) } : {}),
  }));
}

function policy(next: Random, namespace: string, index: number, namespaces: string[], options: WorldOptions): NetworkPolicySource {
  const types = pick(next, [undefined, ['Ingress'], ['Egress'], ['Ingress', 'Egress']]);
  const spec: NetworkPolicySource['spec'] = { podSelector: selector(next), ...(types ? { policyTypes: types } : {}) };
  if (next() < 0.7) spec.ingress = rules(next, 'from', namespaces, options);
  if (next() < 0.7) spec.egress = rules(next, 'to', namespaces, options);
  return { metadata: { name: `policy-${index}`, namespace }, spec };
}

function containerPorts(next: Random): ContainerPort[] {
  return PORT_NAMES.filter(() => next() < 0.5).map((name) => ({ name, containerPort: pick(next, PORTS), protocol: next() < 0.7 ? 'TCP' : pick(next, PROTOCOLS) }));
}

/** `worlds` worlds of up to 5 namespaces, with `cases` connections asked of each. */
export function generatedWorlds(seed: number, worlds: number, cases: number, options: Partial<WorldOptions> = {}): GeneratedWorld[] {
  const constructs = { ...ALL_CONSTRUCTS, ...options };
  const next = random(seed);
  return Array.from({ length: worlds }, (_, w) => {
    const names = Array.from({ length: 2 + integer(next, 4) }, (_, i) => `ns-${w}-${i}`);
    const namespaces = new Map(names.map((name) => [name, { ...labels(next), 'kubernetes.io/metadata.name': name }]));
    let ip = 10;
    const workloads: Workload[] = names.flatMap((namespace) => some(next, 3, () => ({
      namespace, kind: 'Pod', name: `pod-${ip}`, labels: labels(next), ip: `10.1.${w % 250}.${ip++}`, ports: containerPorts(next),
    })));
    let index = 0;
    const policies = names.flatMap((namespace) => some(next, 3, () => policy(next, namespace, index++, names, constructs)));
    const endpoint = () => (next() < 0.15 || workloads.length === 0 ? { ip: pick(next, OUTSIDE) } : { workload: pick(next, workloads) });
    const asked = Array.from({ length: cases }, (): GeneratedCase => {
      const from = endpoint();
      // At least one end is a pod (between two addresses no policy has anything to say), and two
      // ends differ (a pod's traffic to itself is never filtered: its own named test).
      let to = 'ip' in from && workloads.length > 0 ? { workload: pick(next, workloads) } : endpoint();
      if ('workload' in from && 'workload' in to && from.workload === to.workload) to = { ip: pick(next, OUTSIDE) };
      const protocol = next() < 0.6 ? 'TCP' : pick(next, PROTOCOLS);
      return { from, to, connection: { protocol, port: pick(next, [...PORTS, 51, 9090]) } };
    });
    return { world: { namespaces, workloads, policies }, cases: asked };
  });
}

// Baseline since v1.34: probes and lifecycle handlers must not reach another host
// (check_hostProbesAndhostLifecycle.go).
import { ALLOWED, forbidden, containersOf, joinQuote, nameOf, pluralize, sortedSet } from '../text.ts';
import type { CheckPod, Container, Handler } from '../types.ts';

/** The hosts a probe or handler names, httpGet's before tcpSocket's; an empty host is the pod's own. */
const hostsOf = (handler: Handler | null | undefined): string[] =>
  [handler?.httpGet?.host ?? '', handler?.tcpSocket?.host ?? ''].filter((host) => host !== '');

const handlersOf = (container: Container): (Handler | null | undefined)[] => [
  container.livenessProbe,
  container.readinessProbe,
  container.startupProbe,
  container.lifecycle?.postStart,
  container.lifecycle?.preStop,
];

export const hostProbesAndHostLifecycle: CheckPod = (_, spec) => {
  const badContainers: string[] = [];
  const hosts: string[] = [];
  for (const container of containersOf(spec)) {
    const named = handlersOf(container).flatMap(hostsOf);
    if (named.length === 0) continue;
    badContainers.push(nameOf(container));
    hosts.push(...named);
  }
  if (badContainers.length === 0) return ALLOWED;
  // Unlike the other checks, this one collects its containers in a set: distinct and sorted.
  const containers = sortedSet(badContainers);
  const distinctHosts = sortedSet(hosts);
  return forbidden(
    'probe or lifecycle host',
    `${pluralize('container', 'containers', containers.length)} ${joinQuote(containers)} ${pluralize('uses', 'use', containers.length)} ` +
      `${pluralize('probe or lifecycle host', 'probe or lifecycle hosts', distinctHosts.length)} ${joinQuote(distinctHosts)}`,
  );
};

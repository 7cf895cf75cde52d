// Baseline checks on sharing the node: its namespaces, its ports, and Windows host processes
// (check_hostNamespaces.go, check_hostPorts.go, check_windowsHostProcess.go).
import { ALLOWED, containersOf, containersPhrase, forbidden, nameOf, pluralize, setters, sortedSet } from '../text.ts';
import type { CheckPod } from '../types.ts';

export const hostNamespaces: CheckPod = (_, spec) => {
  const shared = [
    spec.hostNetwork === true ? 'hostNetwork=true' : [],
    spec.hostPID === true ? 'hostPID=true' : [],
    spec.hostIPC === true ? 'hostIPC=true' : [],
  ].flat();
  return shared.length > 0 ? forbidden('host namespaces', shared.join(', ')) : ALLOWED;
};

export const hostPorts: CheckPod = (_, spec) => {
  const badContainers: string[] = [];
  const ports: string[] = [];
  for (const container of containersOf(spec)) {
    const used = (container.ports ?? []).map((port) => port.hostPort ?? 0).filter((port) => port !== 0);
    if (used.length === 0) continue;
    badContainers.push(nameOf(container));
    ports.push(...used.map(String));
  }
  if (badContainers.length === 0) return ALLOWED;
  // Go sorts the ports as strings: "10" before "9".
  const distinct = sortedSet(ports);
  const verb = pluralize('uses', 'use', badContainers.length);
  return forbidden('hostPort', `${containersPhrase(badContainers)} ${verb} ${pluralize('hostPort', 'hostPorts', distinct.length)} ${distinct.join(', ')}`);
};

export const windowsHostProcess: CheckPod = (_, spec) => {
  const badContainers = containersOf(spec).filter((container) => container.securityContext?.windowsOptions?.hostProcess === true).map(nameOf);
  const bad = setters(spec.securityContext?.windowsOptions?.hostProcess === true, badContainers);
  if (bad.length === 0) return ALLOWED;
  return forbidden('hostProcess', `${bad.join(' and ')} must not set securityContext.windowsOptions.hostProcess=true`);
};

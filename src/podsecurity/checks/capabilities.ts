// Linux capabilities: baseline allows adding only the container runtimes' default set; restricted
// (since v1.22) requires dropping ALL and allows adding only NET_BIND_SERVICE
// (check_capabilities_baseline.go, check_capabilities_restricted.go).
import { ALLOWED, containersOf, containersPhrase, forbidden, joinQuote, nameOf, sortedSet } from '../text.ts';
import type { CheckPod, Container } from '../types.ts';

const RUNTIME_DEFAULT = new Set([
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD',
  'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
]);

const added = (container: Container): string[] => container.securityContext?.capabilities?.add ?? [];

/** The containers that add a capability `allowed` refuses, and those capabilities. */
function forbiddenAdds(containers: Container[], allowed: (capability: string) => boolean): { names: string[]; capabilities: string[] } {
  const names: string[] = [];
  const capabilities: string[] = [];
  for (const container of containers) {
    const refused = added(container).filter((capability) => !allowed(capability));
    if (refused.length === 0) continue;
    names.push(nameOf(container));
    capabilities.push(...refused);
  }
  return { names, capabilities: sortedSet(capabilities) };
}

const addPhrase = ({ names, capabilities }: { names: string[]; capabilities: string[] }): string =>
  `${containersPhrase(names)} must not include ${joinQuote(capabilities)} in securityContext.capabilities.add`;

export const capabilitiesBaseline: CheckPod = (_, spec) => {
  const adds = forbiddenAdds(containersOf(spec), (capability) => RUNTIME_DEFAULT.has(capability));
  return adds.names.length > 0 ? forbidden('non-default capabilities', addPhrase(adds)) : ALLOWED;
};

export const capabilitiesRestricted: CheckPod = (_, spec) => {
  const containers = containersOf(spec);
  const missingDropAll = containers.filter((container) => !(container.securityContext?.capabilities?.drop ?? []).includes('ALL')).map(nameOf);
  const adds = forbiddenAdds(containers, (capability) => capability === 'NET_BIND_SERVICE');
  const details = [
    ...(missingDropAll.length > 0 ? [`${containersPhrase(missingDropAll)} must set securityContext.capabilities.drop=["ALL"]`] : []),
    ...(adds.names.length > 0 ? [addPhrase(adds)] : []),
  ];
  return details.length > 0 ? forbidden('unrestricted capabilities', details.join('; ')) : ALLOWED;
};

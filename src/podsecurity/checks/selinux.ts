// Baseline: SELinux may only pick one of the container types, never a user or a role; v1.31 adds
// container_engine_t to the types (check_seLinuxOptions.go).
import { ALLOWED, containersOf, forbidden, joinQuote, nameOf, pluralize, setters, sortedSet } from '../text.ts';
import type { CheckPod, SELinuxOptions } from '../types.ts';

const TYPES_V1_0 = ['', 'container_t', 'container_init_t', 'container_kvm_t'];
const TYPES_V1_31 = [...TYPES_V1_0, 'container_engine_t'];

function seLinuxOptions(allowedTypes: readonly string[]): CheckPod {
  return (_, spec) => {
    const badTypes: string[] = [];
    let setUser = false;
    let setRole = false;
    const refuses = (options: SELinuxOptions | null | undefined): boolean => {
      if (!options) return false;
      const type = options.type ?? '';
      const badType = !allowedTypes.includes(type);
      if (badType) badTypes.push(type);
      const user = (options.user ?? '') !== '';
      const role = (options.role ?? '') !== '';
      setUser ||= user;
      setRole ||= role;
      return badType || user || role;
    };
    const podBad = refuses(spec.securityContext?.seLinuxOptions);
    const bad = setters(podBad, containersOf(spec).filter((container) => refuses(container.securityContext?.seLinuxOptions)).map(nameOf));
    if (bad.length === 0) return ALLOWED;
    const types = sortedSet(badTypes);
    const what = [
      ...(types.length > 0 ? [`${pluralize('type', 'types', types.length)} ${joinQuote(types)}`] : []),
      ...(setUser ? ['user may not be set'] : []),
      ...(setRole ? ['role may not be set'] : []),
    ];
    return forbidden('seLinuxOptions', `${bad.join(' and ')} set forbidden securityContext.seLinuxOptions: ${what.join('; ')}`);
  };
}

export const seLinuxOptionsV1_0 = seLinuxOptions(TYPES_V1_0);
export const seLinuxOptionsV1_31 = seLinuxOptions(TYPES_V1_31);

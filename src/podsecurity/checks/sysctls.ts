// Baseline: only the sysctls that are namespaced and isolated from other pods; the safe set grows
// in v1.27, v1.29, v1.32 and v1.37 (check_sysctls.go).
import { ALLOWED, forbidden } from '../text.ts';
import type { CheckPod } from '../types.ts';

const SAFE_V1_0 = [
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start',
];
const SAFE_V1_27 = [...SAFE_V1_0, 'net.ipv4.ip_local_reserved_ports'];
const SAFE_V1_29 = [...SAFE_V1_27, 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes'];
const SAFE_V1_32 = [...SAFE_V1_29, 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem'];
const SAFE_V1_37 = [...SAFE_V1_32, 'net.ipv4.tcp_slow_start_after_idle', 'net.ipv4.tcp_notsent_lowat'];

function sysctls(safe: readonly string[]): CheckPod {
  const allowed = new Set(safe);
  return (_, spec) => {
    // In the pod's order, repeats kept, as the module lists them.
    const refused = (spec.securityContext?.sysctls ?? []).map((sysctl) => sysctl.name ?? '').filter((name) => !allowed.has(name));
    return refused.length > 0 ? forbidden('forbidden sysctls', refused.join(', ')) : ALLOWED;
  };
}

export const sysctlsV1_0 = sysctls(SAFE_V1_0);
export const sysctlsV1_27 = sysctls(SAFE_V1_27);
export const sysctlsV1_29 = sysctls(SAFE_V1_29);
export const sysctlsV1_32 = sysctls(SAFE_V1_32);
export const sysctlsV1_37 = sysctls(SAFE_V1_37);

// The 19 checks of k8s.io/pod-security-admission v0.37.2 (policy.DefaultChecks()), each with the
// policy versions from which each of its revisions applies, as the module registers them. A
// restricted revision may override baseline checks: a restricted evaluation then runs it instead.
import { appArmorProfile } from './checks/apparmor.ts';
import { capabilitiesBaseline, capabilitiesRestricted } from './checks/capabilities.ts';
import { hostNamespaces, hostPorts, windowsHostProcess } from './checks/host-access.ts';
import { hostProbesAndHostLifecycle } from './checks/host-probes.ts';
import { allowPrivilegeEscalation, privileged } from './checks/privileged.ts';
import { procMount } from './checks/proc-mount.ts';
import { runAsNonRoot, runAsUser } from './checks/run-as.ts';
import { seccompProfileBaselineV1_0, seccompProfileBaselineV1_19, seccompProfileRestricted } from './checks/seccomp.ts';
import { seLinuxOptionsV1_0, seLinuxOptionsV1_31 } from './checks/selinux.ts';
import { sysctlsV1_0, sysctlsV1_27, sysctlsV1_29, sysctlsV1_32, sysctlsV1_37 } from './checks/sysctls.ts';
import { hostPathVolumes, restrictedVolumes } from './checks/volumes.ts';
import { inUserNamespace, isWindows, unless } from './relaxations.ts';
import type { CheckPod } from './types.ts';

export interface Revision {
  /** The first v1 minor version this revision applies to. */
  since: number;
  check: CheckPod;
  /** Baseline checks a restricted evaluation skips when this revision applies. */
  overrides?: readonly string[];
}

export interface Check {
  id: string;
  level: 'baseline' | 'restricted';
  /** Every ForbiddenReason it gives: how admission's warnings name it (test/podsecurity/oracle.test.ts holds this to the module's). */
  reasons: readonly string[];
  /** By increasing `since`. */
  revisions: readonly Revision[];
}

const always = (check: CheckPod): Revision[] => [{ since: 0, check }];

export const CHECKS: readonly Check[] = [
  { id: 'appArmorProfile', level: 'baseline', reasons: ['forbidden AppArmor profile', 'forbidden AppArmor profiles'], revisions: always(appArmorProfile) },
  { id: 'capabilities_baseline', level: 'baseline', reasons: ['non-default capabilities'], revisions: always(capabilitiesBaseline) },
  { id: 'hostNamespaces', level: 'baseline', reasons: ['host namespaces'], revisions: always(hostNamespaces) },
  { id: 'hostPathVolumes', level: 'baseline', reasons: ['hostPath volumes'], revisions: always(hostPathVolumes) },
  { id: 'hostPorts', level: 'baseline', reasons: ['hostPort'], revisions: always(hostPorts) },
  { id: 'hostProbesAndHostLifecycle', level: 'baseline', reasons: ['probe or lifecycle host'], revisions: [{ since: 34, check: hostProbesAndHostLifecycle }] },
  { id: 'privileged', level: 'baseline', reasons: ['privileged'], revisions: always(privileged) },
  {
    id: 'procMount',
    level: 'baseline',
    reasons: ['procMount'],
    revisions: [
      { since: 0, check: procMount },
      { since: 35, check: unless(inUserNamespace, procMount) },
    ],
  },
  {
    id: 'seLinuxOptions',
    level: 'baseline',
    reasons: ['seLinuxOptions'],
    revisions: [
      { since: 0, check: seLinuxOptionsV1_0 },
      { since: 31, check: seLinuxOptionsV1_31 },
    ],
  },
  {
    id: 'seccompProfile_baseline',
    level: 'baseline',
    reasons: ['seccompProfile'],
    revisions: [
      { since: 0, check: seccompProfileBaselineV1_0 },
      { since: 19, check: seccompProfileBaselineV1_19 },
    ],
  },
  {
    id: 'sysctls',
    level: 'baseline',
    reasons: ['forbidden sysctls'],
    revisions: [
      { since: 0, check: sysctlsV1_0 },
      { since: 27, check: sysctlsV1_27 },
      { since: 29, check: sysctlsV1_29 },
      { since: 32, check: sysctlsV1_32 },
      { since: 37, check: sysctlsV1_37 },
    ],
  },
  { id: 'windowsHostProcess', level: 'baseline', reasons: ['hostProcess'], revisions: always(windowsHostProcess) },
  {
    id: 'allowPrivilegeEscalation',
    level: 'restricted',
    reasons: ['allowPrivilegeEscalation != false'],
    revisions: [
      { since: 8, check: allowPrivilegeEscalation },
      { since: 25, check: unless(isWindows, allowPrivilegeEscalation) },
    ],
  },
  {
    id: 'capabilities_restricted',
    level: 'restricted',
    reasons: ['unrestricted capabilities'],
    revisions: [
      { since: 22, check: capabilitiesRestricted, overrides: ['capabilities_baseline'] },
      { since: 25, check: unless(isWindows, capabilitiesRestricted), overrides: ['capabilities_baseline'] },
    ],
  },
  // From v1.35 baseline waives procMount in a user namespace; restricted keeps the unconditional check.
  { id: 'procMount_restricted', level: 'restricted', reasons: ['procMount'], revisions: [{ since: 35, check: procMount, overrides: ['procMount'] }] },
  { id: 'restrictedVolumes', level: 'restricted', reasons: ['restricted volume types'], revisions: [{ since: 0, check: restrictedVolumes, overrides: ['hostPathVolumes'] }] },
  {
    id: 'runAsNonRoot',
    level: 'restricted',
    reasons: ['runAsNonRoot != true'],
    revisions: [
      { since: 0, check: runAsNonRoot },
      { since: 35, check: unless(inUserNamespace, runAsNonRoot) },
    ],
  },
  {
    id: 'runAsUser',
    level: 'restricted',
    reasons: ['runAsUser=0'],
    revisions: [
      { since: 23, check: runAsUser },
      { since: 35, check: unless(inUserNamespace, runAsUser) },
    ],
  },
  {
    id: 'seccompProfile_restricted',
    level: 'restricted',
    reasons: ['seccompProfile'],
    revisions: [
      { since: 19, check: seccompProfileRestricted, overrides: ['seccompProfile_baseline'] },
      { since: 25, check: unless(isWindows, seccompProfileRestricted), overrides: ['seccompProfile_baseline'] },
    ],
  },
];

/** The newest policy version any check changes in: "latest", and any newer version, evaluate as this one. */
export const NEWEST_MINOR = Math.max(...CHECKS.map((check) => check.revisions.at(-1)!.since));

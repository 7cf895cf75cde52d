// The parts of a Pod (or of a workload's pod template) that Pod Security reads, as the API
// serves them. Structural, so that any parsed manifest fits; a field may be null where the
// manifest wrote `null`, which every check reads as Go reads a nil pointer: not set.

export const PSA_LEVELS = ['privileged', 'baseline', 'restricted'] as const;
export const PSA_MODES = ['enforce', 'audit', 'warn'] as const;

export type Level = (typeof PSA_LEVELS)[number];

export interface PodMetadata {
  name?: string | null;
  annotations?: Record<string, string | null> | null;
}

export interface PodSpec {
  hostNetwork?: boolean | null;
  hostPID?: boolean | null;
  hostIPC?: boolean | null;
  hostUsers?: boolean | null;
  os?: { name?: string | null } | null;
  securityContext?: PodSecurityContext | null;
  containers?: Container[] | null;
  initContainers?: Container[] | null;
  ephemeralContainers?: Container[] | null;
  volumes?: Volume[] | null;
}

/** A named profile, as seccompProfile and appArmorProfile are written. */
export interface Profile {
  type?: string | null;
  localhostProfile?: string | null;
}

export interface SELinuxOptions {
  user?: string | null;
  role?: string | null;
  type?: string | null;
}

/** What the pod-level and the container-level security contexts share. */
interface CommonSecurityContext {
  runAsNonRoot?: boolean | null;
  runAsUser?: number | null;
  seccompProfile?: Profile | null;
  appArmorProfile?: Profile | null;
  seLinuxOptions?: SELinuxOptions | null;
  windowsOptions?: { hostProcess?: boolean | null } | null;
}

export interface PodSecurityContext extends CommonSecurityContext {
  sysctls?: { name?: string | null }[] | null;
}

export interface SecurityContext extends CommonSecurityContext {
  privileged?: boolean | null;
  allowPrivilegeEscalation?: boolean | null;
  capabilities?: { add?: string[] | null; drop?: string[] | null } | null;
  procMount?: string | null;
}

/** Where a probe or lifecycle handler connects: only `host` matters here. */
export interface Handler {
  httpGet?: { host?: string | null } | null;
  tcpSocket?: { host?: string | null } | null;
}

export interface Container {
  name?: string | null;
  ports?: { containerPort?: number | null; hostPort?: number | null }[] | null;
  securityContext?: SecurityContext | null;
  livenessProbe?: Handler | null;
  readinessProbe?: Handler | null;
  startupProbe?: Handler | null;
  lifecycle?: { postStart?: Handler | null; preStop?: Handler | null } | null;
}

/** A volume: its name and at most one source, each an object (what is in it does not matter here). */
export type Volume = { name?: string | null } & { [source: string]: unknown };

/** One check's verdict, with the module's ForbiddenReason and ForbiddenDetail when it forbids. */
export type CheckResult = { allowed: true } | { allowed: false; reason: string; detail: string };

export type CheckPod = (metadata: PodMetadata, spec: PodSpec) => CheckResult;

// What `palisade scan` finds, and where: the shapes the checks produce and the reports print.
import type { Level } from '../podsecurity/index.ts';

/** `--fail-on` compares against these, in this order. */
export const SEVERITIES = ['warning', 'error'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Rule {
  /** `pss/<CheckID>` for Pod Security, `palisade/<name>` for the rest. */
  id: string;
  severity: Severity;
  /** One line: what the rule flags. */
  title: string;
  /** Why it matters and what to do instead. */
  help: string;
  /** Where to read more. */
  helpUri: string;
}

/** Where an object, or one of its fields, is written. */
export interface Location {
  /** The path as given, or "stdin", or "cluster" for a live object. */
  file: string;
  /** 1-based, among the file's non-empty documents (0 for a live object). */
  document: number;
  /** 1-based (0 for a live object). */
  line: number;
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface Finding {
  rule: string;
  severity: Severity;
  /** What is wrong here, in one line; for Pod Security, admission's own words ("host ports (8080)"). */
  message: string;
  object: ObjectRef;
  location: Location;
  /** The reason given in palisade.dev/scan-ignore, when the finding is suppressed. */
  suppressed?: string;
}

/** An object the scan looked at: which rules it was checked against, and the Pod Security policy it was held to. */
export interface ScannedObject {
  object: ObjectRef;
  location: Location;
  rules: readonly string[];
  podSecurity?: PodSecurityTarget;
}

export interface PodSecurityTarget {
  /** Privileged when the namespace enforces nothing: then no check applies. */
  level: Level;
  /** "latest" or "v1.N". */
  version: string;
  /** How it was chosen: the flag, the namespace's enforce label, the PodSecurityBaseline that selects it, or the default. */
  from: string;
}

export interface ScanResult {
  objects: ScannedObject[];
  /** Sorted by file, document, line, then rule. */
  findings: Finding[];
  /** Every rule a finding names, and every rule an object was checked against. */
  rules: readonly Rule[];
}

/** `namespace/Kind/name`, or `Kind/name` for a cluster-scoped object: the logical location in SARIF too. */
export const refName = ({ kind, name, namespace }: ObjectRef): string => `${namespace ? `${namespace}/` : ''}${kind}/${name}`;

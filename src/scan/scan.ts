// One scan: every object checked by every check that reads it, against what the whole input says
// of namespaces, then the findings suppressed where the manifest says why. Pure: the CLI reads the
// objects (files or a cluster) and prints the result.
import { compareNames } from '../kubernetes/order.ts';
import { bindings, roleRules } from './checks/rbac.ts';
import type { Check, Issue, Outcome } from './checks/check.ts';
import { containerChecks } from './checks/containers.ts';
import { namespaceWithoutEnforce } from './checks/namespaces.ts';
import { namespaceWithoutDefaultDeny, podsWithoutNetworkPolicy } from './checks/network-policies.ts';
import { podSecurity } from './checks/pod-security.ts';
import { exposedServices } from './checks/services.ts';
import { scanContext, type ScanContext, type ScanOptions } from './context.ts';
import type { Subject } from './objects.ts';
import type { KubeObject } from '../kubernetes/manifest-objects.ts';
import { PALISADE_RULES } from './rules.ts';
import { InputError } from './subjects.ts';
import { suppressionsOf } from './suppression.ts';
import type { PalisadeValidator } from './palisade-resources.ts';
import { assertReadable } from './validate.ts';
import { refName, type Finding, type Rule, type ScannedObject, type ScanResult } from './types.ts';

const CHECKS: readonly Check[] = [
  podSecurity, containerChecks, podsWithoutNetworkPolicy, namespaceWithoutEnforce, namespaceWithoutDefaultDeny, exposedServices, roleRules, bindings,
];

function scanOne(subject: Subject, context: ScanContext, rules: Map<string, Rule>): { scanned: ScannedObject; findings: Finding[] } {
  const outcomes = CHECKS.map((check) => check(subject, context)).filter((outcome): outcome is Outcome => outcome !== undefined);
  const suppressions = suppressionsOf(subject.value);
  const checked = [...outcomes.flatMap((outcome) => outcome.rules), PALISADE_RULES.invalidIgnore];
  for (const rule of checked) rules.set(rule.id, rule);
  const toFinding = ({ rule, message, path }: Issue): Finding => {
    const reason = suppressions.reasons.get(rule.id);
    return {
      rule: rule.id, severity: rule.severity, message, object: subject.ref,
      location: { ...subject.location, line: subject.lineOf(path) },
      ...(reason === undefined ? {} : { suppressed: reason }),
    };
  };
  const podSecurityTarget = outcomes.find((outcome) => outcome.podSecurity)?.podSecurity;
  return {
    scanned: { object: subject.ref, location: subject.location, rules: [...new Set(checked.map((rule) => rule.id))], ...(podSecurityTarget ? { podSecurity: podSecurityTarget } : {}) },
    findings: [...outcomes.flatMap((outcome) => outcome.issues), ...suppressions.issues].map(toFinding),
  };
}

/** A field of the wrong type (a string where the API has a list) is bad input, named as such, never a crash. */
function readable<T>(subject: Subject, run: () => T): T {
  try {
    return run();
  } catch (error) {
    const { file, document, line } = subject.location;
    throw new InputError(`${file}: document ${document} (line ${line}): ${refName(subject.ref)} is not a valid ${subject.ref.kind}: ${(error as Error).message}`);
  }
}


const compareFindings = (a: Finding, b: Finding) => compareNames(a.location.file, b.location.file)
  || a.location.document - b.location.document || a.location.line - b.location.line || compareNames(a.rule, b.rule);

/**
 * `validatePalisade` (src/scan/palisade-resources.ts) is needed only when the input has Palisade
 * resources: the caller loads it then. `around`: objects read for what they say of namespaces
 * (a cluster's, around the manifests about to be applied to it), not checked themselves; the
 * input's own win over them.
 */
export function scan(subjects: readonly Subject[], options: ScanOptions, validatePalisade?: PalisadeValidator, around: readonly KubeObject[] = []): ScanResult {
  assertReadable(subjects, validatePalisade);
  const context = scanContext([...around, ...subjects.map((subject) => subject.value)], options);
  const rules = new Map<string, Rule>();
  const objects: ScannedObject[] = [];
  const findings: Finding[] = [];
  for (const subject of subjects) {
    const { scanned, findings: found } = readable(subject, () => scanOne(subject, context, rules));
    objects.push(scanned);
    findings.push(...found);
  }
  return { objects, findings: findings.sort(compareFindings), rules: [...rules.values()].sort((a, b) => compareNames(a.id, b.id)) };
}

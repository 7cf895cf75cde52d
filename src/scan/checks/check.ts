// The shape of every check: what it looked for in one object, and what it found there.
import type { FieldPath } from '../../api/manifest-lines.ts';
import type { ScanContext } from '../context.ts';
import type { Subject } from '../objects.ts';
import type { PodSecurityTarget, Rule } from '../types.ts';

export interface Issue {
  rule: Rule;
  message: string;
  /** The field at fault (or where it is missing), from the object's root. */
  path: FieldPath;
}

export interface Outcome {
  /** Every rule the object was checked against, found or not: JUnit lists each as a test case. */
  rules: readonly Rule[];
  issues: Issue[];
  podSecurity?: PodSecurityTarget;
}

/** Undefined when the object is not one the check reads. */
export type Check = (subject: Subject, context: ScanContext) => Outcome | undefined;

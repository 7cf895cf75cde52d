// Which reconcile the work in progress is for. A write's answer is cached ahead of its watch event
// (Informer.assume), whose echo then tells nobody: handlers hear of the write from the answer
// instead, told who made it, so that a reconcile is not started again by its own write while every
// other request it maps to is. A watch event can also come before the answer: the reconcile keeps
// the versions its writes were answered with, so that the controller can tell that echo too.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { KubeObject } from './client.ts';

/** A reconcile: its controller, and the key of the request it works on. */
export interface Writer {
  controller: string;
  request: string;
}

/**
 * A reconcile in progress, with the versions (versionOf) its writes have been answered with so far.
 * An answer is the object as it stands after the write: a write that changed nothing (someone else
 * had just made the object so) answers with that someone's version, which is then taken for this
 * reconcile's, as Informer.assume takes it. What else that version changed, the reconcile hears of
 * at its next pass, not at once: the price of not reconciling twice for each write.
 */
export interface Reconciling {
  readonly writer: Writer;
  readonly answered: Set<string>;
}

const current = new AsyncLocalStorage<Reconciling>();

/** Runs `work` as `reconciling`'s: the writes it makes are that reconcile's. */
export function asWriter<T>(reconciling: Reconciling, work: () => Promise<T>): Promise<T> {
  return current.run(reconciling, work);
}

/** The reconcile whose work this is, if any. */
export function currentWriter(): Writer | undefined {
  return current.getStore()?.writer;
}

/** One version of one object: its uid and resourceVersion. */
export const versionOf = ({ metadata: { uid, resourceVersion } }: KubeObject): string => `${uid}@${resourceVersion}`;

/** `written` is the answer to a write of the reconcile whose work this is, if any. */
export function noteAnswer(written: KubeObject): void {
  current.getStore()?.answered.add(versionOf(written));
}

// Which reconcile the work in progress is for. A write's answer is cached ahead of its watch event
// (Informer.assume), whose echo then tells nobody: handlers hear of the write from the answer
// instead, told who made it, so that a reconcile is not started again by its own write while every
// other request it maps to is.
import { AsyncLocalStorage } from 'node:async_hooks';

/** A reconcile: its controller, and the key of the request it works on. */
export interface Writer {
  controller: string;
  request: string;
}

const current = new AsyncLocalStorage<Writer>();

/** Runs `work` as `writer`'s: the writes it makes are that reconcile's. */
export function asWriter<T>(writer: Writer, work: () => Promise<T>): Promise<T> {
  return current.run(writer, work);
}

/** The reconcile whose work this is, if any. */
export function currentWriter(): Writer | undefined {
  return current.getStore();
}

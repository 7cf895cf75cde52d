// Policy versions as the pod-security.kubernetes.io/*-version labels write them: "latest" or
// "v1.N" (api.ParseVersion). Versions newer than any check's change evaluate as the newest.
import { NEWEST_MINOR } from './registry.ts';

const VERSION = /^v1\.([0-9]|[1-9][0-9]*)$/;

export const isVersion = (text: string): boolean => text === 'latest' || VERSION.test(text);

/** The v1 minor version whose checks `version` runs. */
export function minorOf(version: string): number {
  if (version === 'latest') return NEWEST_MINOR;
  const match = VERSION.exec(version);
  if (!match) throw new Error(`Pod Security version ${JSON.stringify(version)}: must be "latest" or "v1.x"`);
  return Math.min(Number(match[1]), NEWEST_MINOR);
}

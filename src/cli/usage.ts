/** A mistake in how the command was called: its message is for the user, and the exit code is 2. */
export class UsageError extends Error {}

/** A flag's value among `allowed`, `fallback` when not given; anything else is a UsageError listing the choices. */
export function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${flag} ${value}: use ${allowed.join(', ')}`);
}

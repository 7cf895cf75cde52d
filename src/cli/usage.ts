/** A mistake in how the command was called: its message is for the user, and the exit code is 2. */
export class UsageError extends Error {}

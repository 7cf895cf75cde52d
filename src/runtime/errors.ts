// What is caught is not always an Error (a rejected promise may carry anything).

/** An error's message, for a log field, a status message or another error's. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

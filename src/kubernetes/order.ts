// Names in the order the API server lists them: by code point, not by the machine's locale, so
// that output is the same everywhere.
export const compareNames = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

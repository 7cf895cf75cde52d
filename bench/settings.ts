// The benchmarks' settings, from environment variables: a typo must stop the run with a message
// naming the variable, not run it with NaN (no workers, no objects) and report figures for nothing.

const WHOLE_NUMBER = /^\d+$/;

/** Each whole number (digits alone) of at least `least` in `text`, comma-separated; anything else throws, naming `name`. */
function wholeNumbers(name: string, text: string, least: number): number[] {
  return text.split(',').map((item) => {
    const trimmed = item.trim();
    const value = Number(trimmed);
    if (!WHOLE_NUMBER.test(trimmed) || !Number.isSafeInteger(value) || value < least) {
      throw new Error(`${name}=${text}: each value must be a whole number of at least ${least}, not "${item}"`);
    }
    return value;
  });
}

/** Environment variable `name`, one whole number of at least `least`, else `fallback`. */
export function countSetting(name: string, fallback: number, least = 1): number {
  const text = process.env[name];
  if (text === undefined) return fallback;
  const [value, ...more] = wholeNumbers(name, text, least);
  if (more.length > 0) throw new Error(`${name}=${text}: one whole number, not a list`);
  return value!;
}

/** Environment variable `name`, whole numbers of at least `least` separated by commas, else `fallback`. */
export function countsSetting(name: string, fallback: number[], least = 1): number[] {
  const text = process.env[name];
  return text === undefined ? fallback : wholeNumbers(name, text, least);
}

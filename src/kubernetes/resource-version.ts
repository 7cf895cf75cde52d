// resourceVersions compared, as Kubernetes allows since 1.35 (KEP-5504): every built-in resource
// served from etcd carries one revision counter, written as a decimal integer without leading
// zeros, so a longer string is the later revision.
const DECIMAL = /^[1-9][0-9]*$/;

/** Below zero when `a` is the earlier revision, zero when the same, above zero when later; undefined when either is not comparable. */
export function compareResourceVersions(a: string, b: string): number | undefined {
  if (!DECIMAL.test(a) || !DECIMAL.test(b)) return undefined;
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

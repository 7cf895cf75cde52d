// Two variants of one workload on the same control plane, their phases alternating (the order
// swapped every round) so that the machine's drift, which moves a single phase by 20 %, weighs
// on both alike; each variant's phases and their medians.

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return +(Number.isInteger(middle) ? (sorted[middle - 1]! + sorted[middle]!) / 2 : sorted[Math.floor(middle)]!).toFixed(2);
}

type Figures = Record<string, number>;

/** `rounds` phases of each variant by `run`, alternating; every figure of a phase gets its median. */
export async function alternating<V extends string, F extends Figures>(variants: readonly [V, V], rounds: number,
  run: (variant: V, round: number) => Promise<F>): Promise<{ medians: Record<V, F>; phases: Record<V, F[]> }> {
  const phases = Object.fromEntries(variants.map((variant) => [variant, [] as F[]])) as Record<V, F[]>;
  for (let round = 0; round < rounds; round++) {
    for (const variant of round % 2 ? [...variants].reverse() : variants) phases[variant].push(await run(variant, round));
  }
  const mediansOf = (list: F[]) => Object.fromEntries(Object.keys(list[0]!).map((key) => [key, median(list.map((figures) => figures[key]!))])) as F;
  return { medians: Object.fromEntries(variants.map((variant) => [variant, mediansOf(phases[variant])])) as Record<V, F>, phases };
}

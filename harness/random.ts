// Seeded randomness for the generated test corpora, so that the same corpus comes out on every run
// and a failure can be reproduced.

export type Random = () => number;

/** A deterministic source of randomness in [0, 1) (mulberry32). */
export function random(seed: number): Random {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** An integer in [0, below). */
export const integer = (next: Random, below: number): number => Math.floor(next() * below);

export const pick = <T>(next: Random, items: readonly T[]): T => items[integer(next, items.length)]!;

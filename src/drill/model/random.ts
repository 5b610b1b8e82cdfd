/**
 * A seeded pseudo-random source, so that a drill with `--seed N` places pods, names them and
 * draws propagation delays the same way every run (mulberry32: small, fast, good enough to
 * spread choices; not for secrets).
 */

/** Uniform numbers in [0, 1). */
export type Random = () => number;

/** A {@link Random} that yields the same sequence for the same `seed`. */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const nameAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

/** `length` characters as Kubernetes' generated names use them (no vowels, no 0/1/3). */
export function randomSuffix(random: Random, length: number): string {
  let suffix = '';
  for (let i = 0; i < length; i++)
    suffix += nameAlphabet[Math.floor(random() * nameAlphabet.length)];
  return suffix;
}

/**
 * The counter-based generator behind `uniform` and `bernoulli`. Element i of an op called with
 * (seed, offset) is a pure function of (seed, offset + i), so a recomputed dropout mask equals the
 * forward's, and a backend can reproduce the stream exactly from this file's arithmetic alone
 * (32-bit multiplies, xors and shifts, as in MurmurHash3's finalizer).
 */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const TWO32 = 2 ** 32;

/** 32 random bits for (seed, counter); seed and counter are non-negative integers below 2^53. */
export function randomBits(seed: number, counter: number): number {
  const seedLo = seed >>> 0;
  const seedHi = Math.floor(seed / TWO32) >>> 0;
  const ctrLo = counter >>> 0;
  const ctrHi = Math.floor(counter / TWO32) >>> 0;
  let h = fmix32(ctrLo ^ fmix32(seedLo ^ 0x9e3779b9));
  h = fmix32((h ^ Math.imul(ctrHi, 0x85ebca6b) ^ seedHi) >>> 0);
  return fmix32((h + 0x27d4eb2f) >>> 0);
}

/** A float in [0, 1) with 24 random bits: exactly representable in float32. */
export const uniform24 = (seed: number, counter: number): number =>
  (randomBits(seed, counter) >>> 8) / 16777216;

/** A float in [0, 1) with 53 random bits, for float64 (two draws at counters 2i and 2i+1). */
export function uniform53(seed: number, counter: number): number {
  const a = randomBits(seed, 2 * counter) >>> 5;
  const b = randomBits(seed, 2 * counter + 1) >>> 6;
  return (a * 67108864 + b) / 9007199254740992;
}

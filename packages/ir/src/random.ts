/**
 * The counter-based generator that defines `uniform` and `bernoulli`, part of those ops' meaning:
 * every backend reproduces it bit for bit. Element i of an op called with
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

/** The largest value of the dtype strictly below `high`, so rounding never lands on the excluded end. */
function largestBelow(high: number, dtype: "float32" | "float64"): number {
  const bits = dtype === "float32" ? new Float32Array(1) : new Float64Array(1);
  bits[0] = high;
  if (bits[0]! < high) return bits[0]!;
  // Step the bit pattern by one ulp toward -inf; the sign decides which way the pattern moves.
  if (dtype === "float32") {
    const asInt = new Int32Array(bits.buffer);
    if (bits[0] === 0) return -(2 ** -149);
    asInt[0]! += bits[0]! > 0 ? -1 : 1;
  } else {
    const asInt = new BigInt64Array(bits.buffer);
    if (bits[0] === 0) return -(2 ** -1074);
    asInt[0]! += bits[0]! > 0 ? -1n : 1n;
  }
  return bits[0]!;
}

/**
 * The `uniform` op: element i is low + (high - low) * u(seed, offset + i), with 24 random bits
 * for float32 and 53 for float64, clamped below `high` where rounding would reach it.
 */
export function uniformSamples(
  seed: number,
  offset: number,
  n: number,
  low: number,
  high: number,
  dtype: "float32" | "float64",
): Float32Array | Float64Array {
  const draw = dtype === "float64" ? uniform53 : uniform24;
  const result = dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
  const range = high - low;
  const ceiling = low < high ? largestBelow(high, dtype) : low;
  for (let i = 0; i < n; i++) {
    result[i] = low + range * draw(seed, offset + i);
    if (result[i]! > ceiling) result[i] = ceiling;
  }
  return result;
}

/** The `bernoulli` op: element i is uniform24(seed, offset + i) < p, as 0/1 bytes. */
export function bernoulliMask(seed: number, offset: number, n: number, p: number): Uint8Array {
  const result = new Uint8Array(n);
  for (let i = 0; i < n; i++) result[i] = +(uniform24(seed, offset + i) < p);
  return result;
}

/**
 * The reference counter-based generator (packages/tensor/src/kernels/random.ts), reproduced
 * bit for bit so `uniform` and `bernoulli` give the same samples as the reference interpreter:
 * a recomputed dropout mask must equal the forward's, whichever backend ran it.
 *
 * It runs on the host, not as TF.js ops: the hash needs 32-bit xor and shifts, which TF.js does
 * not have (only BitwiseAnd), and wrapping 32-bit multiplies, which its cpu backend does not do
 * (int32 products are computed in doubles and lose the low bits past 2^53). Seeds are int64 and
 * routinely exceed int32 (PyTorch's default seed is 67280421310721), another reason to keep them
 * off the device.
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

/** The largest float32 strictly below `high`, so rounding never lands on the excluded end. */
export function largestFloat32Below(high: number): number {
  const bits = new Float32Array(1);
  bits[0] = high;
  if (bits[0]! < high) return bits[0]!;
  if (bits[0] === 0) return -(2 ** -149);
  const asInt = new Int32Array(bits.buffer);
  asInt[0]! += bits[0]! > 0 ? -1 : 1;
  return bits[0]!;
}

/** float32 samples in [low, high), as the reference `uniform` kernel computes them. */
export function uniformFloat32(
  seed: number,
  offset: number,
  n: number,
  low: number,
  high: number,
): Float32Array {
  const result = new Float32Array(n);
  const range = high - low;
  const ceiling = low < high ? largestFloat32Below(high) : low;
  for (let i = 0; i < n; i++) {
    result[i] = low + range * uniform24(seed, offset + i);
    if (result[i]! > ceiling) result[i] = ceiling;
  }
  return result;
}

/** The bernoulli mask: element i is uniform24(seed, offset + i) < p. */
export function bernoulliMask(seed: number, offset: number, n: number, p: number): Uint8Array {
  const result = new Uint8Array(n);
  for (let i = 0; i < n; i++) result[i] = +(uniform24(seed, offset + i) < p);
  return result;
}

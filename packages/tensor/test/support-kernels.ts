// Shared by the kernels-* tests: tensor builders, a seeded generator and random tensors,
// coordinate arithmetic for the index-by-index oracles, and one comparison.
import { type DType, TensorData } from "@aotjs/ir";
import { expect } from "vitest";

export const f32 = (shape: number[], values: number[]) =>
  new TensorData("float32", shape, Float32Array.from(values));
export const f64 = (shape: number[], values: number[]) =>
  new TensorData("float64", shape, Float64Array.from(values));
export const i32 = (shape: number[], values: number[]) =>
  new TensorData("int32", shape, Int32Array.from(values));
export const i64 = (shape: number[], values: (number | bigint)[]) =>
  new TensorData(
    "int64",
    shape,
    BigInt64Array.from(values, (v) => BigInt(v)),
  );
export const b8 = (shape: number[], values: (number | boolean)[]) =>
  new TensorData(
    "bool",
    shape,
    Uint8Array.from(values, (v) => (v ? 1 : 0)),
  );

export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** mulberry32: a small seeded generator, so a failing random case reproduces. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const randInt = (next: () => number, lo: number, hi: number): number =>
  lo + Math.floor(next() * (hi - lo + 1));

/** Uniform in [-1, 1) from its own seeded generator: an ordinary float input for the conv, matmul and pool oracles. */
export function uniformTensor(dtype: "float32" | "float64", shape: number[], seed: number): TensorData {
  const next = rng(seed);
  const data = dtype === "float32" ? new Float32Array(numel(shape)) : new Float64Array(numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = next() * 2 - 1;
  return new TensorData(dtype, shape, data);
}

/** Row-major coordinates of flat index `flat` in `shape`. */
export function unravel(flat: number, shape: readonly number[]): number[] {
  const coords = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    coords[d] = flat % shape[d]!;
    flat = Math.floor(flat / shape[d]!);
  }
  return coords;
}

/** Flat row-major index of `coords` in `shape`. */
export function ravel(coords: readonly number[], shape: readonly number[]): number {
  let flat = 0;
  for (let d = 0; d < shape.length; d++) flat = flat * shape[d]! + coords[d]!;
  return flat;
}

/**
 * Random values that exercise a dtype: for floats a mix of ordinary values, small integers and
 * (when `specials`) NaN, +-inf and -0; for int32 both small values and the full range; for int64
 * values past 2^53, where a Number would round; for bool 0/1.
 */
export function randomData(dtype: DType, n: number, next: () => number, specials = true): TensorData["data"] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  switch (dtype) {
    case "float32":
    case "float64": {
      const out = dtype === "float32" ? new Float32Array(n) : new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const r = next();
        if (specials && r < 0.08)
          out[i] = pick([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0]);
        else if (r < 0.3) out[i] = randInt(next, -4, 4);
        else out[i] = (next() * 2 - 1) * 10 ** randInt(next, -3, 3);
      }
      return out;
    }
    case "int32":
      return Int32Array.from({ length: n }, () =>
        next() < 0.5 ? randInt(next, -5, 5) : (next() * 2 ** 32) | 0,
      );
    case "int64":
      return BigInt64Array.from({ length: n }, () => {
        if (next() < 0.3) return BigInt(randInt(next, -5, 5));
        const hi = BigInt((next() * 2 ** 32) | 0);
        const lo = BigInt(Math.floor(next() * 2 ** 32));
        return BigInt.asIntN(64, (hi << 32n) | lo);
      });
    case "bool":
      return Uint8Array.from({ length: n }, () => (next() < 0.5 ? 1 : 0));
  }
}

export const randomTensor = (dtype: DType, shape: number[], next: () => number, specials = true) =>
  new TensorData(dtype, shape, randomData(dtype, numel(shape), next, specials) as never);

/**
 * Every element within `rtol`, relative to max(1, |expected|) (absolute below 1); equal values
 * (infinities too) pass, NaN fails. Asserts the worst error, so a failure says how far off it is.
 */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    if (got[i] === want[i]) continue; // also equal infinities
    const err = Math.abs(got[i]! - want[i]!) / Math.max(1, Math.abs(want[i]!));
    if (!(err <= worst)) worst = err; // NaN counts as a failure
  }
  expect(worst).toBeLessThanOrEqual(rtol);
}

/** Sum of elementwise products (float data): the inner product behind the adjoint identities. */
export const dot = (a: TensorData, b: TensorData): number => {
  let s = 0;
  for (let i = 0; i < a.size; i++) s += (a.data[i] as number) * (b.data[i] as number);
  return s;
};

/** Equal as numbers: NaN equals NaN, and 0 equals -0 (signed zeros are checked where they matter). */
export const sameValue = (a: number | bigint, b: number | bigint): boolean =>
  a === b || (typeof a === "number" && typeof b === "number" && Number.isNaN(a) && Number.isNaN(b));

/**
 * Asserts dtype, shape and every element. `relTol` > 0 compares floats within relTol * |e| (so an
 * expected 0 must be exact); the first mismatch is reported with its index, so a failure says where.
 */
export function expectTensor(actual: TensorData, expected: TensorData, relTol = 0): void {
  expect(actual.dtype).toBe(expected.dtype);
  expect(actual.shape).toEqual(expected.shape);
  expect(actual.data.constructor).toBe(expected.data.constructor);
  for (let i = 0; i < expected.data.length; i++) {
    const a = actual.data[i]!;
    const e = expected.data[i]!;
    const ok =
      sameValue(a, e) ||
      (relTol > 0 &&
        typeof a === "number" &&
        typeof e === "number" &&
        Math.abs(a - e) <= relTol * Math.abs(e));
    if (!ok) expect.fail(`element ${i}: got ${String(a)}, expected ${String(e)}`);
  }
}

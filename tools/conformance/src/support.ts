// Seeded sample generators (the same families the autograd catalog tests use) and the comparison
// every conformance check makes. Samples are TensorData, not Tensors, so a backend's tests can
// read them without the eager runtime.
import { type DType, isFloating, numel, TensorData, type TypedArray } from "@aotjs/ir";

/** mulberry32: a small seeded generator, so a failing case reproduces. */
export function rng(seed: number): Rand {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Rand = () => number;
export const randInt = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

/** A float64 tensor with element i = fill(i). */
export const f64 = (shape: readonly number[], fill: (i: number) => number): TensorData =>
  new TensorData(
    "float64",
    shape,
    Float64Array.from({ length: numel(shape) }, (_, i) => fill(i)),
  );

/** Values in the given dtype (ints truncate, bool is != 0). */
export function fromValues(
  shape: readonly number[],
  values: readonly number[],
  dtype: DType = "float64",
): TensorData {
  return convert(
    f64(shape, (i) => values[i]!),
    dtype,
  );
}

/** Uniform in [lo, hi). */
export const uniform = (r: Rand, shape: readonly number[], lo = -2, hi = 2): TensorData =>
  f64(shape, () => lo + (hi - lo) * r());
/** In [0.5, 2): log, sqrt, rsqrt, pow's base. */
export const positive = (r: Rand, shape: readonly number[]): TensorData => uniform(r, shape, 0.5, 2);
/** +-[0.3, 2): abs, relu, sign, reciprocal and divisors stay away from 0. */
export const awayFromZero = (r: Rand, shape: readonly number[]): TensorData =>
  f64(shape, () => (r() < 0.5 ? -1 : 1) * (0.3 + 1.7 * r()));
/** Distinct values at least 0.05 apart: every max and min is unique. */
export function distinct(r: Rand, shape: readonly number[]): TensorData {
  const n = numel(shape);
  const grid = Array.from({ length: n }, (_, i) => (i - n / 2) * 0.1 + 0.02 * r());
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [grid[i], grid[j]] = [grid[j]!, grid[i]!];
  }
  return f64(shape, (i) => grid[i]!);
}
/** Odd multiples of 0.125 and multiples of 0.25: the two grids never tie. */
export const halfGrid = (r: Rand, shape: readonly number[]): TensorData =>
  f64(shape, () => (randInt(r, -8, 7) + 0.5) * 0.25);
export const quarterGrid = (r: Rand, shape: readonly number[]): TensorData =>
  f64(shape, () => randInt(r, -8, 8) * 0.25);

/** Integers in [lo, hi] as an int tensor. */
export function integers(
  r: Rand,
  shape: readonly number[],
  lo: number,
  hi: number,
  dtype: "int32" | "int64" = "int64",
): TensorData {
  const n = numel(shape);
  const data =
    dtype === "int64"
      ? BigInt64Array.from({ length: n }, () => BigInt(randInt(r, lo, hi)))
      : Int32Array.from({ length: n }, () => randInt(r, lo, hi));
  return new TensorData(dtype, shape, data as never);
}
/** Integers in [0, hi) as an index tensor. */
export const indices = (
  r: Rand,
  shape: readonly number[],
  hi: number,
  dtype: "int32" | "int64" = "int64",
): TensorData => integers(r, shape, 0, hi - 1, dtype);

export const bools = (r: Rand, shape: readonly number[]): TensorData =>
  new TensorData(
    "bool",
    shape,
    Uint8Array.from({ length: numel(shape) }, () => (r() < 0.5 ? 1 : 0)),
  );

export const int64Scalar = (v: number): TensorData =>
  new TensorData("int64", [], BigInt64Array.of(BigInt(v)));

/** `t` converted to `dtype` as the IR's cast does (float to int truncates, anything to bool is != 0). */
export function convert(t: TensorData, dtype: DType): TensorData {
  if (t.dtype === dtype) return t;
  const values = Array.from(t.data as ArrayLike<number | bigint>, Number);
  switch (dtype) {
    case "float32":
      return new TensorData(dtype, t.shape, Float32Array.from(values));
    case "float64":
      return new TensorData(dtype, t.shape, Float64Array.from(values));
    case "int32":
      return new TensorData(dtype, t.shape, Int32Array.from(values, Math.trunc));
    case "int64":
      return new TensorData(
        dtype,
        t.shape,
        BigInt64Array.from(values, (v) => BigInt(Math.trunc(v))),
      );
    case "bool":
      return new TensorData(
        dtype,
        t.shape,
        Uint8Array.from(values, (v) => (v !== 0 ? 1 : 0)),
      );
  }
}

/** Floating inputs converted to `dtype`; integer and bool inputs kept. */
export const withFloatDType = (inputs: readonly TensorData[], dtype: "float32" | "float64"): TensorData[] =>
  inputs.map((t) => (isFloating(t.dtype) ? convert(t, dtype) : t));

/** Where two tensors differ, and by how much; `undefined` from `compareTensors` means they agree. */
export interface Mismatch {
  readonly message: string;
  readonly index?: number;
  readonly actual?: number;
  readonly expected?: number;
}

/**
 * Compares `actual` with `expected` (the reference). Dtype and shape must be equal. Integers and
 * bools must be equal exactly. Floats pass elementwise when
 *
 *   |actual - expected| <= rtol * (|expected| + max |expected|)
 *
 * with the max over the whole tensor: relative to the element, but never tighter than rtol
 * relative to the tensor's scale, since a float32 backend (summing in float32, in its own order)
 * can't be expected to reproduce tiny values that cancellation produced in the reference's
 * float64 accumulators. NaN must meet NaN; infinities must be equal.
 *
 * `magnitude`, when given, adds rtol * magnitude[i] to element i's allowance: for a sum or a dot
 * product, the same op applied to the inputs' absolute values (sum |x|, |A| @ |B|), the classic
 * bound on its rounding error. A sum that cancels to ~0 is then judged against its terms' size.
 */
export function compareTensors(
  actual: TensorData,
  expected: TensorData,
  rtol: number,
  magnitude?: TensorData,
): Mismatch | undefined {
  if (actual.dtype !== expected.dtype)
    return { message: `dtype ${actual.dtype}, expected ${expected.dtype}` };
  if (actual.shape.join() !== expected.shape.join()) {
    return { message: `shape [${actual.shape}], expected [${expected.shape}]` };
  }
  const a = Array.from(actual.data as TypedArray as ArrayLike<number | bigint>, Number);
  const e = Array.from(expected.data as TypedArray as ArrayLike<number | bigint>, Number);
  const exact = !isFloating(expected.dtype);
  const extra = magnitude
    ? Array.from(magnitude.data as ArrayLike<number>, (v) => Math.abs(Number(v)))
    : undefined;
  let scale = 0;
  for (const v of e) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  let worst: Mismatch | undefined;
  let worstExcess = 0;
  for (let i = 0; i < e.length; i++) {
    const x = a[i]!;
    const y = e[i]!;
    if (Object.is(x, y) || x === y || (Number.isNaN(x) && Number.isNaN(y))) continue;
    const allowed = rtol * (Math.abs(y) + scale + (extra?.[i] ?? 0));
    const excess =
      exact || !Number.isFinite(y) || !Number.isFinite(x)
        ? Number.POSITIVE_INFINITY
        : Math.abs(x - y) - allowed;
    if (excess > 0 && (worst === undefined || excess > worstExcess)) {
      worstExcess = excess;
      worst = {
        message: `element ${i} is ${x}, expected ${y}${exact ? " (exact)" : ` (|diff| ${Math.abs(x - y).toExponential(2)}, allowed ${allowed.toExponential(2)})`}`,
        index: i,
        actual: x,
        expected: y,
      };
    }
  }
  return worst;
}

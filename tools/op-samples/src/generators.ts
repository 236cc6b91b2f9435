// Seeded generators for sample inputs. Values are float64 and chosen away from kinks (so finite
// differences agree with derivative rules) and from ties (so a max or min has one winner).
// They build TensorData, not Tensors, so a backend's tests can use them without the eager
// runtime; the autograd tests wrap them in Tensors.
import { type DType, isFloating, numel, TensorData } from "@aotjs/ir";

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
/** In [0.5, 2): for log, sqrt, rsqrt, pow's base and friends. */
export const positive = (r: Rand, shape: readonly number[]): TensorData => uniform(r, shape, 0.5, 2);
/** +-[0.3, 2): abs, relu, sign, reciprocal and divisors stay away from 0. */
export const awayFromZero = (r: Rand, shape: readonly number[]): TensorData =>
  f64(shape, () => (r() < 0.5 ? -1 : 1) * (0.3 + 1.7 * r()));
/**
 * Distinct values at least 0.05 apart (a shuffled grid plus jitter): every max and min is unique
 * and a finite-difference step cannot change which element wins.
 */
export function distinct(r: Rand, shape: readonly number[]): TensorData {
  const n = numel(shape);
  const grid = Array.from({ length: n }, (_, i) => (i - n / 2) * 0.1 + 0.02 * r());
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [grid[i], grid[j]] = [grid[j]!, grid[i]!];
  }
  return f64(shape, (i) => grid[i]!);
}
/**
 * Two grids that never meet: `halfGrid` values are odd multiples of 0.125, `quarterGrid` values
 * multiples of 0.25, so maximum/minimum of one against the other has no ties (gap >= 0.125).
 */
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

/** Floating inputs converted to `dtype` (a sample run in the dtype under test); integer and bool inputs kept. */
export const withFloatDType = (inputs: readonly TensorData[], dtype: "float32" | "float64"): TensorData[] =>
  inputs.map((t) => (isFloating(t.dtype) ? convert(t, dtype) : t));

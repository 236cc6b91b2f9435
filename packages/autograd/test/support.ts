// Shared by the autograd tests: a seeded generator, tensor builders that keep inputs away from
// kinks (so finite differences are meaningful), and comparisons that name the worst element.
import { type DType, isFloating, numel, TensorData } from "@aotjs/ir";
import { Tensor } from "@aotjs/tensor";
import { expect } from "vitest";

/** mulberry32: a small seeded generator, so a failing case reproduces. */
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

export type Rand = () => number;
export const randInt = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

/** A float64 tensor with element i = fill(i). */
export function f64(shape: readonly number[], fill: (i: number) => number): Tensor {
  return new Tensor(
    new TensorData(
      "float64",
      shape,
      Float64Array.from({ length: numel(shape) }, (_, i) => fill(i)),
    ),
  );
}

export const fromValues = (
  shape: readonly number[],
  values: readonly number[],
  dtype: DType = "float64",
): Tensor => {
  const t = f64(shape, (i) => values[i]!);
  return dtype === "float64" ? t : t.to(dtype);
};

/** Uniform in [lo, hi). */
export const uniform = (r: Rand, shape: readonly number[], lo = -2, hi = 2): Tensor =>
  f64(shape, () => lo + (hi - lo) * r());
/** In [0.5, 2): for log, sqrt, rsqrt, pow's base and friends. */
export const positive = (r: Rand, shape: readonly number[]): Tensor => uniform(r, shape, 0.5, 2);
/** +-[0.3, 2): abs, relu, sign, reciprocal and divisors stay away from 0. */
export const awayFromZero = (r: Rand, shape: readonly number[]): Tensor =>
  f64(shape, () => (r() < 0.5 ? -1 : 1) * (0.3 + 1.7 * r()));
/**
 * Distinct values at least 0.05 apart (a shuffled grid plus jitter): every max and min is unique
 * and a finite-difference step cannot change which element wins.
 */
export function distinct(r: Rand, shape: readonly number[]): Tensor {
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
export const halfGrid = (r: Rand, shape: readonly number[]): Tensor =>
  f64(shape, () => (randInt(r, -8, 7) + 0.5) * 0.25);
export const quarterGrid = (r: Rand, shape: readonly number[]): Tensor =>
  f64(shape, () => randInt(r, -8, 8) * 0.25);

/** Integers in [0, hi) as an index tensor. */
export function indices(
  r: Rand,
  shape: readonly number[],
  hi: number,
  dtype: "int32" | "int64" = "int64",
): Tensor {
  const n = numel(shape);
  const data =
    dtype === "int64"
      ? BigInt64Array.from({ length: n }, () => BigInt(randInt(r, 0, hi - 1)))
      : Int32Array.from({ length: n }, () => randInt(r, 0, hi - 1));
  return new Tensor(new TensorData(dtype, shape, data as never));
}

export const bools = (r: Rand, shape: readonly number[]): Tensor =>
  new Tensor(
    new TensorData(
      "bool",
      shape,
      Uint8Array.from({ length: numel(shape) }, () => (r() < 0.5 ? 1 : 0)),
    ),
  );

export const int64Scalar = (v: number): Tensor =>
  new Tensor(new TensorData("int64", [], BigInt64Array.of(BigInt(v))));

/** Numbers of a tensor (bool as 0/1, int64 as Number). */
export const numbers = (t: Tensor | TensorData): number[] =>
  Array.from((t instanceof Tensor ? t.toData() : t).data as ArrayLike<number | bigint>, Number);

/**
 * Elementwise |actual - expected| <= atol + rtol * |expected|, with shape and dtype equal; on
 * failure the message names `what`, the worst element and both values.
 */
export function expectClose(
  actual: Tensor | TensorData,
  expected: Tensor | TensorData,
  what: string,
  atol = 1e-10,
  rtol = 0,
): void {
  const a = actual instanceof Tensor ? actual.toData() : actual;
  const e = expected instanceof Tensor ? expected.toData() : expected;
  expect(a.shape, `${what}: shape`).toEqual(e.shape);
  expect(a.dtype, `${what}: dtype`).toBe(e.dtype);
  const av = numbers(a);
  const ev = numbers(e);
  let worst = -1;
  let excess = 0;
  for (let i = 0; i < ev.length; i++) {
    const x = av[i]!;
    const y = ev[i]!;
    if (Number.isNaN(x) && Number.isNaN(y)) continue;
    const over = Math.abs(x - y) - (atol + rtol * Math.abs(y));
    if (!(over <= 0) && (worst < 0 || !(over <= excess))) {
      worst = i;
      excess = over;
    }
  }
  if (worst >= 0) {
    expect.fail(
      `${what}: element ${worst} is ${av[worst]}, expected ${ev[worst]} (atol ${atol}, rtol ${rtol})`,
    );
  }
}

/** Zeros of a tensor's meta, for comparing "no gradient" (null) with an explicit zero gradient. */
export const zerosOfMeta = (t: Tensor): Tensor =>
  new Tensor(TensorData.zeros(isFloating(t.dtype) ? t.dtype : "float64", t.shape));

// Shared by the transforms tests (autograd's tests have the same helpers): the seeded generators
// and the per-op sample table of @aotjs/op-samples (which build TensorData) as eager Tensors, and
// comparisons that name the worst element.
import { isFloating, type OpName, TensorData } from "@aotjs/ir";
import * as gen from "@aotjs/op-samples";
import { Tensor } from "@aotjs/tensor";
import { expect } from "vitest";

export { rng } from "@aotjs/op-samples";

/** A generator of @aotjs/op-samples that returns a Tensor instead of TensorData. */
const eager =
  <A extends unknown[]>(f: (...args: A) => TensorData) =>
  (...args: A): Tensor =>
    new Tensor(f(...args));

/** Values in the given dtype (ints truncate, bool is != 0). */
export const fromValues = eager(gen.fromValues);
/** Uniform in [lo, hi) (default [-2, 2)). */
export const uniform = eager(gen.uniform);
/** In [0.5, 2): for log, sqrt, rsqrt, pow's base and friends. */
export const positive = eager(gen.positive);
/** +-[0.3, 2): abs, relu, sign, reciprocal and divisors stay away from 0. */
export const awayFromZero = eager(gen.awayFromZero);
/** Distinct values at least 0.05 apart: every max and min is unique, even after a finite-difference step. */
export const distinct = eager(gen.distinct);
/** Integers in [0, hi) as an index tensor (int64 unless told). */
export const indices = eager(gen.indices);

/** An op's sample with eager Tensor inputs (see @aotjs/op-samples for what the flags mean). */
export interface Sample<K extends OpName = OpName> extends Omit<gen.OpSample<K>, "inputs"> {
  readonly inputs: readonly Tensor[];
}
export type SampleTable = { readonly [K in OpName]: readonly Sample<K>[] };

/** The shared sample table (`makeSamples(seed)` of @aotjs/op-samples) with Tensor inputs. */
export function makeSamples(seed?: number): SampleTable {
  const table = gen.makeSamples(seed);
  return Object.fromEntries(
    Object.entries(table).map(([op, samples]) => [
      op,
      (samples as readonly gen.OpSample[]).map((s) => ({ ...s, inputs: s.inputs.map((t) => new Tensor(t)) })),
    ]),
  ) as unknown as SampleTable;
}

/** Numbers of a tensor (bool as 0/1, int64 as Number). */
export const numbers = (t: Tensor | TensorData): number[] =>
  Array.from((t instanceof Tensor ? t.toData() : t).data as ArrayLike<number | bigint>, Number);

/**
 * Elementwise |actual - expected| <= atol + rtol * |expected|, with shape and dtype equal; equal
 * values (infinities too) and NaN against NaN pass. On failure the message names `what`, the
 * worst element and both values.
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
    if (x === y || (Number.isNaN(x) && Number.isNaN(y))) continue;
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

import { type CreationOpName, numel } from "@aotjs/ir";
import * as tf from "@tensorflow/tfjs-core";
import { fitsInt32, tfDType } from "../dtypes.js";
import { TfjsBackendError } from "../errors.js";
import { bernoulliMask, uniformFloat32 } from "../random.js";
import type { HostKernel, KernelFn, LowerContext, LoweringsFor } from "./types.js";

type CreationOp = CreationOpName;

const TWO53 = 2 ** 53;

/** Integer values must fit int32 (TF.js's only integer type); that is checked at compile time. */
function checkInts(ctx: LowerContext<"full" | "arange">, values: Iterable<number>): void {
  if (ctx.out.dtype !== "int32" && ctx.out.dtype !== "int64") return;
  for (const v of values) {
    if (!fitsInt32(Math.trunc(v))) {
      ctx.fail(
        `value ${v} does not fit ${ctx.out.dtype}` +
          (ctx.out.dtype === "int64" ? " as TensorFlow.js runs it (int32)" : ""),
      );
    }
  }
}

/** full and arange have no inputs: their tensor is made once at compile time and reused. */
function full(ctx: LowerContext<"full">): KernelFn {
  const { value } = ctx.attrs;
  checkInts(ctx, [value]);
  const shape = [...ctx.out.shape];
  const dtype = tfDType(ctx.out.dtype);
  const v = dtype === "bool" ? +(value !== 0) : dtype === "int32" ? Math.trunc(value) : value;
  const t = ctx.constant(() => tf.fill(shape, v, dtype));
  return () => t;
}

function arange(ctx: LowerContext<"arange">): KernelFn {
  const { start, step } = ctx.attrs;
  const n = ctx.out.shape[0]!;
  // start + i * step in float64, then converted to the dtype: the value the reference gives.
  const values = Array.from({ length: n }, (_, i) => start + i * step);
  checkInts(ctx, values);
  const dtype = tfDType(ctx.out.dtype);
  const t = ctx.constant(() =>
    dtype === "int32"
      ? tf.tensor(Int32Array.from(values, Math.trunc), [n], "int32")
      : tf.tensor(Float32Array.from(values), [n], "float32"),
  );
  return () => t;
}

/**
 * The reference reads seed and offset as integers in [0, 2^53) and needs every counter
 * offset + i below 2^53 as well.
 */
function checkCounters(op: string, seed: number, offset: number, n: number): void {
  for (const [what, v] of [
    ["seed", seed],
    ["offset", offset],
  ] as const) {
    if (!(Number.isSafeInteger(v) && v >= 0))
      throw new TfjsBackendError(`${op}: ${what} must be in [0, 2^53), got ${v}`);
  }
  if (n > 0 && offset + n > TWO53) {
    throw new TfjsBackendError(
      `${op}: counters offset ${offset} .. offset + ${n - 1} pass 2^53, the largest the generator takes exactly`,
    );
  }
}

/** Random ops read (seed, offset) on the host and draw there; see random.ts for why. */
function uniform(ctx: LowerContext<"uniform">): HostKernel {
  const { low, high } = ctx.attrs;
  const shape = [...ctx.out.shape];
  const n = numel(shape);
  return {
    hostInputs: [0, 1],
    run: (_xs, [seed, offset]) => {
      checkCounters("uniform", seed!, offset!, n);
      return tf.tensor(uniformFloat32(seed!, offset!, n, low, high), shape, "float32");
    },
  };
}

function bernoulli(ctx: LowerContext<"bernoulli">): HostKernel {
  const { p } = ctx.attrs;
  const shape = [...ctx.out.shape];
  const n = numel(shape);
  return {
    hostInputs: [0, 1],
    run: (_xs, [seed, offset]) => {
      checkCounters("bernoulli", seed!, offset!, n);
      return tf.tensor(bernoulliMask(seed!, offset!, n, p), shape, "bool");
    },
  };
}

export const creationLowerings: LoweringsFor<CreationOp> = { full, arange, uniform, bernoulli };

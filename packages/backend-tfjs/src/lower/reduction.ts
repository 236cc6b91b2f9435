import type { ReductionOpName } from "@aotjs/ir";
import * as tf from "@tensorflow/tfjs-core";
import type { KernelFn, LowerContext, LoweringsFor } from "./types.js";
import { isFloat } from "./util.js";

type ReductionOp = ReductionOpName;

/** An empty dims list reduces nothing (the IR's convention); TF.js would reduce everything. */
function reduce(
  ctx: LowerContext<"sum" | "mean" | "amax" | "amin">,
  f: (x: tf.Tensor, axes: number[], keepDims: boolean) => tf.Tensor,
): KernelFn {
  const { dims, keepdim } = ctx.attrs;
  if (dims.length === 0) return ([x]) => tf.clone(x!);
  // A sum over an empty dim is 0 and a mean 0/0 = NaN; wasm's Sum returns stale memory there.
  if (dims.some((d) => ctx.inputs[0]!.shape[d] === 0)) {
    const shape = [...ctx.out.shape];
    const value = ctx.node.op === "mean" ? Number.NaN : 0;
    const dtype = ctx.out.dtype === "float32" ? "float32" : "int32";
    return () => tf.fill(shape, value, dtype);
  }
  const axes = [...dims];
  return ([x]) => f(x!, axes, keepdim);
}

/**
 * The index of the first maximum, as the reference; a NaN counts as the maximum and the first NaN
 * wins. TF.js's ArgMax also takes the first maximum on ties but skips NaN, so slices holding a NaN
 * take the argmax of the NaN mask instead (whose first `true` is the first NaN).
 */
function argmax(ctx: LowerContext<"argmax">): KernelFn {
  const { dim, keepdim } = ctx.attrs;
  const shape = [...ctx.out.shape];
  const finish = (t: tf.Tensor) => (keepdim ? tf.reshape(t, shape) : t);
  if (!isFloat(ctx.inputs[0]!)) return ([x]) => finish(tf.argMax(x!, dim));
  return ([x]) => {
    const nan = tf.isNaN(x!);
    const firstNaN = tf.argMax(tf.cast(nan, "float32"), dim);
    const hasNaN = tf.any(nan, dim);
    return finish(tf.where(hasNaN, firstNaN, tf.argMax(x!, dim)));
  };
}

export const reductionLowerings: LoweringsFor<ReductionOp> = {
  // float32 sums accumulate in float32 on device (the reference uses float64): expect a few ulp.
  sum: (ctx) => reduce(ctx, tf.sum),
  mean: (ctx) => reduce(ctx, tf.mean),
  // TF.js's Max and Min reductions propagate NaN on cpu and wasm, as the IR asks.
  amax: (ctx) => reduce(ctx, tf.max),
  amin: (ctx) => reduce(ctx, tf.min),
  argmax,
};

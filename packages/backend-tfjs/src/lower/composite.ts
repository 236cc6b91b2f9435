import type { CompositeOpName } from "@aotjs/ir";
import * as tf from "@tensorflow/tfjs";
import type { KernelFn, LowerContext, LoweringsFor } from "./types.js";

/**
 * tf.softmax and tf.logSoftmax normalize the last dim only: other dims are moved last and back.
 * Both subtract the max first, as the reference does.
 */
function lastDim(ctx: LowerContext<"softmax" | "logSoftmax">, f: (x: tf.Tensor) => tf.Tensor): KernelFn {
  const rank = ctx.inputs[0]!.shape.length;
  const { dim } = ctx.attrs;
  if (dim === rank - 1) return ([x]) => f(x!);
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[dim] = rank - 1;
  perm[rank - 1] = dim;
  return ([x]) => tf.transpose(f(tf.transpose(x!, perm)), perm);
}

/** TF.js has no layer norm op: moments over the trailing dims, then scale and shift. */
function layerNorm(ctx: LowerContext<"layerNorm">): KernelFn {
  const rank = ctx.inputs[0]!.shape.length;
  const { normalizedRank, eps } = ctx.attrs;
  const axes = Array.from({ length: normalizedRank }, (_, i) => rank - normalizedRank + i);
  return ([x, w, b]) => {
    const { mean, variance } = tf.moments(x!, axes, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x!, mean), tf.rsqrt(tf.add(variance, eps))), w!), b!);
  };
}

export const compositeLowerings: LoweringsFor<CompositeOpName> = {
  layerNorm,
  softmax: (ctx) => lastDim(ctx, (x) => tf.softmax(x)),
  logSoftmax: (ctx) => lastDim(ctx, (x) => tf.logSoftmax(x)),
};

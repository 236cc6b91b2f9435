import type { CompositeOpName } from "@aotjs/ir";
import * as tf from "@tensorflow/tfjs-core";
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

/**
 * Training-mode batch norm: moments over every axis but 1, then one per-channel scale and shift
 * (tiny [1, C, 1, ...] tensors), so the full-size work is the moments and x * scale + shift.
 */
function batchNorm(ctx: LowerContext<"batchNorm">): KernelFn {
  const shape = ctx.inputs[0]!.shape;
  const axes = shape.map((_, i) => i).filter((i) => i !== 1);
  const channel = shape.map((d, i) => (i === 1 ? d : 1));
  const { eps } = ctx.attrs;
  return ([x, w, b]) => {
    const { mean, variance } = tf.moments(x!, axes, true);
    const scale = tf.mul(tf.rsqrt(tf.add(variance, eps)), tf.reshape(w!, channel));
    return tf.add(tf.mul(x!, scale), tf.sub(tf.reshape(b!, channel), tf.mul(mean, scale)));
  };
}

export const compositeLowerings: LoweringsFor<CompositeOpName> = {
  batchNorm,
  layerNorm,
  softmax: (ctx) => lastDim(ctx, (x) => tf.softmax(x)),
  logSoftmax: (ctx) => lastDim(ctx, (x) => tf.logSoftmax(x)),
};

import type { CompositeOpName } from "@aotjs/ir";
import * as tf from "@tensorflow/tfjs";
import type { KernelFn, LowerContext, LoweringsFor } from "./types.js";

/**
 * tf.softmax and tf.logSoftmax normalize the last dim only: other dims are moved last and back.
 * Both subtract the max first, as the reference does.
 */
function lastDim(ctx: LowerContext<CompositeOpName>, f: (x: tf.Tensor) => tf.Tensor): KernelFn {
  const rank = ctx.inputs[0]!.shape.length;
  const { dim } = ctx.attrs;
  if (dim === rank - 1) return ([x]) => f(x!);
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[dim] = rank - 1;
  perm[rank - 1] = dim;
  return ([x]) => tf.transpose(f(tf.transpose(x!, perm)), perm);
}

export const compositeLowerings: LoweringsFor<CompositeOpName> = {
  softmax: (ctx) => lastDim(ctx, (x) => tf.softmax(x)),
  logSoftmax: (ctx) => lastDim(ctx, (x) => tf.logSoftmax(x)),
};

import type { CompositeOpName } from "@aotjs/ir";
import type { LoweringContext } from "../context.js";
import { floatReduction } from "./reduction.js";
import type { LoweringsFor } from "./types.js";

/**
 * Training-mode batch norm: the batch mean and biased variance per channel, by the same lowering
 * as the `mean` op (blocked partial sums finished in float64 where a channel holds more than
 * LONG_SUM values, so a large batch keeps float32 statistics accurate; and equal to the graph's
 * own mean and variance ops, which F.batchNorm's running statistics and the derivative rule
 * emit, so the context emits them once), fed as the statistics of an inference-mode
 * BatchNormalization. On ORT (2 threads, resnet18's shapes) that beat forming scale and shift and
 * computing x * scale + shift: one fused pass instead of two. eps goes into the variance in the
 * input's dtype and the attribute is 0, because the attribute is a float32 and would round a
 * float64 eps.
 */
function batchNorm(ctx: LoweringContext, [x, w, b]: readonly string[], eps: number): string {
  const { shape, dtype } = ctx.metaOf(0);
  const dims = shape.map((_, i) => i).filter((i) => i !== 1);
  const stats = { shape, dtype, dims, keepdim: true, mean: true };
  const perChannel = ctx.ints([shape[1]!]);
  const mean = floatReduction(ctx, x!, stats);
  const centered = ctx.op("Sub", [x!, mean]);
  const variance = floatReduction(ctx, ctx.op("Mul", [centered, centered]), stats);
  const shifted = ctx.op("Add", [variance, ctx.scalar(dtype, eps)]);
  return ctx.op(
    "BatchNormalization",
    [x!, w!, b!, ctx.op("Reshape", [mean, perChannel]), ctx.op("Reshape", [shifted, perChannel])],
    { epsilon: { float: 0 }, training_mode: { int: 0 } },
    ctx.out,
  );
}

export const compositeLowerings: LoweringsFor<CompositeOpName> = {
  batchNorm: (ctx, node, inputs) => batchNorm(ctx, inputs, node.attrs.eps),
  // Opset 17's LayerNormalization normalizes from `axis` to the end, with biased variance.
  layerNorm: (ctx, node, [x, w, b]) =>
    ctx.op(
      "LayerNormalization",
      [x!, w!, b!],
      { axis: { int: -node.attrs.normalizedRank }, epsilon: { float: node.attrs.eps } },
      ctx.out,
    ),
  softmax: (ctx, node, [x]) => ctx.op("Softmax", [x!], { axis: { int: node.attrs.dim } }, ctx.out),
  logSoftmax: (ctx, node, [x]) => ctx.op("LogSoftmax", [x!], { axis: { int: node.attrs.dim } }, ctx.out),
};

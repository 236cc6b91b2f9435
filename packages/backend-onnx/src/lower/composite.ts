import type { CompositeOpName } from "@aotjs/ir";
import type { LoweringContext } from "../context.js";
import type { LoweringsFor } from "./types.js";

/**
 * Training-mode batch norm: the batch mean and biased variance per channel (two passes, as the
 * reference and as F.batchNorm's running-stat ops, which ORT's CSE may then share), fed as the
 * statistics of an inference-mode BatchNormalization. On ORT (2 threads, resnet18's shapes) that
 * beat forming scale and shift and computing x * scale + shift: one fused pass instead of two.
 * eps goes into the variance in the input's dtype and the attribute is 0, because the attribute
 * is a float32 and would round a float64 eps.
 */
function batchNorm(ctx: LoweringContext, [x, w, b]: readonly string[], eps: number): string {
  const { shape, dtype } = ctx.metaOf(0);
  const axes = shape.map((_, i) => i).filter((i) => i !== 1);
  const perChannel = ctx.ints([shape[1]!]);
  const mean = ctx.reduce("ReduceMean", x!, axes, true);
  const centered = ctx.op("Sub", [x!, mean]);
  const variance = ctx.reduce("ReduceMean", ctx.op("Mul", [centered, centered]), axes, true);
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

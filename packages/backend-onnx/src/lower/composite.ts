import type { CompositeOpName } from "@aotjs/ir";
import type { LoweringsFor } from "./types.js";

/** ONNX has both as single ops (opset 13 semantics: one axis), computed with the max subtracted. */
export const compositeLowerings: LoweringsFor<CompositeOpName> = {
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

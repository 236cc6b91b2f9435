import type { CompositeOpName } from "@aotjs/ir";
import type { LoweringsFor } from "./types.js";

/** ONNX has both as single ops (opset 13 semantics: one axis), computed with the max subtracted. */
export const compositeLowerings: LoweringsFor<CompositeOpName> = {
  softmax: (ctx, node, [x]) => ctx.op("Softmax", [x!], { axis: { int: node.attrs.dim } }, ctx.out),
  logSoftmax: (ctx, node, [x]) => ctx.op("LogSoftmax", [x!], { axis: { int: node.attrs.dim } }, ctx.out),
};

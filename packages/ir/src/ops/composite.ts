import { attr } from "../attrs.js";
import { checkDims, defineOp, requireKind } from "./define.js";

/**
 * Composite ops: expressible in core ops (the decomposition table in @aotjs/autograd does so for
 * backends that lack them), but kept whole because backends have fast, numerically careful
 * versions (ONNX Softmax/LogSoftmax, tf.softmax) and because their own derivative rules save only
 * the output, where the decomposition would save more.
 */
const normalize = (doc: string) =>
  defineOp({
    category: "reduction",
    inputs: ["x"],
    attrs: { dim: attr.int({ min: 0 }) },
    infer: ([x], { dim }) => {
      requireKind(x!, "x", "float");
      checkDims([dim], x!.shape.length, "dim");
      return { shape: x!.shape, dtype: x!.dtype };
    },
    doc,
  });

export const compositeOps = {
  softmax: normalize(
    "exp(x - max) / sum(exp(x - max)) along dim; sums accumulate as float64 in the reference",
  ),
  logSoftmax: normalize("x - max - log(sum(exp(x - max))) along dim"),
};

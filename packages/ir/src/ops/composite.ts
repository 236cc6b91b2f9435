import { attr } from "../attrs.js";
import { checkDims, defineOp, fail, requireKind, requireSameDType } from "./define.js";

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
  batchNorm: defineOp({
    category: "reduction",
    inputs: ["x", "weight", "bias"],
    attrs: { eps: attr.float({ default: 1e-5 }) },
    infer: ([x, w, b], { eps }) => {
      requireSameDType([x!, w!, b!], ["x", "weight", "bias"]);
      requireKind(x!, "x", "float");
      const shape = x!.shape;
      if (shape.length < 2) fail(`x [${shape}] must be [N, C, ...] (rank >= 2)`);
      if (!(eps >= 0)) fail(`eps must be >= 0, got ${eps}`);
      const c = shape[1]!;
      for (const [name, t] of [
        ["weight", w!],
        ["bias", b!],
      ] as const) {
        if (t.shape.length !== 1 || t.shape[0] !== c)
          fail(`${name} [${t.shape}] must be [${c}] for x [${shape}]`);
      }
      // One value per channel has no spread to normalize by (PyTorch refuses it too; so does nn).
      const perChannel = shape.reduce((n, d) => n * d, 1) / c;
      if (c > 0 && perChannel < 2)
        fail(`x [${shape}] has ${perChannel} value(s) per channel; batch statistics need at least 2`);
      return { shape, dtype: x!.dtype };
    },
    doc:
      "(x - mean) / sqrt(var + eps) * weight + bias per channel (dim 1) with the batch statistics over " +
      "every other dim (PyTorch's training mode); biased variance, statistics in float64 in the reference",
  }),
  layerNorm: defineOp({
    category: "reduction",
    inputs: ["x", "weight", "bias"],
    attrs: { normalizedRank: attr.int({ min: 1 }), eps: attr.float({ default: 1e-5 }) },
    infer: ([x, w, b], { normalizedRank, eps }) => {
      requireSameDType([x!, w!, b!], ["x", "weight", "bias"]);
      requireKind(x!, "x", "float");
      if (normalizedRank > x!.shape.length)
        fail(`normalizedRank ${normalizedRank} exceeds the rank of x [${x!.shape}]`);
      if (!(eps >= 0)) fail(`eps must be >= 0, got ${eps}`);
      const tail = x!.shape.slice(x!.shape.length - normalizedRank).join(",");
      for (const [name, t] of [
        ["weight", w!],
        ["bias", b!],
      ] as const) {
        if (t.shape.join(",") !== tail) fail(`${name} [${t.shape}] must have the normalized shape [${tail}]`);
      }
      return { shape: x!.shape, dtype: x!.dtype };
    },
    doc:
      "(x - mean) / sqrt(var + eps) * weight + bias over the last normalizedRank dims; biased variance, " +
      "statistics in float64 in the reference (ONNX LayerNormalization)",
  }),
  softmax: normalize(
    "exp(x - max) / sum(exp(x - max)) along dim; sums accumulate as float64 in the reference",
  ),
  logSoftmax: normalize("x - max - log(sum(exp(x - max))) along dim"),
};

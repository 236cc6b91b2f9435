import { type AnyNode, type CompositeOpName, isFullOf, type Value } from "@aotjs/ir";
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

/** Where a softmax's input masks with -inf: the mask, and whether true keeps the entry. */
interface MinusInfinityMask {
  readonly cond: Value;
  readonly keepWhenTrue: boolean;
}

/** `v`'s mask when `v` is `where(keep, x, -inf)` or `where(drop, -inf, x)`. */
function minusInfinityMask(v: Value): MinusInfinityMask | undefined {
  const where = v.producer as AnyNode | undefined;
  if (where?.op !== "where") return undefined;
  const [cond, a, b] = where.inputs;
  if (isFullOf(b, Number.NEGATIVE_INFINITY)) return { cond: cond!, keepWhenTrue: true };
  if (isFullOf(a, Number.NEGATIVE_INFINITY)) return { cond: cond!, keepWhenTrue: false };
  return undefined;
}

/**
 * Below this, `x - max` is clamped before the exp: e^-64 (1.6e-28) divided by any row sum a
 * float32 softmax reaches stays a normal float.
 */
const MASKED_EXP_FLOOR = -64;

/**
 * A float32 softmax over a -inf mask (attention's causal or padding mask). ORT's Softmax takes
 * the exp of each masked entry through denormal intermediates, and denormal arithmetic is slow
 * on x86: gptMini's 16x4x32x32 causal softmax took 285 us against 82 unmasked (one thread). Here
 * the masked entries become exactly 0 after the exp, as in ORT's and PyTorch's result, and the
 * exp's argument is clamped at MASKED_EXP_FLOOR so that no kept entry goes denormal either: a
 * kept entry that far below its row's max comes out as e^-64/sum (under 2e-28) instead of
 * smaller. 140 us for the same mask. A NaN in a kept entry still makes its row NaN (the Sub and
 * Max propagate it into the sum), and a fully masked row is NaN (0/0), as in PyTorch.
 */
function maskedSoftmax(ctx: LoweringContext, x: string, dim: number, mask: MinusInfinityMask): string {
  const cond = ctx.nameOf(mask.cond);
  const zero = ctx.scalar("float32", 0);
  const shifted = ctx.op("Sub", [x, ctx.reduce("ReduceMax", x, [dim], true)]);
  const e = ctx.op("Exp", [ctx.op("Max", [shifted, ctx.scalar("float32", MASKED_EXP_FLOOR)])]);
  const kept = ctx.op("Where", mask.keepWhenTrue ? [cond, e, zero] : [cond, zero, e]);
  return ctx.op("Div", [kept, ctx.reduce("ReduceSum", kept, [dim], true)], {}, ctx.out);
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
  softmax: (ctx, node, [x]) => {
    const mask = node.output.meta.dtype === "float32" ? minusInfinityMask(node.inputs[0]!) : undefined;
    if (mask) return maskedSoftmax(ctx, x!, node.attrs.dim, mask);
    return ctx.op("Softmax", [x!], { axis: { int: node.attrs.dim } }, ctx.out);
  },
  logSoftmax: (ctx, node, [x]) => ctx.op("LogSoftmax", [x!], { axis: { int: node.attrs.dim } }, ctx.out),
};

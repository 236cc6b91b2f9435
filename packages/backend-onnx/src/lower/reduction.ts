import { type DType, isFloating, type ReductionOpName } from "@aotjs/ir";
import type { LoweringContext } from "../context.js";
import type { LoweringsFor } from "./types.js";

type ReductionOp = ReductionOpName;

/**
 * ONNX reads an empty axes list as "reduce everything" (unless noop_with_empty_axes), while the IR
 * reads it as "reduce nothing": an empty `dims` is an Identity.
 */
function reduction(opType: string, nanPropagates: boolean) {
  return (
    ctx: LoweringContext,
    node: {
      inputs: readonly { meta: { dtype: DType } }[];
      attrs: { dims: readonly number[]; keepdim: boolean };
    },
    [x]: readonly string[],
  ): string => {
    const { dims, keepdim } = node.attrs;
    if (dims.length === 0) return ctx.op("Identity", [x!], {}, ctx.out);
    const dtype = node.inputs[0]!.meta.dtype;
    if (nanPropagates || !isFloating(dtype)) return ctx.reduce(opType, x!, dims, keepdim, ctx.out);
    // The reference's amax/amin return NaN when the slice holds one; ORT's ReduceMax/Min skip
    // NaN (they compare with < and >). A NaN count over the same dims restores the reference.
    const r = ctx.reduce(opType, x!, dims, keepdim);
    const nans = ctx.reduce(
      "ReduceMax",
      ctx.op("Cast", [ctx.op("IsNaN", [x!])], { to: { int: 6 } }),
      dims,
      keepdim,
    );
    const hasNaN = ctx.op("Greater", [nans, ctx.scalar("int32", 0)]);
    return ctx.op("Where", [hasNaN, ctx.scalar(dtype, Number.NaN), r], {}, ctx.out);
  };
}

export const reductionLowerings: LoweringsFor<ReductionOp> = {
  sum: reduction("ReduceSum", true),
  mean: reduction("ReduceMean", true),
  amax: reduction("ReduceMax", false),
  amin: reduction("ReduceMin", false),
  // ArgMax with select_last_index = 0 picks the first maximum, as the reference does. A NaN counts
  // as the maximum there (the first NaN wins) while ORT's comparisons never pick one, so for floats
  // the index of the first NaN (ArgMax of the IsNaN mask) replaces the result where there is one.
  argmax: (ctx, node, [x]) => {
    const { dim, keepdim } = node.attrs;
    const attrs = { axis: { int: dim }, keepdims: { int: keepdim ? 1 : 0 }, select_last_index: { int: 0 } };
    if (!isFloating(node.inputs[0]!.meta.dtype)) return ctx.op("ArgMax", [x!], attrs, ctx.out);
    const plain = ctx.op("ArgMax", [x!], attrs);
    const mask = ctx.op("Cast", [ctx.op("IsNaN", [x!])], { to: { int: 6 } });
    const firstNaN = ctx.op("ArgMax", [mask], attrs);
    const hasNaN = ctx.op("Greater", [ctx.reduce("ReduceMax", mask, [dim], keepdim), ctx.scalar("int32", 0)]);
    return ctx.op("Where", [hasNaN, firstNaN, plain], {}, ctx.out);
  },
};

import { attr } from "../attrs.js";
import type { DTypeKind } from "../dtype.js";
import { checkDims, defineOp, fail, requireKind } from "./define.js";

/** `shape` with `dims` reduced: removed, or kept as 1 with `keepdim`. */
export function reducedShape(shape: readonly number[], dims: readonly number[], keepdim: boolean): number[] {
  checkDims(dims, shape.length);
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!dims.includes(i)) out.push(d);
    else if (keepdim) out.push(1);
  });
  return out;
}

/** `dims` lists the reduced dims; an empty list reduces nothing. The eager layer turns "all" into every dim. */
const reduce = (kinds: DTypeKind[], doc: string, nonEmpty = false) =>
  defineOp({
    category: "reduction",
    inputs: ["x"],
    attrs: { dims: attr.ints({ min: 0 }), keepdim: attr.bool({ default: false }) },
    infer: ([x], { dims, keepdim }) => {
      requireKind(x!, "x", ...kinds);
      if (nonEmpty)
        for (const d of dims) if (x!.shape[d] === 0) fail(`cannot reduce over dim ${d} of size 0`);
      return { shape: reducedShape(x!.shape, dims, keepdim), dtype: x!.dtype };
    },
    doc,
  });

export const reductionOps = {
  sum: reduce(["float", "int"], "sum over dims; keeps the dtype (float32 accumulates in float64)"),
  mean: reduce(["float"], "mean over dims"),
  amax: reduce(["float", "int"], "max over dims; NaN propagates", true),
  amin: reduce(["float", "int"], "min over dims; NaN propagates", true),
  argmax: defineOp({
    category: "reduction",
    inputs: ["x"],
    attrs: { dim: attr.int({ min: 0 }), keepdim: attr.bool({ default: false }) },
    infer: ([x], { dim, keepdim }) => {
      requireKind(x!, "x", "float", "int");
      const shape = reducedShape(x!.shape, [dim], keepdim);
      if (x!.shape[dim] === 0) fail(`cannot take argmax over dim ${dim} of size 0`);
      return { shape, dtype: "int64" };
    },
    doc: "index of the first maximum along dim, as int64 (a NaN counts as the maximum)",
  }),
};

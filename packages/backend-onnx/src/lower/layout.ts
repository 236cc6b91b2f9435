import type { DType, LayoutOpName, Node, Value } from "@aotjs/ir";
import type { LoweringContext } from "../context.js";
import { type LoweringsFor, sameShape } from "./types.js";

type LayoutOp = LayoutOpName;

/** The pad value converted as `cast` converts it; an integer dtype that can't hold it is an error, as in the reference. */
function padValue(ctx: LoweringContext, dtype: DType, value: number): number | bigint {
  if (dtype === "float32" || dtype === "float64") return value;
  if (dtype === "bool") return value !== 0 ? 1 : 0;
  const t = Math.trunc(value);
  const [lo, hi] = dtype === "int32" ? [-(2 ** 31), 2 ** 31] : [-(2 ** 63), 2 ** 63];
  if (!Number.isFinite(value) || t < lo || t >= hi)
    ctx.fail(`pad value ${value} cannot be converted to ${dtype}`);
  return dtype === "int64" ? BigInt(t) : t;
}

/**
 * ONNX's GatherElements and ScatterElements accept negative indices (counting from the end), and
 * the reference rejects them; ORT already rejects indices past the end. The runtime check reports
 * both, naming the node.
 */
function checkIndex(ctx: LoweringContext, node: Node<"gather" | "scatterAdd">, index: string): void {
  const x = node.inputs[0]!.meta;
  const dtype = node.inputs[1]!.meta.dtype;
  const size = x.shape[node.attrs.dim]!;
  // Two passes over the index (its min and max), not three elementwise ones and a cast; an empty
  // index has no min or max to flag (ReduceMin/Max of nothing are the dtype's extremes).
  ctx.check(
    () =>
      ctx.op("Or", [
        ctx.op("Less", [ctx.reduce("ReduceMin", index, null, false), ctx.scalar(dtype, 0)]),
        ctx.op("GreaterOrEqual", [ctx.reduce("ReduceMax", index, null, false), ctx.scalar(dtype, size)]),
      ]),
    `an index is out of range for dim ${node.attrs.dim} of x [${x.shape.join(",")}] (valid: 0 to ${size - 1})`,
  );
}

const identity = (ctx: LoweringContext, x: string) => ctx.op("Identity", [x], {}, ctx.out);

export const layoutLowerings: LoweringsFor<LayoutOp> = {
  // allowzero = 1: a 0 in the target shape means an empty dim, not "copy the input's dim".
  reshape: (ctx, node, [x]) =>
    ctx.op("Reshape", [x!, ctx.ints(node.attrs.shape)], { allowzero: { int: 1 } }, ctx.out),
  permute: (ctx, node, [x]) => {
    const matmul = ctx.transposedMatmuls.get(node);
    if (!matmul) return ctx.op("Transpose", [x!], { perm: { ints: node.attrs.dims } }, ctx.out);
    // An inner dim of 0: zeros, as the matmul lowering makes them (ORT's batched MatMul doesn't).
    if (matmul.inputs[0]!.meta.shape.at(-1) === 0) {
      const zero = ctx.tensorProto(node.meta.dtype, [1], [0]);
      return ctx.op("ConstantOfShape", [ctx.ints(node.meta.shape)], { value: { tensor: zero } }, ctx.out);
    }
    // (a @ b)^T = b^T @ a^T over the last two dims (batch dims broadcast the same either way).
    const swap = (v: { name: string; meta: { shape: readonly number[] } }) => {
      const r = v.meta.shape.length;
      const perm = Array.from({ length: r }, (_, i) => (i < r - 2 ? i : i === r - 2 ? r - 1 : r - 2));
      return ctx.op("Transpose", [ctx.nameOf(v as Value)], { perm: { ints: perm } });
    };
    const [a, b] = matmul.inputs as [(typeof node.inputs)[0], (typeof node.inputs)[0]];
    return ctx.op("MatMul", [swap(b!), swap(a!)], {}, ctx.out);
  },
  // An empty result is an empty constant: ORT's optimizer drops an Expand from [1] to [0] inside a
  // graph (ExpandElimination), and the nodes after it then see the one element (found by @aotjs/fuzz).
  expand: (ctx, node, [x]) =>
    sameShape(node.inputs[0]!.meta.shape, node.attrs.shape)
      ? identity(ctx, x!)
      : node.attrs.shape.includes(0)
        ? identity(ctx, ctx.constant(node.meta.dtype, node.attrs.shape, []))
        : ctx.op("Expand", [x!, ctx.ints(node.attrs.shape)], {}, ctx.out),
  // ONNX Squeeze/Unsqueeze without axes squeeze every size-1 dim; the IR's empty list means none.
  squeeze: (ctx, node, [x]) =>
    node.attrs.dims.length === 0
      ? identity(ctx, x!)
      : ctx.op("Squeeze", [x!, ctx.ints(node.attrs.dims)], {}, ctx.out),
  unsqueeze: (ctx, node, [x]) =>
    node.attrs.dims.length === 0
      ? identity(ctx, x!)
      : ctx.op("Unsqueeze", [x!, ctx.ints(node.attrs.dims)], {}, ctx.out),
  slice: (ctx, node, [x]) => {
    const { dim, start, end, step } = node.attrs;
    return ctx.op(
      "Slice",
      [x!, ctx.ints([start]), ctx.ints([end]), ctx.ints([dim]), ctx.ints([step])],
      {},
      ctx.out,
    );
  },
  concat: (ctx, node, inputs) => ctx.op("Concat", inputs, { axis: { int: node.attrs.dim } }, ctx.out),
  pad: (ctx, node, [x]) => {
    const { before, after, value } = node.attrs;
    if ([...before, ...after].every((p) => p === 0)) return identity(ctx, x!);
    const dtype = node.meta.dtype;
    const fill = ctx.scalar(dtype, padValue(ctx, dtype, value));
    return ctx.op(
      "Pad",
      [x!, ctx.ints([...before, ...after]), fill],
      { mode: { string: "constant" } },
      ctx.out,
    );
  },
  gather: (ctx, node, [x, index]) => {
    const perSlice = ctx.sliceIndexed.get(node);
    if (perSlice !== undefined) {
      const i = ctx.nameOf(perSlice);
      checkIndex(ctx, node, i);
      const flat = ctx.op("Reshape", [i, ctx.ints([-1])]);
      return ctx.op("Gather", [x!, flat], { axis: { int: node.attrs.dim } }, ctx.out);
    }
    checkIndex(ctx, node, index!);
    return ctx.op("GatherElements", [x!, index!], { axis: { int: node.attrs.dim } }, ctx.out);
  },
  // ScatterElements / ScatterND with reduction "add" (opset 16) accumulate every update, as the
  // reference does (the order of equal indices' additions is the runtime's).
  scatterAdd: (ctx, node, [x, index, src]) => {
    const perSlice = ctx.sliceIndexed.get(node);
    if (perSlice !== undefined) {
      const i = ctx.nameOf(perSlice);
      checkIndex(ctx, node, i);
      // ScatterND addresses dim 0 by [n, 1] int64 indices; each update is a whole slice of x.
      let rows = ctx.op("Reshape", [i, ctx.ints([-1, 1])]);
      if (node.inputs[1]!.meta.dtype !== "int64") rows = ctx.op("Cast", [rows], { to: { int: 7 } });
      return ctx.op("ScatterND", [x!, rows, src!], { reduction: { string: "add" } }, ctx.out);
    }
    checkIndex(ctx, node, index!);
    return ctx.op(
      "ScatterElements",
      [x!, index!, src!],
      { axis: { int: node.attrs.dim }, reduction: { string: "add" } },
      ctx.out,
    );
  },
};

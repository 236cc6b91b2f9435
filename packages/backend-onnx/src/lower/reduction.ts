import { type DType, isFloating, type Node, type ReductionOpName } from "@aotjs/ir";
import type { LoweringContext } from "../context.js";
import { CAST_TO, type LoweringsFor } from "./types.js";

type ReductionOp = ReductionOpName;

/**
 * The longest float sum ORT is trusted with in one ReduceSum. ORT accumulates in the input's
 * precision and almost sequentially, so the error grows with the length: float32 sums of 0.1 are
 * off by 1e-6 at 1024 contiguous elements (1e-5 along a strided dim), 1e-3 at 2^20 and 6% at
 * 2^26, where the reference is correctly rounded. Longer sums go through `blockedSum`.
 */
export const LONG_SUM = 1024;
/** Elements per block in `blockedSum`'s first pass: 256 measured fastest (and is more accurate than 1024). */
const SUM_BLOCK = 256;

/**
 * Split each reduced dim, innermost first, so that the reduced parts taken together hold at most
 * SUM_BLOCK elements per output: a dim that fits is taken whole, one that doesn't is reshaped to
 * [n / b, b] with b its largest divisor that fits, and b is taken. Returns the reshaped input shape
 * and, in it, the axes of the first pass (`inner`) and of the rest (`outer`).
 */
function blockPlan(shape: readonly number[], dims: readonly number[]) {
  const taken = new Map<number, number>();
  let block = 1;
  for (const d of [...dims].sort((a, b) => b - a)) {
    const n = shape[d]!;
    let b = Math.min(n, Math.floor(SUM_BLOCK / block));
    while (b > 1 && n % b !== 0) b--;
    if (b > 1) {
      taken.set(d, b);
      block *= b;
    }
  }
  const split: number[] = [];
  const inner: number[] = [];
  const outer: number[] = [];
  shape.forEach((n, d) => {
    const b = taken.get(d);
    if (!dims.includes(d)) split.push(n);
    else if (b === undefined) outer.push(split.push(n) - 1);
    else if (b === n) inner.push(split.push(n) - 1);
    else {
      outer.push(split.push(n / b) - 1);
      inner.push(split.push(b) - 1);
    }
  });
  return { split, inner, outer };
}

/**
 * A long float sum (or mean): a ReduceSum over blocks of at most SUM_BLOCK elements in the input's
 * dtype, then the partial sums summed in float64 and cast back. The first pass reads the input
 * once, as a plain ReduceSum would; the float64 pass sees 1/SUM_BLOCK of the data. Where only a
 * small divisor gives blocks, the float64 pass sees more; with none (a prime length) the whole
 * input is summed in float64, about 3.5x a plain ReduceSum.
 */
function blockedSum(
  ctx: LoweringContext,
  x: string,
  r: FloatReduction,
  count: number,
  out: string | undefined,
): string {
  const { split, inner, outer } = blockPlan(r.shape, r.dims);
  const toDouble = (v: string) =>
    r.dtype === "float64" ? v : ctx.op("Cast", [v], { to: { int: CAST_TO.float64 } });
  let v =
    split.length === r.shape.length ? x : ctx.op("Reshape", [x, ctx.ints(split)], { allowzero: { int: 1 } });
  if (inner.length) v = ctx.reduce("ReduceSum", v, inner, true);
  v = toDouble(v);
  if (outer.length) v = ctx.reduce("ReduceSum", v, outer, true);
  if (r.mean) v = ctx.op("Div", [v, ctx.scalar("float64", count)]);
  if (r.dtype !== "float64") v = ctx.op("Cast", [v], { to: { int: CAST_TO[r.dtype as "float32"] } });
  return ctx.op("Reshape", [v, ctx.ints(reducedShape(r))], { allowzero: { int: 1 } }, out);
}

/** A float sum or mean over `dims` of x (`shape`, `dtype`). */
export interface FloatReduction {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly dims: readonly number[];
  readonly keepdim: boolean;
  readonly mean: boolean;
}

const reducedShape = (r: FloatReduction) =>
  r.shape.flatMap((n, d) => (!r.dims.includes(d) ? [n] : r.keepdim ? [1] : []));

/**
 * A float sum or mean as accurate as the reference's: one ReduceSum/ReduceMean when short (or,
 * over leading dims, one MatMul: `leadingSum`), blocked when long; the mean over nothing is NaN. Shared by the `sum` and `mean` lowerings and
 * the composites' statistics (batchNorm), so equal reductions lower to equal ONNX nodes, which
 * the context emits once.
 */
export function floatReduction(ctx: LoweringContext, x: string, r: FloatReduction, out?: string): string {
  if (r.dims.length === 0) return ctx.op("Identity", [x], {}, out);
  const count = r.dims.reduce((n, d) => n * r.shape[d]!, 1);
  // ORT's ReduceMean of nothing is 0; the reference (and PyTorch) give 0/0 = NaN.
  if (count === 0 && r.mean)
    return ctx.op("Expand", [ctx.scalar(r.dtype, Number.NaN), ctx.ints(reducedShape(r))], {}, out);
  // A symbolic model compiled for sizes near its hints sums as the hints' count needs.
  const long =
    ctx.symbolic?.exceeds(
      r.dims.map((d) => r.shape[d]!),
      LONG_SUM,
      `${ctx.node.op} node '${ctx.node.name}' sums in one ReduceSum`,
    ) ?? count > LONG_SUM;
  if (!long || r.shape.includes(0))
    return (
      leadingSum(ctx, x, r, count, out) ??
      ctx.reduce(r.mean ? "ReduceMean" : "ReduceSum", x, r.dims, r.keepdim, out)
    );
  return blockedSum(ctx, x, r, count, out);
}

/**
 * A short float32 sum over the leading dims (a bias gradient): ones[1, R] x [R, C], one MatMul.
 * ORT's ReduceSum over a leading axis wakes its thread pool for little work: a [128, 512] bias
 * gradient took 35-58 us on 2 threads (15 on one) where the MatMul takes 12. Static sizes only;
 * a sum over every dim (nothing left to keep) stays a ReduceSum.
 */
function leadingSum(ctx: LoweringContext, x: string, r: FloatReduction, count: number, out?: string) {
  const k = r.dims.length;
  const rest = r.shape.slice(k).reduce((a, b) => a * b, 1);
  const leading = [...r.dims].sort((a, b) => a - b).every((d, i) => d === i);
  if (r.mean || r.dtype !== "float32" || ctx.symbolic || !leading || count < 2 || rest < 2) return undefined;
  // Ones of shape [count] give MatMul's result as [rest], ones of [1, count] as [1, rest]; a Reshape
  // only where neither is the wanted shape, and none on an input already [count, rest]: a
  // [128, 512] bias gradient is the MatMul alone (a Reshape kernel cost ~4 us in the MLP's step).
  const want = reducedShape(r);
  const asRow = want.length === 2 && want[0] === 1;
  const ones = ctx.constant("float32", asRow ? [1, count] : [count], new Array<number>(count).fill(1));
  const rows = k === 1 && r.shape.length === 2 ? x : ctx.op("Reshape", [x, ctx.ints([count, rest])]);
  if (want.length === 1 || asRow) return ctx.op("MatMul", [ones, rows], {}, out);
  return ctx.op("Reshape", [ctx.op("MatMul", [ones, rows]), ctx.ints(want)], {}, out);
}

/** sum and mean over floats. */
const floatSum = (ctx: LoweringContext, node: Node<"sum" | "mean">, [x]: readonly string[]): string =>
  floatReduction(
    ctx,
    x!,
    { ...ctx.metaOf(0), dims: node.attrs.dims, keepdim: node.attrs.keepdim, mean: node.op === "mean" },
    ctx.out,
  );

/**
 * Integer sums, exact and wrapping as the reference's: ORT's int64 ReduceSum goes through double
 * ([2^53 + 1, 2] gives ...994) and saturates on overflow, int32 too. CumSum adds in the integer
 * type itself (checked: it wraps), so each reduced dim is a CumSum whose last slice is kept.
 */
function intSum(ctx: LoweringContext, node: Node<"sum">, x: string): string {
  const { shape, dtype } = ctx.metaOf(0);
  if (shape.includes(0))
    return ctx.op("Expand", [ctx.scalar(dtype, 0), ctx.ints(node.meta.shape)], {}, ctx.out);
  let v = x;
  for (const d of node.attrs.dims) {
    const n = shape[d]!;
    if (n === 1) continue;
    v = ctx.op("CumSum", [v, ctx.scalar("int64", d)]);
    v = ctx.op("Slice", [v, ctx.ints([n - 1]), ctx.ints([n]), ctx.ints([d])]);
  }
  return ctx.op("Reshape", [v, ctx.ints(node.meta.shape)], { allowzero: { int: 1 } }, ctx.out);
}

/**
 * amax/amin. ONNX reads an empty axes list as "reduce everything" (unless noop_with_empty_axes),
 * while the IR reads it as "reduce nothing": an empty `dims` is an Identity (for sum and mean too).
 */
function extreme(opType: "ReduceMax" | "ReduceMin") {
  return (ctx: LoweringContext, node: Node<"amax" | "amin">, [x]: readonly string[]): string => {
    const { dims, keepdim } = node.attrs;
    if (dims.length === 0) return ctx.op("Identity", [x!], {}, ctx.out);
    const dtype = node.inputs[0]!.meta.dtype;
    if (!isFloating(dtype)) return ctx.reduce(opType, x!, dims, keepdim, ctx.out);
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
  sum: (ctx, node, inputs) => {
    if (isFloating(node.inputs[0]!.meta.dtype)) return floatSum(ctx, node, inputs);
    if (node.attrs.dims.length === 0) return ctx.op("Identity", [inputs[0]!], {}, ctx.out);
    return intSum(ctx, node, inputs[0]!);
  },
  mean: floatSum,
  amax: extreme("ReduceMax"),
  amin: extreme("ReduceMin"),
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

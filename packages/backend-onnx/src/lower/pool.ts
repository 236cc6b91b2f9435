import { type DType, isFloating, type OpAttrs, type PoolOpName } from "@aotjs/ir";
import type { LoweringContext } from "../context.js";
import { avgPool64, avgPoolBackward64, type Windows } from "./float64.js";
import { unlessSumFlags } from "./guards.js";
import { chooseMaxPoolGrad, maxPoolGradMasks } from "./maxpool-grad.js";
import { CAST_TO, type LoweringsFor } from "./types.js";

type PoolOp = PoolOpName;

/**
 * Pools are lowered without ONNX's ceil_mode: runtimes have disagreed on ceil-mode windows that
 * start in the right padding (PyTorch drops them), so the end padding is computed here, from the
 * IR's own output size, as exactly what the last window needs: (out - 1) * stride + extent - size
 * - begin. In floor mode that can be negative (the input's tail is never read) and is clamped to
 * 0, which gives the same floor-mode size. Every window then lies inside the padded input.
 */
interface Geometry {
  readonly kernel: readonly number[];
  readonly stride: readonly number[];
  readonly dilation: readonly number[];
  readonly begin: readonly number[];
  /** Exact end padding; negative when the last rows/cols are never read. */
  readonly end: readonly number[];
  readonly input: readonly number[];
  readonly output: readonly number[];
}

function geometry(
  a: {
    kernelSize: readonly number[];
    stride: readonly number[];
    padding: readonly number[];
    dilation?: readonly number[];
  },
  inputShape: readonly number[],
  outputShape: readonly number[],
): Geometry {
  const dilation = a.dilation ?? [1, 1];
  const input = inputShape.slice(2);
  const output = outputShape.slice(2);
  const end = [0, 1].map(
    (i) =>
      (output[i]! - 1) * a.stride[i]! + dilation[i]! * (a.kernelSize[i]! - 1) + 1 - input[i]! - a.padding[i]!,
  );
  return { kernel: a.kernelSize, stride: a.stride, dilation, begin: a.padding, end, input, output };
}

const windowsOf = (g: Geometry): Windows => ({
  ...g,
  before: g.begin,
  after: g.end.map((e) => Math.max(0, e)),
});

const onnxPads = (g: Geometry) => [g.begin[0]!, g.begin[1]!, Math.max(0, g.end[0]!), Math.max(0, g.end[1]!)];

/** ORT rejects pads >= kernel; a dilated ceil-mode window can need that much, so pad explicitly then. */
const padsFit = (g: Geometry) => onnxPads(g).every((p, i) => p < g.kernel[i % 2]!);

const LOWEST: { readonly [D in DType]?: number } = {
  float32: Number.NEGATIVE_INFINITY,
  float64: Number.NEGATIVE_INFINITY,
};

/**
 * Runs MaxPool (optionally with its Indices output) on `x`, padding explicitly with -infinity when
 * the pads attribute can't express the padding. Returns the pooled value, the indices, and the
 * padded input shape the indices refer to.
 */
function maxPool(
  ctx: LoweringContext,
  x: string,
  dtype: DType,
  g: Geometry,
  withIndices: boolean,
): { y: string; indices?: string; paddedShape: readonly number[] | null } {
  let input = x;
  let pads = onnxPads(g);
  let paddedShape: number[] | null = null;
  if (!padsFit(g)) {
    const p = pads;
    input = ctx.op(
      "Pad",
      [x, ctx.ints([0, 0, p[0]!, p[1]!, 0, 0, p[2]!, p[3]!]), ctx.scalar(dtype, LOWEST[dtype] ?? 0)],
      {
        mode: { string: "constant" },
      },
    );
    paddedShape = [g.input[0]! + p[0]! + p[2]!, g.input[1]! + p[1]! + p[3]!];
    pads = [0, 0, 0, 0];
  }
  const attrs = {
    kernel_shape: { ints: g.kernel },
    strides: { ints: g.stride },
    pads: { ints: pads },
    dilations: { ints: g.dilation },
  };
  if (!withIndices) return { y: ctx.op("MaxPool", [input], attrs), paddedShape };
  const [y, indices] = ctx.opMulti("MaxPool", [input], attrs, [ctx.fresh("maxpool"), ctx.fresh("indices")]);
  return { y: y!, indices: indices!, paddedShape };
}

/**
 * Integer pools run on float64 (exact for int32 and for int64 below 2^53), since ORT's MaxPool
 * has no int32/int64 kernels.
 */
const poolDType = (dtype: DType): DType => (isFloating(dtype) ? dtype : "float64");
const castTo = (ctx: LoweringContext, x: string, from: DType, to: DType, out?: string) =>
  from === to
    ? out
      ? ctx.op("Identity", [x], {}, out)
      : x
    : ctx.op("Cast", [x], { to: { int: CAST_TO[to] } }, out);

/**
 * avgPool2d's divisor per output position, as the reference computes it: the window clipped to
 * the padded input when padding counts, else the number of real input elements in it.
 * Returns, per output (row-major over [oh, ow]), `divisor`, or 0 for a window with no input in it.
 */
function avgDivisors(a: OpAttrs<"avgPool2d">, g: Geometry): Float64Array {
  const spans = (i: number) =>
    Array.from({ length: g.output[i]! }, (_, o) => {
      const s = o * g.stride[i]! - g.begin[i]!;
      const e = Math.min(s + g.kernel[i]!, g.input[i]! + g.begin[i]!);
      return { extent: e - s, real: Math.max(0, Math.min(e, g.input[i]!) - Math.max(s, 0)) };
    });
  const rows = spans(0);
  const cols = spans(1);
  const out = new Float64Array(rows.length * cols.length);
  rows.forEach((r, y) => {
    cols.forEach((c, x) => {
      const empty = r.real === 0 || c.real === 0;
      out[y * cols.length + x] = empty ? 0 : a.countIncludePad ? r.extent * c.extent : r.real * c.real;
    });
  });
  return out;
}

/** Per output position (row-major): whether its window has an input element in it. */
function nonEmpty(g: Geometry): number[] {
  const hits = [0, 1].map((k) =>
    Array.from({ length: g.output[k]! }, (_, o) =>
      Array.from(
        { length: g.kernel[k]! },
        (_, i) => o * g.stride[k]! + i * g.dilation[k]! - g.begin[k]!,
      ).some((at) => at >= 0 && at < g.input[k]!),
    ),
  );
  return hits[0]!.flatMap((r) => hits[1]!.map((c) => (r && c ? 1 : 0)));
}

const emptyWindows = (g: Geometry) => nonEmpty(g).includes(0);

export const poolLowerings: LoweringsFor<PoolOp> = {
  // The reference propagates NaN (a NaN always wins its window); ORT's MaxPool compares with >, so
  // NaN never wins. A MaxPool of the IsNaN mask finds the windows holding one; it and its three
  // extra passes over x (8 of resnet18's 11 ms at 8x64x112x112) run only when x holds a NaN.
  maxPool2d: (ctx, node, [x]) => {
    const dtype = node.meta.dtype;
    const pd = poolDType(dtype);
    const g = geometry(node.attrs, node.inputs[0]!.meta.shape, node.meta.shape);
    if (!isFloating(dtype))
      return castTo(ctx, maxPool(ctx, castTo(ctx, x!, dtype, pd), pd, g, false).y, pd, dtype, ctx.out);
    const withNaN = () => {
      const { y } = maxPool(ctx, x!, dtype, g, false);
      const mask = ctx.op("Cast", [ctx.op("IsNaN", [x!])], { to: { int: CAST_TO[dtype] } });
      const hasNaN = ctx.op("Greater", [maxPool(ctx, mask, dtype, g, false).y, ctx.scalar(dtype, 0)]);
      return ctx.op("Where", [hasNaN, ctx.scalar(dtype, Number.NaN), y]);
    };
    return unlessSumFlags(ctx, x!, "nan", dtype, withNaN, () => maxPool(ctx, x!, dtype, g, false).y, ctx.out);
  },
  // MaxPool's Indices output gives each window's argmax as a flat index into x (batch and channel
  // included); ScatterElements with reduction "add" sums the gradients into a flat zero tensor.
  // Ties go to the first maximum in both. (A window holding NaN routes its gradient to ORT's
  // maximum, not to the reference's last NaN; the "masks" formulation matches the reference there.)
  // A window with no input in it (dilation can step over a small input) routes nothing, as in the
  // reference, where ORT's MaxPool would still name an index.
  maxPool2dBackward: (ctx, node, [gy, x]) => {
    const dtype = node.meta.dtype;
    const pd = poolDType(dtype);
    const xShape = node.inputs[1]!.meta.shape;
    const g = geometry(node.attrs, xShape, node.inputs[0]!.meta.shape);
    if (chooseMaxPoolGrad(ctx.formulations.maxPool2dBackward) === "masks")
      return maxPoolGradMasks(ctx, gy!, x!, dtype, xShape, g);
    const { indices, paddedShape } = maxPool(ctx, castTo(ctx, x!, dtype, pd), pd, g, true);
    const plane = paddedShape ?? xShape.slice(2);
    const total = xShape[0]! * xShape[1]! * plane[0]! * plane[1]!;
    const routed = emptyWindows(g)
      ? ctx.op("Where", [ctx.constant("bool", g.output, nonEmpty(g)), gy!, ctx.scalar(dtype, 0)])
      : gy!;
    const zeros = ctx.op("ConstantOfShape", [ctx.ints([total])], {
      value: { tensor: ctx.tensorProto(dtype, [1], [0]) },
    });
    const flat = ctx.op(
      "ScatterElements",
      [zeros, ctx.op("Reshape", [indices!, ctx.ints([-1])]), ctx.op("Reshape", [routed, ctx.ints([-1])])],
      {
        axis: { int: 0 },
        reduction: { string: "add" },
      },
    );
    if (!paddedShape) return ctx.op("Reshape", [flat, ctx.ints([...xShape])], {}, ctx.out);
    const padded = ctx.op("Reshape", [flat, ctx.ints([xShape[0]!, xShape[1]!, ...paddedShape])]);
    const [top, left] = onnxPads(g);
    return ctx.op(
      "Slice",
      [padded, ctx.ints([top!, left!]), ctx.ints([top! + xShape[2]!, left! + xShape[3]!]), ctx.ints([2, 3])],
      {},
      ctx.out,
    );
  },
  // Window sums come from AveragePool over windows that all lie inside the (explicitly sized)
  // padded input, with padding counted: sum / (kh * kw) everywhere. A constant map then rescales
  // each position to the reference's own divisor, so ceil mode and count_include_pad never depend
  // on how a runtime reads those attributes.
  avgPool2d: (ctx, node, [x]) => {
    const dtype = node.meta.dtype;
    const g = geometry(node.attrs, node.inputs[0]!.meta.shape, node.meta.shape);
    // ORT's AveragePool and ConvTranspose are float32-only; float64 sums windows by im2col.
    if (dtype === "float64")
      return avgPool64(ctx, x!, node.inputs[0]!.meta.shape, windowsOf(g), [...avgDivisors(node.attrs, g)]);
    let input = x!;
    let pads = onnxPads(g);
    if (!padsFit(g)) {
      const p = pads;
      input = ctx.op("Pad", [x!, ctx.ints([0, 0, p[0]!, p[1]!, 0, 0, p[2]!, p[3]!]), ctx.scalar(dtype, 0)], {
        mode: { string: "constant" },
      });
      pads = [0, 0, 0, 0];
    }
    const area = g.kernel[0]! * g.kernel[1]!;
    const divisors = avgDivisors(node.attrs, g);
    const scale = Array.from(divisors, (d) => (d === 0 ? 0 : area / d));
    const uniform = scale.every((s) => s === 1);
    const mean = ctx.op(
      "AveragePool",
      [input],
      {
        kernel_shape: { ints: g.kernel },
        strides: { ints: g.stride },
        pads: { ints: pads },
        count_include_pad: { int: 1 },
      },
      uniform ? ctx.out : undefined,
    );
    if (uniform) return mean;
    return ctx.op("Mul", [mean, ctx.constant(dtype, g.output, scale)], {}, ctx.out);
  },
  // The adjoint of the window sum is a transposed conv with a ones kernel, one group per channel:
  // each gradient, divided by its window's divisor, is added over its window. Pads crop the
  // padded border away; output_padding adds the never-read tail rows back (with zero gradient).
  avgPool2dBackward: (ctx, node, [gy]) => {
    const dtype = node.meta.dtype;
    const shape = node.attrs.inputShape;
    const g = geometry(node.attrs, shape, node.inputs[0]!.meta.shape);
    const divisors = avgDivisors(node.attrs, g);
    if (dtype === "float64") return avgPoolBackward64(ctx, gy!, shape, windowsOf(g), [...divisors]);
    const inverse = Array.from(divisors, (d) => (d === 0 ? 0 : 1 / d));
    const scaled = inverse.every((v) => v === inverse[0])
      ? ctx.op("Mul", [gy!, ctx.scalar(dtype, inverse[0] ?? 0)])
      : ctx.op("Mul", [gy!, ctx.constant(dtype, g.output, inverse)]);
    const channels = shape[1]!;
    const ones = ctx.constant(
      dtype,
      [channels, 1, g.kernel[0]!, g.kernel[1]!],
      new Array(channels * g.kernel[0]! * g.kernel[1]!).fill(1),
    );
    return ctx.op(
      "ConvTranspose",
      [scaled, ones],
      {
        kernel_shape: { ints: g.kernel },
        strides: { ints: g.stride },
        pads: { ints: onnxPads(g) },
        output_padding: { ints: g.end.map((e) => Math.max(0, -e)) },
        group: { int: channels },
      },
      ctx.out,
    );
  },
};

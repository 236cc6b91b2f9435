// conv2dBackwardWeight in float32, three ways:
//   - "conv": one Conv with the output gradient as the kernel (the batch plays the channels);
//   - "gemm": im2col of x, then ONE MatMul over K = N * OH * OW;
//   - "batchedGemm": the same columns per sample, a batched MatMul over K = OH * OW, ReduceSum over N.
// Which one a node gets is `chooseWeightGrad`'s call, from measurements. The GEMM formulations
// build their columns with one depthwise Conv (`oneHotColumns`) while x is finite.
import type { LoweringContext } from "../context.js";
import { type ConvGeometry, symmetricPads } from "./conv-geometry.js";
import { unlessSumFlags } from "./guards.js";

/** How conv2dBackwardWeight is lowered (see `OnnxModelOptions.formulations`). */
export type WeightGradFormulation = "conv" | "gemm" | "batchedGemm";

/**
 * dW[o, c, i, j] = sum over n, y, x of g[n, o, y, x] * x[n, c, y*s + i*d - p, x*s + j*d - p]: a
 * convolution of x with g as the kernel, where the batch plays the channels' role. The roles of
 * stride and dilation swap (the kernel g steps by the conv's stride, the output by its dilation).
 * With groups, the group joins the batch in the channel dim (x as [C/G, G*N, H, W]) and a grouped
 * Conv keeps each group's output channels to its own inputs. Output [C/G, O, kh', kw'] is sliced
 * to the kernel (kh' can exceed kh when the last rows never reach a window) and transposed.
 * ORT runs this Conv as a GEMM whose N is only kh' * kw', so it is slow unless the input has few
 * channels (the ResNet stem, C = 3, where the columns of the other formulations cost more).
 */
export function weightGradConv(
  ctx: LoweringContext,
  g: string,
  x: string,
  geo: ConvGeometry,
  out: string | undefined = ctx.out,
): string {
  const { n, cg, o, groups } = geo;
  const [h, w] = geo.input as [number, number];
  const [kh, kw] = geo.kernel as [number, number];
  const [oh, ow] = geo.output as [number, number];
  const og = o / groups;
  let xs: string;
  let gs: string;
  if (groups === 1) {
    xs = ctx.op("Transpose", [x], { perm: { ints: [1, 0, 2, 3] } });
    gs = ctx.op("Transpose", [g], { perm: { ints: [1, 0, 2, 3] } });
  } else {
    const x5 = ctx.op("Reshape", [x, ctx.ints([n, groups, cg, h, w])]);
    xs = ctx.op("Reshape", [
      ctx.op("Transpose", [x5], { perm: { ints: [2, 1, 0, 3, 4] } }),
      ctx.ints([cg, groups * n, h, w]),
    ]);
    const g5 = ctx.op("Reshape", [g, ctx.ints([n, groups, og, oh, ow])]);
    gs = ctx.op("Reshape", [
      ctx.op("Transpose", [g5], { perm: { ints: [1, 2, 0, 3, 4] } }),
      ctx.ints([o, n, oh, ow]),
    ]);
  }
  let y = ctx.op("Conv", [xs, gs], {
    kernel_shape: { ints: [oh, ow] },
    strides: { ints: geo.dilation },
    dilations: { ints: geo.stride },
    pads: { ints: symmetricPads(geo.padding) },
    group: { int: groups },
  });
  const full = [0, 1].map((i) => {
    const size = geo.input[i]! + 2 * geo.padding[i]! - geo.stride[i]! * (geo.output[i]! - 1) - 1;
    return Math.floor(size / geo.dilation[i]!) + 1;
  });
  if (full[0] !== kh || full[1] !== kw) {
    y = ctx.op("Slice", [y, ctx.ints([0, 0]), ctx.ints([kh, kw]), ctx.ints([2, 3])]);
  }
  return ctx.op("Transpose", [y], { perm: { ints: [1, 0, 2, 3] } }, out);
}

/** The columns of a 1x1 kernel without padding: x, or one strided Slice of it. */
function pointColumns(ctx: LoweringContext, x: string, geo: ConvGeometry): string {
  const [h, w] = geo.input as [number, number];
  const end = [0, 1].map((k) => geo.stride[k]! * (geo.output[k]! - 1) + 1);
  const whole = end[0] === h && end[1] === w && geo.stride.every((s) => s === 1);
  return whole
    ? x
    : ctx.op("Slice", [x, ctx.ints([0, 0]), ctx.ints(end), ctx.ints([2, 3]), ctx.ints(geo.stride)]);
}

/** One-hot Conv weights [channels * T, 1, kh, kw]: output channel c * T + t has a single 1, at tap t. */
function oneHotKernels(ctx: LoweringContext, channels: number, kh: number, kw: number): string {
  const taps = kh * kw;
  const kernels = new Float32Array(channels * taps * taps);
  for (let k = 0; k < channels * taps; k++) kernels[k * taps + (k % taps)] = 1;
  return ctx.staticConstant("float32", [channels * taps, 1, kh, kw], kernels);
}

/**
 * im2col of x [N, C, H, W] as one depthwise Conv with one-hot kernels (`oneHotKernels`), so the
 * result [N, C * T, OH, OW] is [N, C, T, OH, OW].
 * ORT runs it as its own im2col and a T x T GEMM per channel, 2-2.5x faster than Pad, a Slice
 * per tap and a Concat (the columns of resnet18's 64-channel 56^2 layer at batch 8: 7 against
 * 17 ms). It is exact only while x is finite: each column sums x * 1 with 0 * every other tap,
 * and 0 * inf is NaN.
 */
function oneHotColumns(ctx: LoweringContext, x: string, geo: ConvGeometry): string {
  const [kh, kw] = geo.kernel as [number, number];
  return ctx.op("Conv", [x, oneHotKernels(ctx, geo.c, kh, kw)], {
    kernel_shape: { ints: [kh, kw] },
    strides: { ints: geo.stride },
    dilations: { ints: geo.dilation },
    pads: { ints: symmetricPads(geo.padding) },
    group: { int: geo.c },
  });
}

/**
 * dW as GEMMs over im2col columns. "gemm": columns [C, T, N, OH, OW] = [G, Cg*T, K] and g as
 * [G, O/G, K], and per group one product g @ columns^T, K = N*OH*OW: the largest contraction,
 * best where the spatial size is small; with g on the left the product is dW's own layout, so
 * the result needs no transpose (resnet18's 512-channel 7^2 layer at batch 8: 16.1-16.2 ms
 * against 18.1-19.3 with the columns on the left and the result transposed). "batchedGemm":
 * columns [N, C, T, OH, OW] and one product per sample, K = OH*OW, then ReduceSum over N; it
 * copies neither the columns nor g into another layout (g's per-sample transpose is ORT's to
 * fuse into the MatMul), takes the columns on the left ([Cg*T, og], the orientation ORT's MatMul
 * ran fastest there) and transposes the small result to [O, Cg, kh, kw].
 *
 * A kernel that reads more than x itself (a tap per output, or padding) takes its columns from
 * `oneHotColumns` when they are exact, and otherwise runs the "conv" formulation, which is exact
 * for inf and NaN: an ONNX If on one scalar, so until training meets a non-finite value the
 * slow, exact path costs one sum. The sum is of x (finite x gives exact columns) or, where the
 * product is less than half x's size, of the product: a non-finite x puts 0 * inf = NaN into a
 * column of every window that reads it (the kernel has at least two taps), and a GEMM carries a
 * NaN column into the product whatever g holds, while a finite product from finite x is exact
 * (resnet18's 56^2 and 28^2 layers: a sum of 37-147K weights instead of 0.8-1.6M activations).
 */
export function weightGradGemm(
  ctx: LoweringContext,
  g: string,
  x: string,
  geo: ConvGeometry,
  batched: boolean,
): string {
  const onlyX = geo.kernel[0]! * geo.kernel[1]! === 1 && geo.padding.every((p) => p === 0);
  const weightShape = ctx.ints([geo.o, geo.cg, geo.kernel[0]!, geo.kernel[1]!]);
  if (onlyX)
    return ctx.op(
      "Reshape",
      [columnsProduct(ctx, g, geo, batched, pointColumns(ctx, x, geo)), weightShape],
      {},
      ctx.out,
    );
  // Both branches give the product's own [G, og, Cg*T] and the Reshape to dW's shape follows the
  // If: a Reshape that ends a branch copies its input (2.2 ms for a 512-channel 3x3 weight), one
  // in the graph only renames it.
  const exact = () =>
    ctx.op("Reshape", [weightGradConv(ctx, g, x, geo, undefined), ctx.ints(productShape(geo))]);
  const fast = () =>
    !batched && stacks(geo)
      ? stackedProduct(ctx, g, x, geo)
      : columnsProduct(ctx, g, geo, batched, oneHotColumns(ctx, x, geo));
  const xSize = geo.n * geo.c * geo.input[0]! * geo.input[1]!;
  const dwSize = geo.o * geo.cg * geo.kernel[0]! * geo.kernel[1]!;
  // The guard sums the smaller tensor: x, or (plus the copy out of the If) the product itself.
  const product = 2 * dwSize < xSize ? fast() : undefined;
  const dw = unlessSumFlags(ctx, product ?? x, "nonFinite", "float32", exact, product ? () => product : fast);
  return ctx.op("Reshape", [dw, weightShape], {}, ctx.out);
}

/**
 * Whether "gemm" stacks the images (`stackedProduct`): stride 1, and the rows between images add
 * at most a fifth to the product (resnet18's 14^2 layers: 16 rows per 14; not its 7^2 ones).
 */
const stacks = (geo: ConvGeometry) =>
  geo.stride.every((s) => s === 1) &&
  5 * (geo.output[0]! + geo.dilation[0]! * (geo.kernel[0]! - 1)) <= 6 * geo.output[0]!;

/**
 * "gemm" with its columns built in the product's own layout [C, T, K'], so neither they nor the
 * product are transposed (only x and g, a ninth of the columns' size; resnet18's 256-channel 14^2
 * columns' transpose took 3.9 ms). x goes to [C, N, H, W], each image padded by its row padding,
 * and the images stacked into one plane of N * (H + 2p) rows, which one Conv with one-hot kernels
 * turns into columns for every tap. A stride-1 window over rows n * (H + 2p) + y (y below the
 * output height) lies inside image n, so those are its columns; the others straddle two images,
 * and g, transposed and padded the same way, is zero there: finite x puts finite values there and
 * 0 * them adds nothing (non-finite x takes the exact path, see `weightGradGemm`).
 */
function stackedProduct(ctx: LoweringContext, g: string, x: string, geo: ConvGeometry): string {
  const { n, c, o, cg, groups } = geo;
  const [h, w] = geo.input as [number, number];
  const [kh, kw] = geo.kernel as [number, number];
  const [ph, pw] = geo.padding as [number, number];
  const [oh, ow] = geo.output as [number, number];
  const rows = h + 2 * ph;
  const reach = geo.dilation[0]! * (kh - 1);
  const taps = kh * kw;
  const byChannel = ctx.op("Transpose", [x], { perm: { ints: [1, 0, 2, 3] } });
  const padded =
    ph === 0
      ? byChannel
      : ctx.op("Pad", [byChannel, ctx.ints([0, 0, ph, 0, 0, 0, ph, 0]), ctx.scalar("float32", 0)]);
  const plane = ctx.op("Reshape", [padded, ctx.ints([c, 1, n * rows, w])]);
  const columns = ctx.op("Conv", [plane, oneHotKernels(ctx, 1, kh, kw)], {
    kernel_shape: { ints: [kh, kw] },
    dilations: { ints: geo.dilation },
    pads: { ints: [0, pw, reach, pw] },
  });
  const k = n * rows * ow;
  const cols = ctx.op("Reshape", [columns, ctx.ints([groups, cg * taps, k])]);
  const gt = ctx.op("Transpose", [g], { perm: { ints: [1, 0, 2, 3] } });
  const gPadded =
    rows === oh
      ? gt
      : ctx.op("Pad", [gt, ctx.ints([0, 0, 0, 0, 0, 0, rows - oh, 0]), ctx.scalar("float32", 0)]);
  const grads = ctx.op("Reshape", [gPadded, ctx.ints([groups, o / groups, k])]);
  return ctx.op("MatMul", [grads, ctx.op("Transpose", [cols], { perm: { ints: [0, 2, 1] } })]);
}

/** The weight gradient as both products give it: [G, og, Cg*T], dW's row-major order. */
const productShape = (geo: ConvGeometry) => [
  geo.groups,
  geo.o / geo.groups,
  geo.cg * geo.kernel[0]! * geo.kernel[1]!,
];

/** The product of `columns` ([N, C, T, OH, OW] in any shape of that layout) with g, as dW [G, og, Cg*T]. */
function columnsProduct(
  ctx: LoweringContext,
  g: string,
  geo: ConvGeometry,
  batched: boolean,
  columns: string,
): string {
  const { n, cg, o, groups } = geo;
  const og = o / groups;
  const taps = geo.kernel[0]! * geo.kernel[1]!;
  const positions = geo.output[0]! * geo.output[1]!;
  if (batched) {
    const cols = ctx.op("Reshape", [columns, ctx.ints([n, groups, cg * taps, positions])]);
    const grads = ctx.op("Reshape", [g, ctx.ints([n, groups, og, positions])]);
    const perSample = ctx.op("MatMul", [
      cols,
      ctx.op("Transpose", [grads], { perm: { ints: [0, 1, 3, 2] } }),
    ]);
    const product = ctx.reduce("ReduceSum", perSample, [0], false);
    return ctx.op("Transpose", [product], { perm: { ints: [0, 2, 1] } });
  }
  const k = n * positions;
  const flat = ctx.op("Reshape", [columns, ctx.ints([n, geo.c * taps, positions])]);
  const byChannel = ctx.op("Transpose", [flat], { perm: { ints: [1, 0, 2] } });
  const cols = ctx.op("Reshape", [byChannel, ctx.ints([groups, cg * taps, k])]);
  const gt = ctx.op("Transpose", [g], { perm: { ints: [1, 0, 2, 3] } });
  const grads = ctx.op("Reshape", [gt, ctx.ints([groups, og, k])]);
  return ctx.op("MatMul", [grads, ctx.op("Transpose", [cols], { perm: { ints: [0, 2, 1] } })]);
}

/**
 * The formulation for one node: the forced one, else (auto) by shape, from resnet18's layers at
 * batch 8 and a few others on ORT's CPU kernels (see the README's Performance section):
 *   - "conv" for large strided kernels over many input channels (a 7x7 stride 2 conv of 16
 *     channels, not resnet18's stem of 3): there the Conv's own GEMM (N = kh*kw) runs faster
 *     than a product over columns 12 times the size of x;
 *   - "batchedGemm" where x and g are large next to the weight (N weights' worth is less than
 *     x and g): it transposes neither g nor the columns, and its ReduceSum over the batch is the
 *     cheaper extra copy. With one-hot columns that holds down to resnet18's 128 channels at 28^2
 *     (9.4-10.5 ms there against 11.9-13.0 as "gemm");
 *   - "gemm" otherwise (deep, small layers, where one K = N*OH*OW contraction runs fastest).
 */
export function chooseWeightGrad(
  geo: ConvGeometry,
  forced: WeightGradFormulation | "auto" | undefined,
): WeightGradFormulation {
  if (forced && forced !== "auto") return forced;
  const [kh, kw] = geo.kernel as [number, number];
  if (kh * kw >= 25 && geo.cg * kh * kw >= 400 && geo.stride[0]! * geo.stride[1]! > 1) return "conv";
  const xSize = geo.n * geo.c * geo.input[0]! * geo.input[1]!;
  const gSize = geo.n * geo.o * geo.output[0]! * geo.output[1]!;
  const wSize = geo.o * geo.cg * kh * kw;
  return geo.n * wSize < xSize + gSize ? "batchedGemm" : "gemm";
}

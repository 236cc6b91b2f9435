import type { LoweringContext } from "../context.js";
import { conv64, convBackwardInput64, convBackwardWeight64, type Windows } from "./float64.js";
import type { LoweringsFor } from "./types.js";

type ConvOp = "matmul" | "conv2d" | "conv2dBackwardInput" | "conv2dBackwardWeight";

interface ConvAttrs {
  readonly stride: readonly number[];
  readonly padding: readonly number[];
  readonly dilation: readonly number[];
  readonly groups: number;
}

/** A conv's windows over x [N, C, H, W] (symmetric padding) with weight [O, C/G, kh, kw] and output [.., oh, ow]. */
const convWindows = (
  x: readonly number[],
  w: readonly number[],
  y: readonly number[],
  a: ConvAttrs,
): Windows => ({
  kernel: w.slice(2),
  stride: a.stride,
  dilation: a.dilation,
  before: a.padding,
  after: a.padding,
  input: x.slice(2),
  output: y.slice(2),
});

/** ONNX pads list begins then ends: [top, left, bottom, right]. */
const symmetricPads = (p: readonly number[]) => [p[0]!, p[1]!, p[0]!, p[1]!];

/**
 * dW[o, c, i, j] = sum over n, y, x of g[n, o, y, x] * x[n, c, y*s + i*d - p, x*s + j*d - p]: a
 * convolution of x with g as the kernel, where the batch plays the channels' role. The roles of
 * stride and dilation swap (the kernel g steps by the conv's stride, the output by its dilation).
 * With groups, the group joins the batch in the channel dim (x as [C/G, G*N, H, W]) and a grouped
 * Conv keeps each group's output channels to its own inputs. Output [C/G, O, kh', kw'] is sliced
 * to the kernel (kh' can exceed kh when the last rows never reach a window) and transposed.
 */
function conv2dBackwardWeight(
  ctx: LoweringContext,
  g: string,
  x: string,
  gShape: readonly number[],
  xShape: readonly number[],
  wShape: readonly number[],
  a: ConvAttrs,
): string {
  const [n, , h, w] = xShape as [number, number, number, number];
  const [o, cg, kh, kw] = wShape as [number, number, number, number];
  const [, , oh, ow] = gShape as [number, number, number, number];
  const groups = a.groups;
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
    strides: { ints: a.dilation },
    dilations: { ints: a.stride },
    pads: { ints: symmetricPads(a.padding) },
    group: { int: groups },
  });
  const full = [0, 1].map((i) => {
    const size = [h, w][i]! + 2 * a.padding[i]! - a.stride[i]! * ([oh, ow][i]! - 1) - 1;
    return Math.floor(size / a.dilation[i]!) + 1;
  });
  if (full[0] !== kh || full[1] !== kw) {
    y = ctx.op("Slice", [y, ctx.ints([0, 0]), ctx.ints([kh, kw]), ctx.ints([2, 3])]);
  }
  return ctx.op("Transpose", [y], { perm: { ints: [1, 0, 2, 3] } }, ctx.out);
}

export const computeLowerings: LoweringsFor<ConvOp> = {
  // ONNX MatMul broadcasts batch dims as numpy.matmul does, like the IR op.
  // With an inner dim of 0 the product is zeros; ORT's batched MatMul then leaves its output
  // uninitialized (found by @aotjs/fuzz), so the zeros are made directly.
  matmul: (ctx, node, [a, b]) => {
    const k = node.inputs[0]!.meta.shape.at(-1);
    if (k !== 0) return ctx.op("MatMul", [a!, b!], {}, ctx.out);
    const zero = ctx.tensorProto(node.meta.dtype, [1], [0]);
    return ctx.op("ConstantOfShape", [ctx.ints(node.meta.shape)], { value: { tensor: zero } }, ctx.out);
  },
  // ORT's Conv and ConvTranspose are float32-only; float64 goes through im2col + MatMul (float64.ts).
  conv2d: (ctx, node, [x, w]) => {
    const a = node.attrs;
    const [xs, ws] = [node.inputs[0]!.meta.shape, node.inputs[1]!.meta.shape];
    if (node.meta.dtype === "float64")
      return conv64(ctx, x!, w!, xs, ws, a.groups, convWindows(xs, ws, node.meta.shape, a));
    const [, , kh, kw] = ws;
    return ctx.op(
      "Conv",
      [x!, w!],
      {
        kernel_shape: { ints: [kh!, kw!] },
        strides: { ints: a.stride },
        pads: { ints: symmetricPads(a.padding) },
        dilations: { ints: a.dilation },
        group: { int: a.groups },
      },
      ctx.out,
    );
  },
  // The gradient of a conv with respect to its input is the transposed conv with the same weight:
  // the OIHW weight is ConvTranspose's (C_in, C_out / groups, kH, kW) layout as it stands.
  // output_padding restores the rows the forward's floor division dropped.
  conv2dBackwardInput: (ctx, node, [g, w]) => {
    const a = node.attrs;
    if (node.meta.dtype === "float64") {
      const ws = node.inputs[1]!.meta.shape;
      const win = convWindows(a.inputShape, ws, node.inputs[0]!.meta.shape, a);
      return convBackwardInput64(ctx, g!, w!, a.inputShape, ws, a.groups, win);
    }
    const [, , kh, kw] = node.inputs[1]!.meta.shape as [number, number, number, number];
    const [, , oh, ow] = node.inputs[0]!.meta.shape as [number, number, number, number];
    const kernel = [kh, kw];
    const outputPadding = [oh, ow].map((o, i) => {
      const base = (o - 1) * a.stride[i]! - 2 * a.padding[i]! + a.dilation[i]! * (kernel[i]! - 1) + 1;
      return a.inputShape[2 + i]! - base;
    });
    if (outputPadding.some((p) => p < 0))
      ctx.fail(`inputShape [${a.inputShape}] is smaller than the transposed conv's output`);
    return ctx.op(
      "ConvTranspose",
      [g!, w!],
      {
        kernel_shape: { ints: kernel },
        strides: { ints: a.stride },
        pads: { ints: symmetricPads(a.padding) },
        dilations: { ints: a.dilation },
        group: { int: a.groups },
        output_padding: { ints: outputPadding },
      },
      ctx.out,
    );
  },
  conv2dBackwardWeight: (ctx, node, [g, x]) =>
    node.meta.dtype === "float64"
      ? convBackwardWeight64(
          ctx,
          g!,
          x!,
          node.inputs[1]!.meta.shape,
          node.attrs.weightShape,
          node.attrs.groups,
          convWindows(
            node.inputs[1]!.meta.shape,
            node.attrs.weightShape,
            node.inputs[0]!.meta.shape,
            node.attrs,
          ),
        )
      : conv2dBackwardWeight(
          ctx,
          g!,
          x!,
          node.inputs[0]!.meta.shape,
          node.inputs[1]!.meta.shape,
          node.attrs.weightShape,
          node.attrs,
        ),
};

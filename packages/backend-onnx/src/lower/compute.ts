import type { ConvOpName, MatmulOpName } from "@aotjs/ir";
import { type ConvAttrs, convGeometry, symmetricPads } from "./conv-geometry.js";
import { chooseInputGrad, inputGradConv, inputGradConvTranspose } from "./conv-input-grad.js";
import { chooseWeightGrad, weightGradConv, weightGradGemm } from "./conv-weight-grad.js";
import { conv64, convBackwardInput64, convBackwardWeight64, type Windows } from "./float64.js";
import { nchwcConv, onNchwc } from "./nchwc.js";
import type { LoweringsFor } from "./types.js";

type ConvOp = MatmulOpName | ConvOpName;

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
    const spec = {
      inChannels: xs[1]!,
      outChannels: ws[0]!,
      groups: a.groups,
      kernel: ws.slice(2),
      strides: a.stride,
      dilations: a.dilation,
      pads: symmetricPads(a.padding),
      output: node.meta.shape.slice(2),
    };
    if (onNchwc(ctx.nchwcBlock, spec)) return nchwcConv(ctx, x!, w!, spec, undefined, ctx.out);
    return ctx.op(
      "Conv",
      [x!, w!],
      {
        kernel_shape: { ints: spec.kernel },
        strides: { ints: a.stride },
        pads: { ints: spec.pads },
        dilations: { ints: a.dilation },
        group: { int: a.groups },
      },
      ctx.out,
    );
  },
  conv2dBackwardInput: (ctx, node, [g, w]) => {
    const a = node.attrs;
    const ws = node.inputs[1]!.meta.shape;
    const gs = node.inputs[0]!.meta.shape;
    if (node.meta.dtype === "float64")
      return convBackwardInput64(
        ctx,
        g!,
        w!,
        a.inputShape,
        ws,
        a.groups,
        convWindows(a.inputShape, ws, gs, a),
      );
    const geo = convGeometry(a.inputShape, ws, gs, a);
    return chooseInputGrad(geo, ctx.formulations.conv2dBackwardInput, ctx.nchwcBlock) === "conv"
      ? inputGradConv(ctx, g!, w!, geo)
      : inputGradConvTranspose(ctx, g!, w!, geo);
  },
  conv2dBackwardWeight: (ctx, node, [g, x]) => {
    const a = node.attrs;
    const xs = node.inputs[1]!.meta.shape;
    const gs = node.inputs[0]!.meta.shape;
    if (node.meta.dtype === "float64")
      return convBackwardWeight64(
        ctx,
        g!,
        x!,
        xs,
        a.weightShape,
        a.groups,
        convWindows(xs, a.weightShape, gs, a),
      );
    const geo = convGeometry(xs, a.weightShape, gs, a);
    const formulation = chooseWeightGrad(geo, ctx.formulations.conv2dBackwardWeight);
    return formulation === "conv"
      ? weightGradConv(ctx, g!, x!, geo)
      : weightGradGemm(ctx, g!, x!, geo, formulation === "batchedGemm");
  },
};

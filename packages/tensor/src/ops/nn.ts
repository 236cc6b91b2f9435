import { dispatch } from "../dispatch.js";
import { type Tensor, TensorError } from "../tensor.js";
import { pair, promote, requireTensor } from "./operands.js";

const fmt = (s: readonly number[]) => `[${s.join(", ")}]`;

/** torch.matmul: vectors are promoted to matrices and the added dim removed afterwards. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  requireTensor(a, "matmul", "the first argument");
  requireTensor(b, "matmul", "the second argument");
  if (a.shape.length === 0 || b.shape.length === 0) {
    throw new TensorError(
      `matmul: both arguments need at least 1 dim, got ${fmt(a.shape)} and ${fmt(b.shape)}`,
    );
  }
  const dtype = promote(a, b);
  let x = a.to(dtype);
  let y = b.to(dtype);
  const vecA = x.shape.length === 1;
  const vecB = y.shape.length === 1;
  if (vecA) x = x.unsqueeze(0);
  if (vecB) y = y.unsqueeze(1);
  let out = dispatch("matmul", [x, y]);
  if (vecB) out = out.squeeze(-1);
  if (vecA) out = out.squeeze(vecB ? -1 : -2);
  return out;
}

/** Options of `conv2d`: stride, padding, dilation and groups, as in `torch.nn.functional.conv2d`. */
export interface Conv2dOptions {
  readonly stride?: number | readonly number[];
  readonly padding?: number | readonly number[];
  readonly dilation?: number | readonly number[];
  readonly groups?: number;
}

const convAttrs = (o: Conv2dOptions, op: string) => ({
  stride: pair(o.stride ?? 1, "stride", op),
  padding: pair(o.padding ?? 0, "padding", op),
  dilation: pair(o.dilation ?? 1, "dilation", op),
  groups: o.groups ?? 1,
});

/** 2-D convolution over NCHW input with an OIHW weight (no bias: add it after, broadcasting). */
export const conv2d = (x: Tensor, weight: Tensor, options: Conv2dOptions = {}): Tensor =>
  dispatch("conv2d", [x, weight], convAttrs(options, "conv2d"));

/** The gradient of `conv2d` with respect to its input. */
export const conv2dBackwardInput = (
  gradOutput: Tensor,
  weight: Tensor,
  inputShape: readonly number[],
  options: Conv2dOptions = {},
): Tensor =>
  dispatch("conv2dBackwardInput", [gradOutput, weight], {
    ...convAttrs(options, "conv2dBackwardInput"),
    inputShape,
  });

/** The gradient of `conv2d` with respect to its weight. */
export const conv2dBackwardWeight = (
  gradOutput: Tensor,
  x: Tensor,
  weightShape: readonly number[],
  options: Conv2dOptions = {},
): Tensor =>
  dispatch("conv2dBackwardWeight", [gradOutput, x], {
    ...convAttrs(options, "conv2dBackwardWeight"),
    weightShape,
  });

export interface Pool2dOptions {
  readonly kernelSize: number | readonly number[];
  /** Defaults to kernelSize, as in PyTorch. */
  readonly stride?: number | readonly number[];
  readonly padding?: number | readonly number[];
  readonly ceilMode?: boolean;
}

const poolAttrs = (o: Pool2dOptions, op: string) => {
  const kernelSize = pair(o.kernelSize, "kernelSize", op);
  return {
    kernelSize,
    stride: o.stride === undefined ? kernelSize : pair(o.stride, "stride", op),
    padding: pair(o.padding ?? 0, "padding", op),
    ceilMode: o.ceilMode ?? false,
  };
};

/** Options of `maxPool2d`: kernel, stride, padding, dilation. */
export type MaxPool2dOptions = Pool2dOptions & { readonly dilation?: number | readonly number[] };
const maxPoolAttrs = (o: MaxPool2dOptions, op: string) => ({
  ...poolAttrs(o, op),
  dilation: pair(o.dilation ?? 1, "dilation", op),
});

/** 2-D max pooling over an NCHW tensor. */
export const maxPool2d = (x: Tensor, options: MaxPool2dOptions): Tensor =>
  dispatch("maxPool2d", [x], maxPoolAttrs(options, "maxPool2d"));
/** The gradient of `maxPool2d` with respect to its input. */
export const maxPool2dBackward = (gradOutput: Tensor, x: Tensor, options: MaxPool2dOptions): Tensor =>
  dispatch("maxPool2dBackward", [gradOutput, x], maxPoolAttrs(options, "maxPool2dBackward"));

/** Options of `avgPool2d`: kernel, stride, padding, and whether padding counts in the average. */
export type AvgPool2dOptions = Pool2dOptions & { readonly countIncludePad?: boolean };
const avgPoolAttrs = (o: AvgPool2dOptions, op: string) => ({
  ...poolAttrs(o, op),
  countIncludePad: o.countIncludePad ?? true,
});

/** 2-D average pooling over an NCHW tensor. */
export const avgPool2d = (x: Tensor, options: AvgPool2dOptions): Tensor =>
  dispatch("avgPool2d", [x], avgPoolAttrs(options, "avgPool2d"));
/** The gradient of `avgPool2d` with respect to its input. */
export const avgPool2dBackward = (
  gradOutput: Tensor,
  inputShape: readonly number[],
  options: AvgPool2dOptions,
): Tensor =>
  dispatch("avgPool2dBackward", [gradOutput], { ...avgPoolAttrs(options, "avgPool2dBackward"), inputShape });

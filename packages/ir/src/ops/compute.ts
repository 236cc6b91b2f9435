import { attr } from "../attrs.js";
import { formatMeta, type TensorMeta } from "../tensor-data.js";
import {
  broadcastShapes,
  defineCompute,
  fail,
  requireKind,
  requireRank,
  requireSameDType,
} from "./define.js";

const fmt = (s: readonly number[]) => `[${s.join(",")}]`;
const pair = (d: number, min: number) => attr.ints({ length: 2, min, default: [d, d] });

/** Output length of a window op along one spatial dim, as PyTorch computes it. */
export function windowOutputSize(
  size: number,
  kernel: number,
  stride: number,
  padding: number,
  dilation: number,
  ceilMode = false,
): number {
  const span = size + 2 * padding - dilation * (kernel - 1) - 1;
  let out = (ceilMode ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  // With ceil mode the last window must start inside the input or its left padding.
  if (ceilMode && (out - 1) * stride >= size + padding) out--;
  return out;
}

const convAttrs = {
  stride: pair(1, 1),
  padding: pair(0, 0),
  dilation: pair(1, 1),
  groups: attr.int({ default: 1, min: 1 }),
};
interface ConvAttrs {
  readonly stride: readonly number[];
  readonly padding: readonly number[];
  readonly dilation: readonly number[];
  readonly groups: number;
}

/** The conv2d shape rule, shared by its two backward ops so all three agree by construction. */
export function conv2dShape(x: readonly number[], w: readonly number[], a: ConvAttrs): number[] {
  const [n, c, h, wd] = x as [number, number, number, number];
  const [o, cg, kh, kw] = w as [number, number, number, number];
  if (c % a.groups !== 0 || o % a.groups !== 0) {
    fail(`groups ${a.groups} must divide input channels ${c} and output channels ${o}`);
  }
  if (cg * a.groups !== c) {
    fail(
      `weight ${fmt(w)} expects ${cg * a.groups} input channels (${cg} x groups ${a.groups}), x ${fmt(x)} has ${c}`,
    );
  }
  const oh = windowOutputSize(h, kh, a.stride[0]!, a.padding[0]!, a.dilation[0]!);
  const ow = windowOutputSize(wd, kw, a.stride[1]!, a.padding[1]!, a.dilation[1]!);
  if (oh < 1 || ow < 1)
    fail(`kernel ${kh}x${kw} (dilation ${a.dilation}) is larger than the padded input ${fmt(x)}`);
  return [n, o, oh, ow];
}

const poolAttrs = {
  kernelSize: attr.ints({ length: 2, min: 1 }),
  stride: attr.ints({ length: 2, min: 1 }),
  padding: pair(0, 0),
  ceilMode: attr.bool({ default: false }),
};

interface PoolAttrs {
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly padding: readonly number[];
  readonly dilation?: readonly number[];
  readonly ceilMode: boolean;
}

/** The output shape of a 2-D pooling of `x` with `a`. */
export function pool2dShape(x: TensorMeta, a: PoolAttrs): number[] {
  requireRank(x, "x", 4);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const d = a.dilation ?? [1, 1];
  a.padding.forEach((p, i) => {
    if (p * 2 > a.kernelSize[i]!)
      fail(`padding ${fmt(a.padding)} must be at most half the kernel ${fmt(a.kernelSize)}`);
  });
  const oh = windowOutputSize(h, a.kernelSize[0]!, a.stride[0]!, a.padding[0]!, d[0]!, a.ceilMode);
  const ow = windowOutputSize(w, a.kernelSize[1]!, a.stride[1]!, a.padding[1]!, d[1]!, a.ceilMode);
  if (oh < 1 || ow < 1) fail(`kernel ${fmt(a.kernelSize)} is larger than the padded input ${formatMeta(x)}`);
  return [n, c, oh, ow];
}

function requireShape(m: TensorMeta, input: string, shape: readonly number[], why: string): void {
  if (fmt(m.shape) !== fmt(shape)) fail(`${input} is ${formatMeta(m)} but ${why} is ${fmt(shape)}`);
}

export const computeOps = {
  matmul: defineCompute({
    category: "compute-heavy",
    kind: "matmul",
    inputs: ["a", "b"],
    attrs: {},
    infer: ([a, b]) => {
      const dtype = requireSameDType([a!, b!], ["a", "b"]);
      requireKind(a!, "a", "float", "int");
      if (a!.shape.length < 2 || b!.shape.length < 2) {
        fail(
          `matmul takes rank >= 2 (the eager layer handles vectors), got ${formatMeta(a!)} and ${formatMeta(b!)}`,
        );
      }
      const [m, k] = a!.shape.slice(-2) as [number, number];
      const [k2, n] = b!.shape.slice(-2) as [number, number];
      if (k !== k2) fail(`inner dims differ: ${formatMeta(a!)} @ ${formatMeta(b!)} (${k} vs ${k2})`);
      const batch = broadcastShapes(a!.shape.slice(0, -2), b!.shape.slice(0, -2));
      return { shape: [...batch, m, n], dtype };
    },
    doc: "batched matrix product [..., m, k] @ [..., k, n]; batch dims broadcast",
  }),
  conv2d: defineCompute({
    category: "compute-heavy",
    kind: "conv",
    inputs: ["x", "weight"],
    attrs: convAttrs,
    infer: ([x, w], a) => {
      requireRank(x!, "x", 4);
      requireRank(w!, "weight", 4);
      const dtype = requireSameDType([x!, w!], ["x", "weight"]);
      requireKind(x!, "x", "float");
      return { shape: conv2dShape(x!.shape, w!.shape, a), dtype };
    },
    doc: "2-D cross-correlation, NCHW input, OIHW weight (no bias: add it after)",
  }),
  conv2dBackwardInput: defineCompute({
    category: "compute-heavy",
    kind: "conv",
    inputs: ["gradOutput", "weight"],
    attrs: { ...convAttrs, inputShape: attr.ints({ length: 4, min: 0 }) },
    infer: ([g, w], a) => {
      requireRank(w!, "weight", 4);
      const dtype = requireSameDType([g!, w!], ["gradOutput", "weight"]);
      requireKind(g!, "gradOutput", "float");
      requireShape(
        g!,
        "gradOutput",
        conv2dShape(a.inputShape, w!.shape, a),
        "conv2d's output for inputShape",
      );
      return { shape: a.inputShape, dtype };
    },
    doc: "gradient of conv2d with respect to its input (a transposed convolution)",
  }),
  conv2dBackwardWeight: defineCompute({
    category: "compute-heavy",
    kind: "conv",
    inputs: ["gradOutput", "x"],
    attrs: { ...convAttrs, weightShape: attr.ints({ length: 4, min: 1 }) },
    infer: ([g, x], a) => {
      requireRank(x!, "x", 4);
      const dtype = requireSameDType([g!, x!], ["gradOutput", "x"]);
      requireKind(g!, "gradOutput", "float");
      requireShape(
        g!,
        "gradOutput",
        conv2dShape(x!.shape, a.weightShape, a),
        "conv2d's output for weightShape",
      );
      return { shape: a.weightShape, dtype };
    },
    doc: "gradient of conv2d with respect to its weight",
  }),
  maxPool2d: defineCompute({
    category: "compute-heavy",
    kind: "pool",
    inputs: ["x"],
    attrs: { ...poolAttrs, dilation: pair(1, 1) },
    infer: ([x], a) => {
      requireKind(x!, "x", "float", "int");
      return { shape: pool2dShape(x!, a), dtype: x!.dtype };
    },
    doc: "max over windows; padding counts as -infinity",
  }),
  maxPool2dBackward: defineCompute({
    category: "compute-heavy",
    kind: "pool",
    inputs: ["gradOutput", "x"],
    attrs: { ...poolAttrs, dilation: pair(1, 1) },
    infer: ([g, x], a) => {
      requireSameDType([g!, x!], ["gradOutput", "x"]);
      requireKind(x!, "x", "float", "int");
      requireShape(g!, "gradOutput", pool2dShape(x!, a), "maxPool2d's output for x");
      return { shape: x!.shape, dtype: x!.dtype };
    },
    doc: "routes each gradient to the maximum of its window in x: the first maximum on ties, the last NaN if any (as PyTorch)",
  }),
  avgPool2d: defineCompute({
    category: "compute-heavy",
    kind: "pool",
    inputs: ["x"],
    attrs: { ...poolAttrs, countIncludePad: attr.bool({ default: true }) },
    infer: ([x], a) => {
      requireKind(x!, "x", "float");
      return { shape: pool2dShape(x!, a), dtype: x!.dtype };
    },
    doc:
      "mean over windows; countIncludePad divides by the window clipped to the padded input (PyTorch's default), " +
      "otherwise by the number of real input elements in it",
  }),
  avgPool2dBackward: defineCompute({
    category: "compute-heavy",
    kind: "pool",
    inputs: ["gradOutput"],
    attrs: {
      ...poolAttrs,
      countIncludePad: attr.bool({ default: true }),
      inputShape: attr.ints({ length: 4, min: 0 }),
    },
    infer: ([g], a) => {
      requireKind(g!, "gradOutput", "float");
      const x = { shape: a.inputShape, dtype: g!.dtype };
      requireShape(g!, "gradOutput", pool2dShape(x, a), "avgPool2d's output for inputShape");
      return x;
    },
    doc: "spreads each gradient evenly over its window",
  }),
};

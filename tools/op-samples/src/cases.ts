// Conv and pool geometries of the sample table: strides, padding, dilation, groups (depthwise too),
// ceil mode, plus a ResNet stem, a strided 1x1 downsample, and a ceil-mode window clipped at the edge.
// The conv cases also reach every formulation a backend may switch between by shape: padding
// wider than the kernel reaches (a transposed conv with negative padding), a 1x1 conv at stride 1
// (no im2col) and at stride 2 with padding, strides and dilations that share no factor, and rows
// the forward's floor division drops.
import { conv2dShape, pool2dShape } from "@aotjs/ir";

export interface ConvCase {
  readonly name: string;
  readonly x: readonly number[];
  readonly w: readonly number[];
  readonly attrs: { stride: number[]; padding: number[]; dilation: number[]; groups: number };
}
/** Small geometries that each stress one attribute, then a ResNet-style 7x7 stride 2 and a 1x1 stride 2. */
export const CONV_CASES: readonly ConvCase[] = [
  {
    name: "3x3",
    x: [1, 2, 5, 5],
    w: [3, 2, 3, 3],
    attrs: { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 },
  },
  {
    name: "stride [2,1] padding [1,0]",
    x: [2, 2, 6, 5],
    w: [3, 2, 3, 2],
    attrs: { stride: [2, 1], padding: [1, 0], dilation: [1, 1], groups: 1 },
  },
  {
    name: "dilation 2 padding 1",
    x: [1, 2, 7, 7],
    w: [2, 2, 3, 3],
    attrs: { stride: [1, 1], padding: [1, 1], dilation: [2, 2], groups: 1 },
  },
  {
    name: "groups 2 stride 2 padding 1",
    x: [1, 4, 5, 5],
    w: [4, 2, 3, 3],
    attrs: { stride: [2, 2], padding: [1, 1], dilation: [1, 1], groups: 2 },
  },
  {
    name: "depthwise stride 2 dilation 2",
    x: [1, 3, 6, 6],
    w: [3, 1, 2, 2],
    attrs: { stride: [2, 2], padding: [0, 0], dilation: [2, 2], groups: 3 },
  },
  {
    name: "7x7 stride 2 padding 3 (resnet stem)",
    x: [2, 3, 11, 11],
    w: [4, 3, 7, 7],
    attrs: { stride: [2, 2], padding: [3, 3], dilation: [1, 1], groups: 1 },
  },
  {
    name: "1x1 stride 2 (downsample)",
    x: [2, 4, 6, 7],
    w: [3, 4, 1, 1],
    attrs: { stride: [2, 2], padding: [0, 0], dilation: [1, 1], groups: 1 },
  },
  {
    name: "1x1 (pointwise)",
    x: [2, 4, 3, 3],
    w: [5, 4, 1, 1],
    attrs: { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 },
  },
  {
    name: "[2,3] padding [2,1] (padding past the kernel's reach)",
    x: [1, 2, 4, 5],
    w: [3, 2, 2, 3],
    attrs: { stride: [1, 1], padding: [2, 1], dilation: [1, 1], groups: 1 },
  },
  {
    name: "1x1 stride 2 padding 1",
    x: [1, 3, 5, 4],
    w: [2, 3, 1, 1],
    attrs: { stride: [2, 2], padding: [1, 1], dilation: [1, 1], groups: 1 },
  },
  {
    name: "[1,3] stride 2 padding [0,1] (rows no tap reads)",
    x: [1, 2, 5, 6],
    w: [2, 2, 1, 3],
    attrs: { stride: [2, 2], padding: [0, 1], dilation: [1, 1], groups: 1 },
  },
  {
    name: "groups 2 stride [3,2] dilation [2,3] padding [2,1] (floor drops rows)",
    x: [1, 4, 9, 8],
    w: [4, 2, 3, 2],
    attrs: { stride: [3, 2], padding: [2, 1], dilation: [2, 3], groups: 2 },
  },
];
export const convOut = (c: ConvCase) => conv2dShape(c.x, c.w, c.attrs);

export interface PoolCase {
  readonly name: string;
  readonly x: readonly number[];
  readonly attrs: { kernelSize: number[]; stride: number[]; padding: number[]; ceilMode: boolean };
}
export const POOL_CASES: readonly PoolCase[] = [
  {
    name: "2x2 stride 2",
    x: [1, 2, 4, 4],
    attrs: { kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], ceilMode: false },
  },
  {
    name: "3x3 stride 2 padding 1",
    x: [1, 2, 5, 5],
    attrs: { kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], ceilMode: false },
  },
  {
    name: "2x2 stride 2 ceilMode",
    x: [2, 1, 5, 5],
    attrs: { kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], ceilMode: true },
  },
  {
    name: "[3,2] stride [1,2] padding [1,1]",
    x: [1, 2, 4, 5],
    attrs: { kernelSize: [3, 2], stride: [1, 2], padding: [1, 1], ceilMode: false },
  },
  {
    name: "3x3 stride 2 padding 1 ceilMode",
    x: [1, 1, 6, 6],
    attrs: { kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], ceilMode: true },
  },
  {
    name: "3x3 stride 3 ceilMode (last window clipped)",
    x: [1, 2, 7, 8],
    attrs: { kernelSize: [3, 3], stride: [3, 3], padding: [0, 0], ceilMode: true },
  },
];
export const poolOut = (c: PoolCase, dilation = [1, 1]) =>
  pool2dShape({ shape: c.x, dtype: "float64" }, { ...c.attrs, dilation });

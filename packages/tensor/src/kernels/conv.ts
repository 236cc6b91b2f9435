import { allocate, type ConvOpName, formatMeta, numel, TensorData, type TensorMeta } from "@aotjs/ir";
import { TensorError } from "../errors.js";
import { type FloatArray, gemm, rowMajor, transposedOf } from "./matmul.js";
import type { KernelsFor } from "./types.js";

/**
 * Convolutions as matrix products. For batch element b and group g, with K = (C/groups)*KH*KW
 * and L = OH*OW, im2col lays the input patches out as a K x L matrix `cols`, so
 *
 *   out[b, g]         (O/groups x L) = W[g] (O/groups x K) @ cols
 *   cols              (K x L)        = W[g]^T @ gradOut[b, g]      then col2im adds it into dx[b, g]
 *   dW[g]             (O/groups x K) += gradOut[b, g] @ cols^T     summed over the batch
 *
 * A 1x1, stride-1, unpadded conv has cols equal to the input itself, so it skips the copy.
 */

interface ConvAttrs {
  readonly stride: readonly number[];
  readonly padding: readonly number[];
  readonly dilation: readonly number[];
  readonly groups: number;
}

interface Geometry {
  readonly batch: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly outChannels: number;
  readonly groups: number;
  /** Input channels per group. */
  readonly cg: number;
  /** Output channels per group. */
  readonly og: number;
  readonly kh: number;
  readonly kw: number;
  readonly oh: number;
  readonly ow: number;
  readonly sh: number;
  readonly sw: number;
  readonly ph: number;
  readonly pw: number;
  readonly dh: number;
  readonly dw: number;
  /** Rows of cols: cg * kh * kw. */
  readonly patch: number;
  /** Columns of cols: oh * ow. */
  readonly positions: number;
  /** True when cols is the input itself (1x1 kernel, stride 1, no padding). */
  readonly direct: boolean;
}

function geometry(
  x: readonly number[],
  w: readonly number[],
  out: readonly number[],
  a: ConvAttrs,
): Geometry {
  const [batch, channels, height, width] = x as [number, number, number, number];
  const [outChannels, cg, kh, kw] = w as [number, number, number, number];
  const [oh, ow] = [out[2]!, out[3]!];
  const [sh, sw] = a.stride as [number, number];
  const [ph, pw] = a.padding as [number, number];
  const [dh, dw] = a.dilation as [number, number];
  return {
    batch,
    channels,
    height,
    width,
    outChannels,
    groups: a.groups,
    cg,
    og: outChannels / a.groups,
    kh,
    kw,
    oh,
    ow,
    sh,
    sw,
    ph,
    pw,
    dh,
    dw,
    patch: cg * kh * kw,
    positions: oh * ow,
    direct: kh === 1 && kw === 1 && sh === 1 && sw === 1 && ph === 0 && pw === 0,
  };
}

/**
 * The output columns [lo, hi) whose tap at kernel offset `k` lands inside [0, size): taps outside
 * are zero padding, so im2col writes zeros there and col2im skips them, with no test per element.
 */
function validRange(
  k: number,
  size: number,
  outSize: number,
  stride: number,
  pad: number,
  dilation: number,
): [number, number] {
  const shift = k * dilation - pad; // input index = out * stride + shift
  const lo = Math.min(outSize, shift >= 0 ? 0 : Math.ceil(-shift / stride));
  const hi = Math.min(outSize, Math.floor((size - 1 - shift) / stride) + 1);
  return [lo, Math.max(lo, hi)];
}

/** Copies the patches of one group of one image (channels starting at `xOffset`) into cols (patch x positions). */
function im2col(x: FloatArray, xOffset: number, g: Geometry, cols: FloatArray): void {
  const { height: h, width: w, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw } = g;
  let row = 0;
  for (let c = 0; c < g.cg; c++) {
    const plane = xOffset + c * h * w;
    for (let i = 0; i < kh; i++) {
      const [yLo, yHi] = validRange(i, h, oh, sh, ph, dh);
      for (let j = 0; j < kw; j++, row++) {
        const [xLo, xHi] = validRange(j, w, ow, sw, pw, dw);
        const rowStart = row * g.positions;
        cols.fill(0, rowStart, rowStart + yLo * ow);
        cols.fill(0, rowStart + yHi * ow, rowStart + oh * ow);
        for (let oy = yLo; oy < yHi; oy++) {
          const dst = rowStart + oy * ow;
          const src = plane + (oy * sh - ph + i * dh) * w + j * dw - pw;
          cols.fill(0, dst, dst + xLo);
          if (sw === 1) {
            for (let ox = xLo; ox < xHi; ox++) cols[dst + ox] = x[src + ox]!;
          } else {
            for (let ox = xLo; ox < xHi; ox++) cols[dst + ox] = x[src + ox * sw]!;
          }
          cols.fill(0, dst + xHi, dst + ow);
        }
      }
    }
  }
}

/** The adjoint of im2col: adds each column entry back into the input position it was copied from. */
function col2im(cols: FloatArray, g: Geometry, dx: FloatArray, dxOffset: number): void {
  const { height: h, width: w, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw } = g;
  let row = 0;
  for (let c = 0; c < g.cg; c++) {
    const plane = dxOffset + c * h * w;
    for (let i = 0; i < kh; i++) {
      const [yLo, yHi] = validRange(i, h, oh, sh, ph, dh);
      for (let j = 0; j < kw; j++, row++) {
        const [xLo, xHi] = validRange(j, w, ow, sw, pw, dw);
        for (let oy = yLo; oy < yHi; oy++) {
          const src = row * g.positions + oy * ow;
          const dst = plane + (oy * sh - ph + i * dh) * w + j * dw - pw;
          if (sw === 1) {
            for (let ox = xLo; ox < xHi; ox++) dx[dst + ox] += cols[src + ox]!;
          } else {
            for (let ox = xLo; ox < xHi; ox++) dx[dst + ox * sw] += cols[src + ox]!;
          }
        }
      }
    }
  }
}

function floatInputs(op: string, inputs: readonly TensorData[]): FloatArray[] {
  const arrays = inputs.map((t) => t.data);
  if (!arrays.every((d) => d instanceof Float32Array || d instanceof Float64Array)) {
    throw new TensorError(`${op}: float32 or float64 only, got ${inputs.map(formatMeta).join(", ")}`);
  }
  return arrays as FloatArray[];
}

/** A scratch cols buffer of the input's dtype, or null when the input serves as cols directly. */
const colsBuffer = (g: Geometry, like: FloatArray): FloatArray | null =>
  g.direct
    ? null
    : like instanceof Float32Array
      ? new Float32Array(g.patch * g.positions)
      : new Float64Array(g.patch * g.positions);

function conv2d(inputs: readonly TensorData[], attrs: ConvAttrs, out: TensorMeta): TensorData {
  const [x, w] = floatInputs("conv2d", inputs) as [FloatArray, FloatArray];
  const g = geometry(inputs[0]!.shape, inputs[1]!.shape, out.shape, attrs);
  const y = allocate(out.dtype, numel(out.shape)) as FloatArray;
  const cols = colsBuffer(g, x);
  const L = g.positions;
  for (let b = 0; b < g.batch; b++) {
    for (let grp = 0; grp < g.groups; grp++) {
      const xOffset = (b * g.channels + grp * g.cg) * g.height * g.width;
      let patches = rowMajor(x, xOffset, L);
      if (cols) {
        im2col(x, xOffset, g, cols);
        patches = rowMajor(cols, 0, L);
      }
      const weights = rowMajor(w, grp * g.og * g.patch, g.patch);
      gemm(g.og, g.patch, L, weights, patches, rowMajor(y, (b * g.outChannels + grp * g.og) * L, L));
    }
  }
  return new TensorData(out.dtype, out.shape, y);
}

function conv2dBackwardInput(inputs: readonly TensorData[], attrs: ConvAttrs, out: TensorMeta): TensorData {
  const [gy, w] = floatInputs("conv2dBackwardInput", inputs) as [FloatArray, FloatArray];
  const g = geometry(out.shape, inputs[1]!.shape, inputs[0]!.shape, attrs);
  const dx = allocate(out.dtype, numel(out.shape)) as FloatArray;
  const cols = colsBuffer(g, gy);
  const L = g.positions;
  for (let b = 0; b < g.batch; b++) {
    for (let grp = 0; grp < g.groups; grp++) {
      const dxOffset = (b * g.channels + grp * g.cg) * g.height * g.width;
      const weightsT = transposedOf(w, grp * g.og * g.patch, g.patch);
      const grads = rowMajor(gy, (b * g.outChannels + grp * g.og) * L, L);
      if (cols) {
        gemm(g.patch, g.og, L, weightsT, grads, rowMajor(cols, 0, L));
        col2im(cols, g, dx, dxOffset);
      } else {
        gemm(g.patch, g.og, L, weightsT, grads, rowMajor(dx, dxOffset, L));
      }
    }
  }
  return new TensorData(out.dtype, out.shape, dx);
}

function conv2dBackwardWeight(inputs: readonly TensorData[], attrs: ConvAttrs, out: TensorMeta): TensorData {
  const [gy, x] = floatInputs("conv2dBackwardWeight", inputs) as [FloatArray, FloatArray];
  const g = geometry(inputs[1]!.shape, out.shape, inputs[0]!.shape, attrs);
  const dw = allocate(out.dtype, numel(out.shape)) as FloatArray;
  const cols = colsBuffer(g, x);
  const L = g.positions;
  for (let b = 0; b < g.batch; b++) {
    for (let grp = 0; grp < g.groups; grp++) {
      const xOffset = (b * g.channels + grp * g.cg) * g.height * g.width;
      let patchesT = transposedOf(x, xOffset, L);
      if (cols) {
        im2col(x, xOffset, g, cols);
        patchesT = transposedOf(cols, 0, L);
      }
      const grads = rowMajor(gy, (b * g.outChannels + grp * g.og) * L, L);
      gemm(g.og, L, g.patch, grads, patchesT, rowMajor(dw, grp * g.og * g.patch, g.patch), true);
    }
  }
  return new TensorData(out.dtype, out.shape, dw);
}

export const convKernels: KernelsFor<ConvOpName> = {
  conv2d: (inputs, attrs, out) => conv2d(inputs, attrs, out),
  conv2dBackwardInput: (inputs, attrs, out) => conv2dBackwardInput(inputs, attrs, out),
  conv2dBackwardWeight: (inputs, attrs, out) => conv2dBackwardWeight(inputs, attrs, out),
};

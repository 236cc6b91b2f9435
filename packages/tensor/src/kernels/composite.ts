import { type CompositeOpName, numel, TensorData } from "@aotjs/ir";
import type { KernelsFor } from "./types.js";

/**
 * Softmax and log-softmax along one dim, each slice in one pass for the max and one for the sum
 * (accumulated in float64), so large logits never overflow: exp(x - max) <= 1.
 */
function normalize(log: boolean) {
  return (inputs: readonly TensorData[], { dim }: { dim: number }): TensorData => {
    const x = inputs[0]!;
    const src = x.data as Float32Array | Float64Array;
    const out = x.dtype === "float64" ? new Float64Array(src.length) : new Float32Array(src.length);
    const size = x.shape[dim]!;
    const inner = numel(x.shape.slice(dim + 1));
    const outer = numel(x.shape.slice(0, dim));
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * size * inner + i;
        let max = Number.NEGATIVE_INFINITY;
        for (let k = 0; k < size; k++) {
          const v = src[base + k * inner]!;
          // NaN must win, as in the reference max: comparisons alone would skip it.
          if (v > max || Number.isNaN(v)) max = v;
          if (Number.isNaN(v)) break;
        }
        let sum = 0;
        for (let k = 0; k < size; k++) sum += Math.exp(src[base + k * inner]! - max);
        const logSum = Math.log(sum);
        for (let k = 0; k < size; k++) {
          const shifted = src[base + k * inner]! - max;
          out[base + k * inner] = log ? shifted - logSum : Math.exp(shifted) / sum;
        }
      }
    }
    return new TensorData(x.dtype, x.shape, out as never);
  };
}

/** Statistics of each normalized slice in float64: two passes (mean, then centered squares). */
function layerNorm(
  inputs: readonly TensorData[],
  { normalizedRank, eps }: { normalizedRank: number; eps: number },
): TensorData {
  const [x, w, b] = inputs as [TensorData, TensorData, TensorData];
  const src = x.data as Float32Array | Float64Array;
  const [wd, bd] = [w.data as Float32Array | Float64Array, b.data as Float32Array | Float64Array];
  const out = x.dtype === "float64" ? new Float64Array(src.length) : new Float32Array(src.length);
  const size = numel(x.shape.slice(x.shape.length - normalizedRank));
  for (let base = 0; base < src.length; base += size) {
    let mean = 0;
    for (let k = 0; k < size; k++) mean += src[base + k]!;
    mean /= size;
    let variance = 0;
    for (let k = 0; k < size; k++) variance += (src[base + k]! - mean) ** 2;
    const rstd = 1 / Math.sqrt(variance / size + eps);
    for (let k = 0; k < size; k++) out[base + k] = (src[base + k]! - mean) * rstd * wd[k]! + bd[k]!;
  }
  return new TensorData(x.dtype, x.shape, out as never);
}

/**
 * Per-channel statistics over every dim but 1 of [N, C, ...rest], in float64 and in two passes
 * (mean, then centered squares), as torch's training-mode batch_norm with the biased variance.
 */
function batchNorm(inputs: readonly TensorData[], { eps }: { eps: number }): TensorData {
  const [x, w, b] = inputs as [TensorData, TensorData, TensorData];
  const src = x.data as Float32Array | Float64Array;
  const [wd, bd] = [w.data as Float32Array | Float64Array, b.data as Float32Array | Float64Array];
  const out = x.dtype === "float64" ? new Float64Array(src.length) : new Float32Array(src.length);
  const [n, c] = [x.shape[0]!, x.shape[1]!];
  const inner = numel(x.shape.slice(2));
  const count = n * inner;
  for (let ch = 0; ch < c; ch++) {
    let mean = 0;
    for (let i = 0; i < n; i++) {
      const base = (i * c + ch) * inner;
      for (let k = 0; k < inner; k++) mean += src[base + k]!;
    }
    mean /= count;
    let variance = 0;
    for (let i = 0; i < n; i++) {
      const base = (i * c + ch) * inner;
      for (let k = 0; k < inner; k++) variance += (src[base + k]! - mean) ** 2;
    }
    const scale = wd[ch]! / Math.sqrt(variance / count + eps);
    for (let i = 0; i < n; i++) {
      const base = (i * c + ch) * inner;
      for (let k = 0; k < inner; k++) out[base + k] = (src[base + k]! - mean) * scale + bd[ch]!;
    }
  }
  return new TensorData(x.dtype, x.shape, out as never);
}

export const compositeKernels: KernelsFor<CompositeOpName> = {
  batchNorm,
  layerNorm,
  softmax: normalize(false),
  logSoftmax: normalize(true),
};

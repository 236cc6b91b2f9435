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

export const compositeKernels: KernelsFor<CompositeOpName> = {
  softmax: normalize(false),
  logSoftmax: normalize(true),
};

import { allocate, formatMeta, numel, TensorData, type TensorMeta, type TypedArray } from "@aotjs/ir";
import { TensorError } from "../errors.js";
import type { KernelsFor } from "./types.js";
import { stridesOf } from "./util.js";

/**
 * How a reduction reads its input: output element o reduces the elements at
 * `outputStarts[o] + runStarts[r] + t * runStride` for every run r and t < runLength.
 *
 * Dims of size 1 are dropped and neighbouring dims that are both kept or both reduced are merged,
 * so the innermost reduced dims become one strided run: a full or trailing reduction is a single
 * contiguous run per output, and the offset tables stay the size of the output and of the
 * reduced-but-not-innermost part, never one entry per input element.
 */
interface ReductionPlan {
  readonly outputStarts: Int32Array;
  readonly runStarts: Int32Array;
  readonly runLength: number;
  readonly runStride: number;
  /** How many input elements each output element reduces. */
  readonly count: number;
}

interface Group {
  size: number;
  stride: number;
}

/** The offsets of every index over `groups` (outermost first), in row-major order. */
function offsetTable(groups: readonly Group[]): Int32Array {
  let table = Int32Array.of(0);
  for (const { size, stride } of groups) {
    const next = new Int32Array(table.length * size);
    for (let t = 0; t < table.length; t++) {
      for (let k = 0; k < size; k++) next[t * size + k] = table[t]! + k * stride;
    }
    table = next;
  }
  return table;
}

export function planReduction(shape: readonly number[], dims: readonly number[]): ReductionPlan {
  const strides = stridesOf(shape);
  const kept: Group[] = [];
  const reduced: Group[] = [];
  let previous: Group[] | undefined;
  shape.forEach((size, d) => {
    if (size === 1) return;
    const groups = dims.includes(d) ? reduced : kept;
    if (groups === previous) {
      const last = groups[groups.length - 1]!;
      last.size *= size;
      last.stride = strides[d]!;
    } else {
      groups.push({ size, stride: strides[d]! });
    }
    previous = groups;
  });
  const run = reduced.pop() ?? { size: 1, stride: 0 };
  const runStarts = offsetTable(reduced);
  return {
    outputStarts: offsetTable(kept),
    runStarts,
    runLength: run.size,
    runStride: run.stride,
    count: runStarts.length * run.size,
  };
}

type FloatArray = Float32Array | Float64Array;
type NumberArray = Float32Array | Float64Array | Int32Array;

/**
 * Neumaier's compensated sum in float64: the error stays near one rounding whatever the length, so
 * a float32 sum is correctly rounded in practice and a float64 sum beats PyTorch's pairwise sum.
 * Once the running sum is infinite or NaN the compensation is meaningless and is dropped.
 */
function sumFloats(x: FloatArray, out: FloatArray, plan: ReductionPlan, divisor: number): void {
  const { outputStarts, runStarts, runLength, runStride } = plan;
  for (let o = 0; o < outputStarts.length; o++) {
    let sum = 0;
    let compensation = 0;
    for (let r = 0; r < runStarts.length; r++) {
      let at = outputStarts[o]! + runStarts[r]!;
      for (let t = 0; t < runLength; t++, at += runStride) {
        const v = x[at]!;
        const next = sum + v;
        compensation += Math.abs(sum) >= Math.abs(v) ? sum - next + v : v - next + sum;
        sum = next;
      }
    }
    out[o] = (Number.isFinite(sum) ? sum + compensation : sum) / divisor;
  }
}

/** int32 sums wrap at every step, as C and PyTorch do, so no double ever passes 2^53. */
function sumInt32(x: Int32Array, out: Int32Array, plan: ReductionPlan): void {
  const { outputStarts, runStarts, runLength, runStride } = plan;
  for (let o = 0; o < outputStarts.length; o++) {
    let sum = 0;
    for (let r = 0; r < runStarts.length; r++) {
      let at = outputStarts[o]! + runStarts[r]!;
      for (let t = 0; t < runLength; t++, at += runStride) sum = (sum + x[at]!) | 0;
    }
    out[o] = sum;
  }
}

/** Exact BigInt sum; the BigInt64Array store wraps it to 64 bits, as C and PyTorch do. */
function sumInt64(x: BigInt64Array, out: BigInt64Array, plan: ReductionPlan): void {
  const { outputStarts, runStarts, runLength, runStride } = plan;
  for (let o = 0; o < outputStarts.length; o++) {
    let sum = 0n;
    for (let r = 0; r < runStarts.length; r++) {
      let at = outputStarts[o]! + runStarts[r]!;
      for (let t = 0; t < runLength; t++, at += runStride) sum += x[at]!;
    }
    out[o] = sum;
  }
}

// amax/amin: the first NaN decides the result, so the scan stops there. Never called with count 0.
function maxNumbers(x: NumberArray, out: NumberArray, plan: ReductionPlan): void {
  const { outputStarts, runStarts, runLength, runStride } = plan;
  for (let o = 0; o < outputStarts.length; o++) {
    let best = Number.NEGATIVE_INFINITY;
    scan: for (let r = 0; r < runStarts.length; r++) {
      let at = outputStarts[o]! + runStarts[r]!;
      for (let t = 0; t < runLength; t++, at += runStride) {
        const v = x[at]!;
        if (v > best) best = v;
        else if (Number.isNaN(v)) {
          best = v;
          break scan;
        }
      }
    }
    out[o] = best;
  }
}

function minNumbers(x: NumberArray, out: NumberArray, plan: ReductionPlan): void {
  const { outputStarts, runStarts, runLength, runStride } = plan;
  for (let o = 0; o < outputStarts.length; o++) {
    let best = Number.POSITIVE_INFINITY;
    scan: for (let r = 0; r < runStarts.length; r++) {
      let at = outputStarts[o]! + runStarts[r]!;
      for (let t = 0; t < runLength; t++, at += runStride) {
        const v = x[at]!;
        if (v < best) best = v;
        else if (Number.isNaN(v)) {
          best = v;
          break scan;
        }
      }
    }
    out[o] = best;
  }
}

function extremeInt64(x: BigInt64Array, out: BigInt64Array, plan: ReductionPlan, max: boolean): void {
  const { outputStarts, runStarts, runLength, runStride } = plan;
  for (let o = 0; o < outputStarts.length; o++) {
    let best = x[outputStarts[o]!]!;
    for (let r = 0; r < runStarts.length; r++) {
      let at = outputStarts[o]! + runStarts[r]!;
      for (let t = 0; t < runLength; t++, at += runStride) {
        const v = x[at]!;
        if (max ? v > best : v < best) best = v;
      }
    }
    out[o] = best;
  }
}

/** The first maximum wins ties; a NaN beats every number and the first NaN wins, as in PyTorch. */
function argmaxNumbers(x: NumberArray, out: BigInt64Array, plan: ReductionPlan): void {
  const { outputStarts, runStarts, runLength, runStride } = plan;
  for (let o = 0; o < outputStarts.length; o++) {
    let best = x[outputStarts[o]!]!;
    let bestIndex = 0;
    let index = 0;
    scan: for (let r = 0; r < runStarts.length && !Number.isNaN(best); r++) {
      let at = outputStarts[o]! + runStarts[r]!;
      for (let t = 0; t < runLength; t++, at += runStride, index++) {
        const v = x[at]!;
        if (v > best) {
          best = v;
          bestIndex = index;
        } else if (Number.isNaN(v)) {
          bestIndex = index;
          break scan;
        }
      }
    }
    out[o] = BigInt(bestIndex);
  }
}

function argmaxInt64(x: BigInt64Array, out: BigInt64Array, plan: ReductionPlan): void {
  const { outputStarts, runStarts, runLength, runStride } = plan;
  for (let o = 0; o < outputStarts.length; o++) {
    let best = x[outputStarts[o]!]!;
    let bestIndex = 0;
    let index = 0;
    for (let r = 0; r < runStarts.length; r++) {
      let at = outputStarts[o]! + runStarts[r]!;
      for (let t = 0; t < runLength; t++, at += runStride, index++) {
        if (x[at]! > best) {
          best = x[at]!;
          bestIndex = index;
        }
      }
    }
    out[o] = BigInt(bestIndex);
  }
}

/** Plans the reduction, allocates the output and hands both to `body`; returns the finished tensor. */
function reduce(
  x: TensorData,
  dims: readonly number[],
  out: TensorMeta,
  body: (data: TypedArray, result: TypedArray, plan: ReductionPlan) => void,
): TensorData {
  const result = allocate(out.dtype, numel(out.shape));
  const plan = planReduction(x.shape, dims);
  if (plan.outputStarts.length !== result.length) {
    throw new TensorError(
      `reduction over dims [${dims.join(",")}] of ${formatMeta(x)}: plan does not match ${formatMeta(out)}`,
    );
  }
  body(x.data, result, plan);
  return new TensorData(out.dtype, out.shape, result);
}

type ReductionOp = "sum" | "mean" | "amax" | "amin" | "argmax";

export const reductionKernels: KernelsFor<ReductionOp> = {
  sum: ([x], { dims }, out) =>
    reduce(x!, dims, out, (data, result, plan) => {
      if (data instanceof BigInt64Array) sumInt64(data, result as BigInt64Array, plan);
      else if (data instanceof Int32Array) sumInt32(data, result as Int32Array, plan);
      else sumFloats(data as FloatArray, result as FloatArray, plan, 1);
    }),
  // mean of an empty slice is 0 / 0 = NaN, as in PyTorch.
  mean: ([x], { dims }, out) =>
    reduce(x!, dims, out, (data, result, plan) =>
      sumFloats(data as FloatArray, result as FloatArray, plan, plan.count),
    ),
  amax: ([x], { dims }, out) =>
    reduce(x!, dims, out, (data, result, plan) => {
      if (data instanceof BigInt64Array) extremeInt64(data, result as BigInt64Array, plan, true);
      else maxNumbers(data as NumberArray, result as NumberArray, plan);
    }),
  amin: ([x], { dims }, out) =>
    reduce(x!, dims, out, (data, result, plan) => {
      if (data instanceof BigInt64Array) extremeInt64(data, result as BigInt64Array, plan, false);
      else minNumbers(data as NumberArray, result as NumberArray, plan);
    }),
  argmax: ([x], { dim }, out) =>
    reduce(x!, [dim], out, (data, result, plan) => {
      if (data instanceof BigInt64Array) argmaxInt64(data, result as BigInt64Array, plan);
      else argmaxNumbers(data as NumberArray, result as BigInt64Array, plan);
    }),
};

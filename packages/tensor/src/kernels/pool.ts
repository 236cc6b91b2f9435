import {
  allocate,
  formatMeta,
  numel,
  type OpAttrs,
  type PoolOpName,
  TensorData,
  type TensorMeta,
  type TypedArray,
} from "@aotjs/ir";
import { TensorError } from "../errors.js";
import type { KernelsFor } from "./types.js";

/**
 * Pooling with PyTorch's CPU semantics. A window along one dim starts at `out * stride - padding`
 * and takes `kernel` taps `dilation` apart; taps outside the input are padding. The shape rule
 * (`pool2dShape`) already drops ceil-mode windows that would start in the right padding, so the
 * kernels only clip windows that run past the input.
 */

type PoolAttrs = OpAttrs<"avgPool2d">;

/** Per output position along one dim: the first in-bounds input index and how many in-bounds taps follow. */
interface Taps {
  readonly first: Int32Array;
  readonly count: Int32Array;
}

function taps(
  outSize: number,
  size: number,
  kernel: number,
  stride: number,
  pad: number,
  dilation: number,
): Taps {
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const start = o * stride - pad;
    const skip = start < 0 ? Math.ceil(-start / dilation) : 0;
    const last = Math.min(kernel - 1, Math.floor((size - 1 - start) / dilation));
    first[o] = start + skip * dilation;
    count[o] = Math.max(0, last - skip + 1);
  }
  return { first, count };
}

interface Planes {
  /** batch * channels: pooling treats each (n, c) plane alike. */
  readonly planes: number;
  readonly h: number;
  readonly w: number;
  readonly oh: number;
  readonly ow: number;
}

function planesOf(input: readonly number[], output: readonly number[]): Planes {
  return { planes: input[0]! * input[1]!, h: input[2]!, w: input[3]!, oh: output[2]!, ow: output[3]! };
}

type MaxAttrs = OpAttrs<"maxPool2d">;

/**
 * For each output element, the flat input index of its window's maximum, or -1 for a window with
 * no input in it (possible only with dilation, which can step over a small input). As in PyTorch,
 * a later element wins only when strictly greater, so ties go to the first in row-major window
 * order, and a NaN always wins (so the last NaN in the window is the one selected and propagated).
 */
function windowArgmax(x: TypedArray, p: Planes, a: MaxAttrs): Int32Array {
  const [kh, kw] = a.kernelSize as [number, number];
  const [sh, sw] = a.stride as [number, number];
  const [ph, pw] = a.padding as [number, number];
  const [dh, dw] = a.dilation as [number, number];
  const rows = taps(p.oh, p.h, kh, sh, ph, dh);
  const cols = taps(p.ow, p.w, kw, sw, pw, dw);
  const result = new Int32Array(p.planes * p.oh * p.ow);
  let o = 0;
  for (let plane = 0; plane < p.planes; plane++) {
    const base = plane * p.h * p.w;
    for (let oy = 0; oy < p.oh; oy++) {
      const y0 = rows.first[oy]!;
      const ny = rows.count[oy]!;
      for (let ox = 0; ox < p.ow; ox++, o++) {
        const x0 = cols.first[ox]!;
        const nx = cols.count[ox]!;
        let best = -1;
        let bestValue: number | bigint = 0;
        for (let i = 0; i < ny; i++) {
          const row = base + (y0 + i * dh) * p.w + x0;
          for (let j = 0; j < nx; j++) {
            const index = row + j * dw;
            const v = x[index]!;
            // biome-ignore lint/suspicious/noSelfCompare: v !== v is the NaN test that works for bigint too
            if (best < 0 || v > bestValue || v !== v) {
              best = index;
              bestValue = v;
            }
          }
        }
        result[o] = best;
      }
    }
  }
  return result;
}

/** What an empty window yields: PyTorch's -infinity for floats, the lowest value for ints. */
function lowest(dtype: TensorMeta["dtype"]): number | bigint {
  if (dtype === "int32") return -(2 ** 31);
  if (dtype === "int64") return -(2n ** 63n);
  return Number.NEGATIVE_INFINITY;
}

function maxPool2d(inputs: readonly TensorData[], attrs: MaxAttrs, out: TensorMeta): TensorData {
  const x = inputs[0]!;
  if (x.dtype === "bool") throw new TensorError(`maxPool2d: no kernel for ${formatMeta(x)}`);
  const argmax = windowArgmax(x.data, planesOf(x.shape, out.shape), attrs);
  const src = x.data as Float64Array;
  const y = allocate(out.dtype, argmax.length) as Float64Array;
  const empty = lowest(out.dtype) as number;
  for (let o = 0; o < argmax.length; o++) {
    const index = argmax[o]!;
    y[o] = index >= 0 ? src[index]! : empty;
  }
  return new TensorData(out.dtype, out.shape, y);
}

function maxPool2dBackward(inputs: readonly TensorData[], attrs: MaxAttrs, out: TensorMeta): TensorData {
  const [gy, x] = inputs as [TensorData, TensorData];
  if (x.dtype === "bool")
    throw new TensorError(`maxPool2dBackward: no kernel for ${formatMeta(gy)}, ${formatMeta(x)}`);
  const argmax = windowArgmax(x.data, planesOf(x.shape, gy.shape), attrs);
  const dx = allocate(out.dtype, numel(out.shape));
  if (dx instanceof BigInt64Array) {
    const g = gy.data as BigInt64Array;
    for (let o = 0; o < argmax.length; o++) if (argmax[o]! >= 0) dx[argmax[o]!] += g[o]!;
  } else {
    // Float32/Float64/Int32 alike: the typed array's store rounds (or wraps) as the dtype does.
    const g = gy.data as Float64Array;
    const d = dx as Float64Array;
    for (let o = 0; o < argmax.length; o++) if (argmax[o]! >= 0) d[argmax[o]!] += g[o]!;
  }
  return new TensorData(out.dtype, out.shape, dx);
}

/**
 * Average-pool windows along one dim, as PyTorch computes them: [start, end) clipped to the
 * input, and `extent`, the window clipped only to the padded input (end <= size + padding), which
 * is the divisor's factor when padding counts. Ceil-mode windows that run past the padding are
 * cut there, so they never count positions beyond it.
 */
interface Spans {
  readonly start: Int32Array;
  readonly end: Int32Array;
  readonly extent: Int32Array;
}

function spans(outSize: number, size: number, kernel: number, stride: number, pad: number): Spans {
  const start = new Int32Array(outSize);
  const end = new Int32Array(outSize);
  const extent = new Int32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const s = o * stride - pad;
    const e = Math.min(s + kernel, size + pad);
    extent[o] = e - s;
    start[o] = Math.max(s, 0);
    end[o] = Math.min(e, size);
  }
  return { start, end, extent };
}

/**
 * Walks every (output, window) pair and calls `visit(o, planeBase, y0, y1, x0, x1, divisor)`;
 * windows with no input in them are skipped (their output is 0 and they take no gradient).
 */
function forEachAvgWindow(
  p: Planes,
  a: PoolAttrs,
  visit: (o: number, base: number, y0: number, y1: number, x0: number, x1: number, divisor: number) => void,
): void {
  const rows = spans(p.oh, p.h, a.kernelSize[0]!, a.stride[0]!, a.padding[0]!);
  const cols = spans(p.ow, p.w, a.kernelSize[1]!, a.stride[1]!, a.padding[1]!);
  let o = 0;
  for (let plane = 0; plane < p.planes; plane++) {
    const base = plane * p.h * p.w;
    for (let oy = 0; oy < p.oh; oy++) {
      const y0 = rows.start[oy]!;
      const y1 = rows.end[oy]!;
      for (let ox = 0; ox < p.ow; ox++, o++) {
        const x0 = cols.start[ox]!;
        const x1 = cols.end[ox]!;
        if (y0 >= y1 || x0 >= x1) continue;
        const divisor = a.countIncludePad ? rows.extent[oy]! * cols.extent[ox]! : (y1 - y0) * (x1 - x0);
        visit(o, base, y0, y1, x0, x1, divisor);
      }
    }
  }
}

function floatData(op: string, t: TensorData): Float32Array | Float64Array {
  if (t.data instanceof Float32Array || t.data instanceof Float64Array) return t.data;
  throw new TensorError(`${op}: float32 or float64 only, got ${formatMeta(t)}`);
}

function avgPool2d(inputs: readonly TensorData[], attrs: PoolAttrs, out: TensorMeta): TensorData {
  const x = inputs[0]!;
  const src = floatData("avgPool2d", x);
  const w = x.shape[3]!;
  const y = allocate(out.dtype, numel(out.shape)) as Float32Array | Float64Array;
  forEachAvgWindow(planesOf(x.shape, out.shape), attrs, (o, base, y0, y1, x0, x1, divisor) => {
    let sum = 0;
    for (let i = y0; i < y1; i++) {
      const row = base + i * w;
      for (let j = x0; j < x1; j++) sum += src[row + j]!;
    }
    y[o] = sum / divisor;
  });
  return new TensorData(out.dtype, out.shape, y);
}

function avgPool2dBackward(
  inputs: readonly TensorData[],
  attrs: OpAttrs<"avgPool2dBackward">,
  out: TensorMeta,
): TensorData {
  const gy = inputs[0]!;
  const g = floatData("avgPool2dBackward", gy);
  const w = out.shape[3]!;
  const dx = allocate(out.dtype, numel(out.shape)) as Float32Array | Float64Array;
  forEachAvgWindow(planesOf(out.shape, gy.shape), attrs, (o, base, y0, y1, x0, x1, divisor) => {
    const share = g[o]! / divisor;
    for (let i = y0; i < y1; i++) {
      const row = base + i * w;
      for (let j = x0; j < x1; j++) dx[row + j] += share;
    }
  });
  return new TensorData(out.dtype, out.shape, dx);
}

export const poolKernels: KernelsFor<PoolOpName> = {
  maxPool2d: (inputs, attrs, out) => maxPool2d(inputs, attrs, out),
  maxPool2dBackward: (inputs, attrs, out) => maxPool2dBackward(inputs, attrs, out),
  avgPool2d: (inputs, attrs, out) => avgPool2d(inputs, attrs, out),
  avgPool2dBackward: (inputs, attrs, out) => avgPool2dBackward(inputs, attrs, out),
};

import type { PoolOpName } from "@aotjs/ir";
import * as tf from "@tensorflow/tfjs-core";
import type { KernelFn, LowerContext, LoweringsFor } from "./types.js";
import { isFloat, select, stridedSlice } from "./util.js";

/**
 * Pooling by "unfolding" in NCHW: window tap (i, j) of every output position is one strided slice
 * of the input padded so the windows fit exactly, and the backward ops are the adjoint (each tap's
 * gradient placed back with zeros between, then summed). This gives the reference's semantics
 * exactly where TF.js's pools differ: ceil mode (TF.js has none), count_include_pad (TF.js has
 * none), padding as -inf for max, NaN propagation, the first maximum taking a tie's gradient, and
 * dilation in the backward ops (MaxPoolGrad has none). It needs no transposes and no pool kernels,
 * so cpu and wasm run the same code. The cost is one pass per tap, fine for pool windows (3x3: 9).
 */

type PoolOp = PoolOpName;

interface Geometry {
  readonly n: number;
  readonly c: number;
  /** Input size, output size, kernel, stride, padding and dilation, per spatial dim. */
  readonly size: readonly [number, number];
  readonly out: readonly [number, number];
  readonly k: readonly [number, number];
  readonly s: readonly [number, number];
  readonly p: readonly [number, number];
  readonly d: readonly [number, number];
  /** The padded extent the windows cover exactly: (out - 1) * s + (k - 1) * d + 1. */
  readonly length: readonly [number, number];
}

interface PoolAttrs {
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly padding: readonly number[];
  readonly dilation?: readonly number[];
}

function geometry(input: readonly number[], output: readonly number[], a: PoolAttrs): Geometry {
  const two = (f: (d: 0 | 1) => number) => [f(0), f(1)] as const;
  const d = two((i) => a.dilation?.[i] ?? 1);
  return {
    n: input[0]!,
    c: input[1]!,
    size: two((i) => input[i + 2]!),
    out: two((i) => output[i + 2]!),
    k: two((i) => a.kernelSize[i]!),
    s: two((i) => a.stride[i]!),
    p: two((i) => a.padding[i]!),
    d,
    length: two((i) => (output[i + 2]! - 1) * a.stride[i]! + (a.kernelSize[i]! - 1) * d[i]! + 1),
  };
}

/** Pad (value) or crop x so its spatial extent is exactly the windows' `length`. */
function fitToWindows(x: tf.Tensor, g: Geometry, value: number): tf.Tensor {
  const after = (i: 0 | 1) => Math.max(0, g.length[i] - g.p[i] - g.size[i]);
  const padded = tf.pad(
    x,
    [
      [0, 0],
      [0, 0],
      [g.p[0], after(0)],
      [g.p[1], after(1)],
    ],
    value,
  );
  if (padded.shape[2] === g.length[0] && padded.shape[3] === g.length[1]) return padded;
  return tf.slice(padded, [0, 0, 0, 0], [g.n, g.c, g.length[0], g.length[1]]);
}

/** Every (i, j) tap of the kernel, in the reference's row-major window order. */
const tapsOf = (g: Geometry): [number, number][] =>
  Array.from({ length: g.k[0] * g.k[1] }, (_, t) => [Math.floor(t / g.k[1]), t % g.k[1]]);

/** The [N,C,OH,OW] values tap (i, j) sees in a window-fitted input. */
function tap(xp: tf.Tensor, g: Geometry, i: number, j: number): tf.Tensor {
  const begin = [0, 0, i * g.d[0], j * g.d[1]];
  const size = [g.n, g.c, g.out[0], g.out[1]];
  if (g.s[0] === 1 && g.s[1] === 1) return tf.slice(xp, begin, size);
  const end = [g.n, g.c, begin[2]! + (g.out[0] - 1) * g.s[0] + 1, begin[3]! + (g.out[1] - 1) * g.s[1] + 1];
  return stridedSlice(xp, begin, end, [1, 1, g.s[0], g.s[1]]);
}

/** The adjoint of `tap`: t [N,C,OH,OW] placed at the positions tap (i, j) reads, zeros elsewhere. */
function place(t: tf.Tensor, g: Geometry, i: number, j: number): tf.Tensor {
  const [oh, ow] = g.out;
  let spread = t;
  if (g.s[0] > 1 || g.s[1] > 1) {
    // Rank 4 ([N·C·OH, 1, OW, 1]): WebGL's Pad fails to compile at rank 6.
    const z = tf.pad(tf.reshape(t, [g.n * g.c * oh, 1, ow, 1]), [
      [0, 0],
      [0, g.s[0] - 1],
      [0, 0],
      [0, g.s[1] - 1],
    ]);
    const rows = (oh - 1) * g.s[0] + 1;
    const cols = (ow - 1) * g.s[1] + 1;
    spread = tf.slice(
      tf.reshape(z, [g.n, g.c, oh * g.s[0], ow * g.s[1]]),
      [0, 0, 0, 0],
      [g.n, g.c, rows, cols],
    );
  }
  const top = i * g.d[0];
  const left = j * g.d[1];
  return tf.pad(spread, [
    [0, 0],
    [0, 0],
    [top, g.length[0] - top - spread.shape[2]!],
    [left, g.length[1] - left - spread.shape[3]!],
  ]);
}

/** The input gradient from a window-fitted one: drop the padding, zero-fill rows no window reached. */
function unfit(dxp: tf.Tensor, g: Geometry): tf.Tensor {
  const keep = [0, 1].map((i) => Math.min(g.size[i]!, g.length[i]! - g.p[i]!)) as [number, number];
  const inside = tf.slice(dxp, [0, 0, g.p[0], g.p[1]], [g.n, g.c, keep[0], keep[1]]);
  if (keep[0] === g.size[0] && keep[1] === g.size[1]) return inside;
  return tf.pad(inside, [
    [0, 0],
    [0, 0],
    [0, g.size[0] - keep[0]],
    [0, g.size[1] - keep[1]],
  ]);
}

/** The sum of placed taps; the one-tap case needs no AddN. */
const addAll = (ts: tf.Tensor[]): tf.Tensor => (ts.length === 1 ? ts[0]! : tf.addN(ts));

/** What the padding holds for max: -infinity, or the lowest int32 for integer inputs. */
const lowest = (float: boolean) => (float ? Number.NEGATIVE_INFINITY : -(2 ** 31));

function maxPool2d(ctx: LowerContext<"maxPool2d">): KernelFn {
  const g = geometry(ctx.inputs[0]!.shape, ctx.out.shape, ctx.attrs);
  const fill = lowest(isFloat(ctx.inputs[0]!));
  const taps = tapsOf(g);
  return ([x]) => {
    const xp = fitToWindows(x!, g, fill);
    // TF.js's Max reduction propagates NaN on cpu and wasm, as the reference's window max does.
    return tf.max(
      tf.stack(
        taps.map(([i, j]) => tap(xp, g, i, j)),
        0,
      ),
      0,
    );
  };
}

/**
 * Each gradient goes to its window's maximum: the first one on ties (TF.js's ArgMax also takes
 * the first), or the last NaN when the window holds NaN, as the reference does.
 */
function maxPool2dBackward(ctx: LowerContext<"maxPool2dBackward">): KernelFn {
  const x = ctx.inputs[1]!;
  const g = geometry(x.shape, ctx.inputs[0]!.shape, ctx.attrs);
  const float = isFloat(x);
  const taps = tapsOf(g);
  const last = taps.length - 1;
  const outShape = ctx.inputs[0]!.shape;
  return ([gy, input]) => {
    const xp = fitToWindows(input!, g, lowest(float));
    const windows = tf.stack(
      taps.map(([i, j]) => tap(xp, g, i, j)),
      0,
    );
    let winner = tf.argMax(windows, 0);
    if (float) {
      const nan = tf.isNaN(windows);
      // Reversed as a matrix [taps, rest]: WebGL has no Reverse of rank 5.
      const flipped = tf.reverse(tf.reshape(tf.cast(nan, "float32"), [taps.length, -1]), 0);
      const lastNaN = tf.sub(tf.scalar(last, "int32"), tf.reshape(tf.argMax(flipped, 0), winner.shape));
      winner = tf.where(tf.any(nan, 0), lastNaN, winner);
    }
    const zero = tf.zerosLike(gy!);
    const placed = taps.map(([i, j], t) => place(select(tf.equal(winner, t), gy!, zero, outShape), g, i, j));
    return unfit(addAll(placed), g);
  };
}

/**
 * 1 / divisor per output position, as the reference's avgPool computes the divisor: the window
 * clipped to the padded input (count_include_pad) or to the input, and 0 for a window with no
 * input in it (its output is 0 and it takes no gradient).
 */
function reciprocalDivisor(ctx: LowerContext<"avgPool2d" | "avgPool2dBackward">, g: Geometry): tf.Tensor {
  return ctx.constant(() => {
    const spans = (i: 0 | 1) =>
      Array.from({ length: g.out[i] }, (_, o) => {
        const start = o * g.s[i] - g.p[i];
        const end = Math.min(start + g.k[i], g.size[i] + g.p[i]);
        return { extent: end - start, inside: Math.min(end, g.size[i]) - Math.max(start, 0) };
      });
    const rows = spans(0);
    const cols = spans(1);
    const data = new Float32Array(g.out[0] * g.out[1]);
    rows.forEach((r, y) => {
      cols.forEach((c, x) => {
        if (r.inside <= 0 || c.inside <= 0) return;
        const divisor = ctx.attrs.countIncludePad ? r.extent * c.extent : r.inside * c.inside;
        data[y * g.out[1] + x] = 1 / divisor;
      });
    });
    return tf.tensor(data, [1, 1, g.out[0], g.out[1]], "float32");
  });
}

function avgPool2d(ctx: LowerContext<"avgPool2d">): KernelFn {
  const g = geometry(ctx.inputs[0]!.shape, ctx.out.shape, ctx.attrs);
  const scale = reciprocalDivisor(ctx, g);
  const taps = tapsOf(g);
  return ([x]) => {
    const xp = fitToWindows(x!, g, 0);
    return tf.mul(addAll(taps.map(([i, j]) => tap(xp, g, i, j))), scale);
  };
}

function avgPool2dBackward(ctx: LowerContext<"avgPool2dBackward">): KernelFn {
  const g = geometry(ctx.attrs.inputShape, ctx.inputs[0]!.shape, ctx.attrs);
  const scale = reciprocalDivisor(ctx, g);
  const taps = tapsOf(g);
  return ([gy]) => {
    const share = tf.mul(gy!, scale);
    return unfit(addAll(taps.map(([i, j]) => place(share, g, i, j))), g);
  };
}

export const poolLowerings: LoweringsFor<PoolOp> = {
  maxPool2d,
  maxPool2dBackward,
  avgPool2d,
  avgPool2dBackward,
};

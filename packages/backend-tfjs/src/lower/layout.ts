import { type LayoutOpName, numel } from "@aotjs/ir";
import * as tf from "@tensorflow/tfjs-core";
import { fitsInt32 } from "../dtypes.js";
import { TfjsBackendError } from "../errors.js";
import type { KernelFn, LowerContext, LoweringsFor } from "./types.js";
import { broadcast, sameShape, stridedSlice, toBool, viaInt32 } from "./util.js";

type LayoutOp = LayoutOpName;

const stridesOf = (shape: readonly number[]): number[] => {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
};

/** Every reshape-like op is a reshape to the node's output shape (TF.js shares the data). */
const toOutShape = (ctx: LowerContext): KernelFn => {
  const shape = [...ctx.out.shape];
  return ([x]) => tf.reshape(x!, shape);
};

function slice(ctx: LowerContext<"slice">): KernelFn {
  const { dim, start, end, step } = ctx.attrs;
  const shape = ctx.inputs[0]!.shape;
  const begin = shape.map((_, d) => (d === dim ? start : 0));
  if (step === 1) {
    const size = shape.map((s, d) => (d === dim ? end - start : s));
    return ([x]) => tf.slice(x!, begin, size);
  }
  const stop = shape.map((s, d) => (d === dim ? end : s));
  const strides = shape.map((_, d) => (d === dim ? step : 1));
  return ([x]) => stridedSlice(x!, begin, stop, strides);
}

/** The pad value converted as `cast` converts it; one that does not fit the dtype is a compile error. */
function pad(ctx: LowerContext<"pad">): KernelFn {
  const { before, after, value } = ctx.attrs;
  const dtype = ctx.out.dtype;
  const pairs = before.map((b, i) => [b, after[i]!] as [number, number]);
  // Nothing to pad (always so for a 0-d tensor, which tf.pad refuses): a copy (found by @aotjs/fuzz).
  if (pairs.every(([b, a]) => b === 0 && a === 0)) return ([x]) => tf.clone(x!);
  if (dtype === "bool") return ([x]) => toBool(tf.pad(tf.cast(x!, "int32"), pairs, value !== 0 ? 1 : 0));
  let v = value;
  if (dtype !== "float32") {
    v = Math.trunc(value);
    if (!fitsInt32(v)) {
      ctx.fail(
        `pad value ${value} does not fit ${dtype}` +
          (dtype === "int64" ? " as TensorFlow.js runs it (int32)" : ""),
      );
    }
  }
  return ([x]) => tf.pad(x!, pairs, v);
}

/**
 * torch.gather and scatter_add address x through flat offsets: for index element e, the offset of
 * its own coordinates in x with the coordinate along `dim` replaced by index[e]. The part that
 * does not depend on the index values (`base`) is a constant, so a run costs one multiply-add and
 * one 1-D gather (or scatterND).
 */
function flatIndex(ctx: LowerContext<"gather" | "scatterAdd">) {
  const xShape = ctx.inputs[0]!.shape;
  const indexShape = ctx.inputs[1]!.shape;
  const dim = ctx.attrs.dim;
  const total = numel(xShape);
  if (total >= 2 ** 31) ctx.fail(`x has ${total} elements; TF.js indices are int32`);
  const xStrides = stridesOf(xShape);
  const n = numel(indexShape);
  const base = ctx.constant(() => {
    const data = new Int32Array(n);
    const iStrides = stridesOf(indexShape);
    for (let e = 0; e < n; e++) {
      let offset = 0;
      for (let d = 0; d < indexShape.length; d++) {
        if (d !== dim) offset += (Math.floor(e / iStrides[d]!) % indexShape[d]!) * xStrides[d]!;
      }
      data[e] = offset;
    }
    return tf.tensor(data, [...indexShape], "int32");
  });
  const size = xShape[dim]!;
  const op = ctx.node.op;
  return (index: tf.Tensor): tf.Tensor => {
    // An out-of-range index is an error in the reference; TF.js would read a neighbouring row.
    const bad = tf.logicalOr(tf.less(index, 0), tf.greaterEqual(index, size));
    if (tf.any(bad).dataSync()[0]) {
      const values = index.dataSync();
      const e = values.findIndex((k) => !(k >= 0 && k < size));
      const at = indexShape.map((d, i) => Math.floor(e / stridesOf(indexShape)[i]!) % d).join(",");
      throw new TfjsBackendError(
        `${op}: index ${values[e]} at position [${at}] is out of range for dim ${dim} of x [${xShape}] ` +
          `(valid: 0 to ${size - 1})`,
      );
    }
    return tf.add(base, tf.mul(index, tf.scalar(xStrides[dim]!, "int32")));
  };
}

function gather(ctx: LowerContext<"gather">): KernelFn {
  const offsets = flatIndex(ctx);
  const flat = [numel(ctx.inputs[0]!.shape)];
  return ([x, index]) => viaInt32(x!, (t) => tf.gather(tf.reshape(t, flat), offsets(index!)));
}

/**
 * scatterND sums duplicate indices, which is scatter_add's accumulation (in another order than the
 * reference's sequential one: a float32 result can differ in the last bit). Bool adds as logical or.
 */
function scatterAdd(ctx: LowerContext<"scatterAdd">): KernelFn {
  const offsets = flatIndex(ctx);
  const xShape = [...ctx.inputs[0]!.shape];
  const flat = [numel(xShape)];
  const n = numel(ctx.inputs[1]!.shape);
  const dtype = ctx.out.dtype;
  return ([x, index, src]) => {
    const at = tf.reshape(offsets(index!), [n, 1]);
    const values = tf.reshape(dtype === "bool" ? tf.cast(src!, "int32") : src!, [n]);
    const added = tf.reshape(tf.scatterND(at, values, flat), xShape);
    return dtype === "bool" ? tf.logicalOr(x!, toBool(added)) : tf.add(x!, added);
  };
}

export const layoutLowerings: LoweringsFor<LayoutOp> = {
  reshape: toOutShape,
  squeeze: toOutShape,
  unsqueeze: toOutShape,
  permute: (ctx) => {
    const dims = [...ctx.attrs.dims];
    if (dims.every((d, i) => d === i)) return ([x]) => tf.clone(x!);
    return ([x]) => tf.transpose(x!, dims);
  },
  expand: (ctx) => {
    const shape = [...ctx.out.shape];
    if (sameShape(ctx.inputs[0]!.shape, shape)) return ([x]) => tf.clone(x!);
    return ([x]) => broadcast(x!, shape);
  },
  slice,
  concat: (ctx) => {
    const dim = ctx.attrs.dim;
    // Empty parts add nothing; TF.js's Concat need not see them.
    const keep = ctx.inputs.flatMap((m, i) => (numel(m.shape) > 0 ? [i] : []));
    if (keep.length === 1) return (xs) => tf.clone(xs[keep[0]!]!);
    return (xs) =>
      tf.concat(
        keep.map((i) => xs[i]!),
        dim,
      );
  },
  pad,
  gather,
  scatterAdd,
};

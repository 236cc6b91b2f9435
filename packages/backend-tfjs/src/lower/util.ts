import { numel, type TensorMeta } from "@aotjs/ir";
import * as tf from "@tensorflow/tfjs-core";

export const isFloat = (m: TensorMeta): boolean => m.dtype === "float32" || m.dtype === "float64";
export const isInt = (m: TensorMeta): boolean => m.dtype === "int32" || m.dtype === "int64";
export const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * x != 0 as bool. TF.js's Cast to bool is not usable here: on wasm it truncates floats first (0.5
 * becomes false) and keeps integer bytes as they are (3 stays 3), so NaN and masks would go wrong.
 */
export function toBool(x: tf.Tensor): tf.Tensor {
  if (x.dtype === "bool") return x;
  return tf.notEqual(x, tf.scalar(0, x.dtype));
}

/** Runs an op on a bool tensor through int32 (for kernels that take no bool, or get it wrong). */
export function viaInt32<T extends tf.Tensor>(x: T, f: (t: tf.Tensor) => tf.Tensor): tf.Tensor {
  if (x.dtype !== "bool") return f(x);
  return toBool(f(tf.cast(x, "int32")));
}

/**
 * x[begin:end:strides] per axis. TF.js's StridedSlice on wasm reads every input as float32
 * (int32 and bool come back as reinterpreted float bits), so other dtypes take every step-th
 * element with Slice, Reshape and Pad alone: slice out whole groups of `step`, split the axis into
 * [groups, step], and keep index 0 of each group.
 */
export function stridedSlice(
  x: tf.Tensor,
  begin: readonly number[],
  end: readonly number[],
  strides: readonly number[],
): tf.Tensor {
  if (x.dtype === "float32") return tf.stridedSlice(x, [...begin], [...end], [...strides]);
  let r = x;
  strides.forEach((step, axis) => {
    const start = begin[axis]!;
    const count = Math.ceil((end[axis]! - start) / step);
    const shape = r.shape;
    if (step === 1 || count <= 1) {
      r = tf.slice(
        r,
        shape.map((_, d) => (d === axis ? start : 0)),
        shape.map((s, d) => (d === axis ? count : s)),
      );
      return;
    }
    const missing = count * step - (shape[axis]! - start);
    if (missing > 0)
      r = tf.pad(
        r,
        shape.map((_, d) => [0, d === axis ? missing : 0] as [number, number]),
      );
    const groups = tf.slice(
      r,
      shape.map((_, d) => (d === axis ? start : 0)),
      shape.map((s, d) => (d === axis ? count * step : s)),
    );
    const split = tf.reshape(groups, [...shape.slice(0, axis), count, step, ...shape.slice(axis + 1)]);
    const first = tf.slice(
      split,
      split.shape.map(() => 0),
      split.shape.map((s, d) => (d === axis + 1 ? 1 : s)),
    );
    r = tf.reshape(
      first,
      shape.map((s, d) => (d === axis ? count : s)),
    );
  });
  return r;
}

/**
 * x broadcast to `shape`, or x itself when it already has it. Multiplying by a filled tensor of
 * ones broadcasts exactly (x * 1 is x for every float, -0 and NaN included) and is 20x faster on
 * wasm than tf.broadcastTo, whose Tile kernel took 2.5 ms for a scalar to [128,512].
 */
export function broadcast(x: tf.Tensor, shape: readonly number[]): tf.Tensor {
  if (sameShape(x.shape, shape)) return x;
  const ones = tf.fill([...shape], 1, x.dtype);
  return x.dtype === "bool" ? tf.logicalAnd(x, ones) : tf.mul(x, ones);
}

/**
 * tf.where with every operand broadcast to `shape` first: TF.js's Select on wasm takes a slow
 * path for broadcast operands (measured 5x slower for a scalar branch), and bool branches go
 * through int32 because wasm's Select gets them wrong.
 */
export function select(cond: tf.Tensor, a: tf.Tensor, b: tf.Tensor, shape: readonly number[]): tf.Tensor {
  const c = broadcast(cond, shape);
  if (a.dtype === "bool") {
    return toBool(tf.where(c, broadcast(tf.cast(a, "int32"), shape), broadcast(tf.cast(b, "int32"), shape)));
  }
  return tf.where(c, broadcast(a, shape), broadcast(b, shape));
}

/** An empty tensor of the meta's TF.js dtype (kernels are skipped for zero-element outputs). */
export const emptyOf = (shape: readonly number[], dtype: tf.DataType): tf.Tensor =>
  tf.zeros([...shape], dtype);

export { numel };

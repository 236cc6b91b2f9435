import { type DType, formatMeta, TensorData, type TensorMeta } from "@aotjs/ir";
import * as tf from "@tensorflow/tfjs-core";
import { TfjsBackendError } from "./errors.js";

/**
 * How IR dtypes live in TF.js. TF.js has float32, int32 and bool (no 64-bit types):
 *
 * | IR      | TF.js   | note                                                               |
 * |---------|---------|--------------------------------------------------------------------|
 * | float32 | float32 |                                                                    |
 * | int32   | int32   |                                                                    |
 * | int64   | int32   | values must fit int32; an input or constant that does not is an error |
 * | bool    | bool    |                                                                    |
 * | float64 | -       | rejected when the graph is compiled, never silently rounded        |
 */
export type TfDType = "float32" | "int32" | "bool";

export function tfDType(dtype: DType): TfDType {
  switch (dtype) {
    case "float32":
      return "float32";
    case "int32":
    case "int64":
      return "int32";
    case "bool":
      return "bool";
    case "float64":
      throw new TfjsBackendError("float64 has no TensorFlow.js dtype");
  }
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

export const fitsInt32 = (v: number): boolean => Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX;

/**
 * A TF.js tensor holding `data`. float32 and int32 arrays are handed over as they are (the cpu
 * backend keeps the reference, wasm copies into its heap), so nothing is copied twice. int64 is
 * narrowed to int32 with a range check, and bool bytes are normalized to 0/1 because TF.js kernels
 * compare bool bytes numerically (a mask byte of 255 would not equal `true`).
 */
export function toTensor(data: TensorData, what: string): tf.Tensor {
  const shape = [...data.shape];
  switch (data.dtype) {
    case "float32":
    case "int32":
      return tf.tensor(data.data as Float32Array | Int32Array, shape, data.dtype);
    case "int64": {
      const src = data.data as BigInt64Array;
      const out = new Int32Array(src.length);
      for (let i = 0; i < src.length; i++) {
        const v = src[i]!;
        if (v < -2147483648n || v > 2147483647n) {
          throw new TfjsBackendError(
            `${what} (${formatMeta(data)}) holds ${v} at element ${i}, which does not fit int32: ` +
              "TensorFlow.js has no int64, so this backend runs int64 as int32",
          );
        }
        out[i] = Number(v);
      }
      return tf.tensor(out, shape, "int32");
    }
    case "bool": {
      const src = data.data as Uint8Array;
      let bytes = src;
      if (src.some((b) => b > 1)) bytes = src.map((b) => (b !== 0 ? 1 : 0));
      return tf.tensor(bytes, shape, "bool");
    }
    case "float64":
      throw new TfjsBackendError(`${what} is ${formatMeta(data)}: TensorFlow.js has no float64`);
  }
}

/**
 * The TensorData of a TF.js tensor whose IR meta is `meta`. `protect` holds arrays the caller
 * still owns (graph inputs, kept constants): the cpu backend's dataSync returns its own storage,
 * which can be one of those when an output is a reshape of an input, so those are copied.
 */
export function fromTensor(t: tf.Tensor, meta: TensorMeta, protect: ReadonlySet<unknown>): TensorData {
  const values = t.dataSync();
  switch (meta.dtype) {
    case "float32":
    case "int32":
    case "bool": {
      const Ctor = meta.dtype === "float32" ? Float32Array : meta.dtype === "int32" ? Int32Array : Uint8Array;
      let arr = values as Float32Array | Int32Array | Uint8Array;
      if (!(arr instanceof Ctor)) arr = Ctor.from(arr as ArrayLike<number>);
      else if (protect.has(arr)) arr = arr.slice();
      return new TensorData(meta.dtype, meta.shape, arr as never);
    }
    case "int64": {
      const out = new BigInt64Array(values.length);
      for (let i = 0; i < values.length; i++) out[i] = BigInt(values[i] as number);
      return new TensorData("int64", meta.shape, out);
    }
    case "float64":
      throw new TfjsBackendError(`cannot return ${formatMeta(meta)}: TensorFlow.js has no float64`);
  }
}

/** A 0-d or 1-element host value as an IR TensorData of `meta`. */
export function scalarData(value: bigint, meta: TensorMeta): TensorData {
  if (meta.dtype === "int64") return new TensorData("int64", meta.shape, BigInt64Array.of(value));
  return new TensorData("int32", meta.shape, Int32Array.of(Number(BigInt.asIntN(32, value))));
}

import { type DType, numel, type TensorData, type TypedArray } from "@aotjs/ir";

/** Row-major strides, in elements. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/**
 * Strides to read `shape` as if broadcast to `outShape`: broadcast dims get stride 0, and missing
 * leading dims are added. Lets every broadcasting kernel walk its output once.
 */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const own = stridesOf(shape);
  const offset = outShape.length - shape.length;
  return outShape.map((_, i) => {
    const j = i - offset;
    return j < 0 || shape[j] === 1 ? 0 : own[j]!;
  });
}

/**
 * For each element of `outShape` in row-major order, the offsets into each input read with the
 * given strides. Returns one Int32Array per input. Used by broadcasting pointwise kernels; the
 * odometer walk costs O(1) amortized per element.
 */
export function broadcastOffsets(
  outShape: readonly number[],
  inputStrides: readonly (readonly number[])[],
): Int32Array[] {
  const n = numel(outShape);
  const rank = outShape.length;
  const result = inputStrides.map(() => new Int32Array(n));
  const index = new Array<number>(rank).fill(0);
  const offsets = inputStrides.map(() => 0);
  for (let e = 0; e < n; e++) {
    for (let k = 0; k < offsets.length; k++) result[k]![e] = offsets[k]!;
    for (let d = rank - 1; d >= 0; d--) {
      index[d]!++;
      for (let k = 0; k < offsets.length; k++) offsets[k]! += inputStrides[k]![d]!;
      if (index[d]! < outShape[d]!) break;
      for (let k = 0; k < offsets.length; k++) offsets[k]! -= inputStrides[k]![d]! * outShape[d]!;
      index[d] = 0;
    }
  }
  return result;
}

/** Read element i as a JS number (int64 through Number: exact up to 2^53). */
export function getter(t: TensorData): (i: number) => number {
  const d = t.data as TypedArray;
  if (d instanceof BigInt64Array) return (i) => Number(d[i]!);
  return (i) => (d as Exclude<TypedArray, BigInt64Array>)[i]!;
}

/** Write element i from a JS number, converting for the dtype (int truncates, bool is != 0). */
export function setter(dtype: DType, d: TypedArray): (i: number, v: number) => void {
  switch (dtype) {
    case "int64":
      return (i, v) => {
        (d as BigInt64Array)[i] = BigInt(Math.trunc(v));
      };
    case "bool":
      return (i, v) => {
        (d as Uint8Array)[i] = v !== 0 ? 1 : 0;
      };
    default:
      return (i, v) => {
        (d as Float32Array)[i] = v;
      };
  }
}

/** Float data as Float32Array or Float64Array: what the float-only kernels work on. */
export const floatData = (t: TensorData) => t.data as Float32Array | Float64Array;

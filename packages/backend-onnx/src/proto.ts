// Thin helpers over onnx-buf's generated messages. Everything is built with `create(...Schema)` and
// serialized by @bufbuild/protobuf; nothing here encodes protobuf by hand.

import type { DType, TensorData, TensorMeta, TypedArray } from "@aotjs/ir";
import { create } from "@bufbuild/protobuf";
import {
  type AttributeProto,
  AttributeProtoSchema,
  AttributeProto_AttributeType as AttrType,
  TensorProto_DataType as DataType,
  type GraphProto,
  type TensorProto,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  type TypeProto,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  type ValueInfoProto,
  ValueInfoProtoSchema,
} from "onnx-buf";

export { DataType };

/** ONNX element types used here: the five IR dtypes plus the unsigned ones the RNG needs. */
export type OnnxType = DType | "uint32" | "uint64";

export const onnxDataType: { readonly [T in OnnxType]: DataType } = {
  float32: DataType.FLOAT,
  float64: DataType.DOUBLE,
  int32: DataType.INT32,
  int64: DataType.INT64,
  bool: DataType.BOOL,
  uint32: DataType.UINT32,
  uint64: DataType.UINT64,
};

/** An ONNX attribute value; the kind is explicit because a JS number can't tell int from float. */
export type Attr =
  | { readonly int: number | bigint }
  | { readonly ints: readonly (number | bigint)[] }
  | { readonly float: number }
  | { readonly string: string }
  | { readonly tensor: TensorProto }
  | { readonly graph: GraphProto };

export const int = (v: number | bigint | boolean): Attr => ({ int: typeof v === "boolean" ? +v : v });
export const ints = (v: readonly (number | bigint)[]): Attr => ({ ints: v });
export const float = (v: number): Attr => ({ float: v });
export const str = (v: string): Attr => ({ string: v });

export function attribute(name: string, a: Attr): AttributeProto {
  if ("int" in a) return create(AttributeProtoSchema, { name, type: AttrType.INT, i: BigInt(a.int) });
  if ("ints" in a)
    return create(AttributeProtoSchema, { name, type: AttrType.INTS, ints: a.ints.map(BigInt) });
  if ("float" in a) return create(AttributeProtoSchema, { name, type: AttrType.FLOAT, f: a.float });
  if ("string" in a) {
    return create(AttributeProtoSchema, {
      name,
      type: AttrType.STRING,
      s: new TextEncoder().encode(a.string),
    });
  }
  if ("graph" in a) return create(AttributeProtoSchema, { name, type: AttrType.GRAPH, g: a.graph });
  return create(AttributeProtoSchema, { name, type: AttrType.TENSOR, t: a.tensor });
}

/** A tensor type; with `shape` undefined, of unknown rank (a branch output, typed by ORT's inference). */
export function tensorType(dtype: OnnxType, shape: readonly (number | string)[] | undefined): TypeProto {
  return create(TypeProtoSchema, {
    value: {
      case: "tensorType",
      value: create(TypeProto_TensorSchema, {
        elemType: onnxDataType[dtype],
        shape:
          shape &&
          create(TensorShapeProtoSchema, {
            dim: shape.map((d) =>
              create(TensorShapeProto_DimensionSchema, {
                value:
                  typeof d === "string"
                    ? { case: "dimParam", value: d }
                    : { case: "dimValue", value: BigInt(d) },
              }),
            ),
          }),
      }),
    },
  });
}

export const valueInfo = (
  name: string,
  meta: TensorMeta,
  /** Dims to write instead of the meta's: a string is a `dim_param` (a symbolic size). */
  dims: readonly (number | string)[] = meta.shape,
): ValueInfoProto => create(ValueInfoProtoSchema, { name, type: tensorType(meta.dtype, dims) });

/**
 * Raw little-endian bytes of a typed array. The typed arrays are already little-endian on every
 * platform this runs on (x86, ARM); a view (not a copy) is enough unless the array is a window
 * into a larger buffer, which protobuf would otherwise serialize whole.
 */
function rawBytes(data: TypedArray | Uint32Array | BigUint64Array): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return (
    bytes.buffer instanceof ArrayBuffer && data.byteOffset === 0 && bytes.length === data.buffer.byteLength
      ? bytes
      : bytes.slice()
  ) as Uint8Array<ArrayBuffer>;
}

/** A named TensorProto holding `data` as raw bytes. */
export function tensorProto(
  name: string,
  dtype: OnnxType,
  shape: readonly number[],
  data: TypedArray | Uint32Array | BigUint64Array,
): TensorProto {
  return create(TensorProtoSchema, {
    name,
    dataType: onnxDataType[dtype],
    dims: shape.map(BigInt),
    rawData: rawBytes(data),
  });
}

export const tensorDataProto = (name: string, t: TensorData): TensorProto =>
  tensorProto(name, t.dtype, t.shape, t.data);

/** A typed array of `dtype` holding `values` (numbers converted as `cast` does: ints truncate, bool is != 0). */
export function typedArrayOf(
  dtype: OnnxType,
  values: readonly (number | bigint)[],
): TypedArray | Uint32Array | BigUint64Array {
  switch (dtype) {
    case "float32":
      return Float32Array.from(values, Number);
    case "float64":
      return Float64Array.from(values, Number);
    case "int32":
      return Int32Array.from(values, (v) => Math.trunc(Number(v)));
    case "uint32":
      return Uint32Array.from(values, (v) => Math.trunc(Number(v)));
    case "int64":
      return BigInt64Array.from(values, (v) => (typeof v === "bigint" ? v : BigInt(Math.trunc(v))));
    case "uint64":
      return BigUint64Array.from(values, (v) => (typeof v === "bigint" ? v : BigInt(Math.trunc(v))));
    case "bool":
      return Uint8Array.from(values, (v) => (Number(v) !== 0 ? 1 : 0));
  }
}

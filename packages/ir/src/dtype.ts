import { IRError } from "./errors.js";

/**
 * Dtypes and promotion. The rules follow PyTorch's `torch.result_type`:
 *
 * - Categories are ordered bool < integer < floating. Mixing categories gives the higher one.
 * - Within a category the wider type wins: int32 + int64 = int64, float32 + float64 = float64.
 * - Crossing into floating from an integer or bool picks the floating operand's dtype
 *   (int64 + float32 = float32), as in PyTorch.
 * - JS numbers are "weak" scalars: they never widen a tensor within its category
 *   (f32 tensor * 2.5 stays f32), but lift the category when they are of a higher one
 *   (i32 tensor * 2.5 = float32, the default float dtype; bool tensor + 1 = int64).
 * - A 0-d tensor is weaker than a dimensioned tensor of the same category, as in PyTorch.
 */
export type DType = "float32" | "float64" | "int32" | "int64" | "bool";

/** Every dtype the IR has. */
export const dtypes: readonly DType[] = ["float32", "float64", "int32", "int64", "bool"];

/** A dtype's category: floating, integral, or bool. */
export type DTypeKind = "float" | "int" | "bool";

/** The typed array that stores each dtype. int64 uses BigInt64Array so no value is ever rounded. */
export interface TypedArrayOf {
  float32: Float32Array;
  float64: Float64Array;
  int32: Int32Array;
  int64: BigInt64Array;
  bool: Uint8Array;
}
/** The typed array of any dtype (Float32Array, ..., BigInt64Array for int64, Uint8Array for bool). */
export type TypedArray = TypedArrayOf[DType];

interface DTypeInfo {
  /** Bytes per element. */
  readonly itemsize: number;
  /** Floating, integral or bool. */
  readonly kind: DTypeKind;
  /** Short name used by the printer, as in `f32[3,4]`. */
  readonly short: string;
  /** The name of the typed array class that stores it. */
  readonly arrayType: string;
}

/** Per dtype: item size, kind, short name and typed array class. */
export const dtypeInfo: { readonly [D in DType]: DTypeInfo } = {
  float32: { itemsize: 4, kind: "float", short: "f32", arrayType: "Float32Array" },
  float64: { itemsize: 8, kind: "float", short: "f64", arrayType: "Float64Array" },
  int32: { itemsize: 4, kind: "int", short: "i32", arrayType: "Int32Array" },
  int64: { itemsize: 8, kind: "int", short: "i64", arrayType: "BigInt64Array" },
  bool: { itemsize: 1, kind: "bool", short: "bool", arrayType: "Uint8Array" },
};

// `Object.hasOwn`, not `in`: "constructor", "toString", ... are not dtypes.
/** Whether `x` is a dtype name. */
export const isDType = (x: unknown): x is DType => typeof x === "string" && Object.hasOwn(dtypeInfo, x);
/** Bytes per element of `dtype`. */
export const itemsize = (dtype: DType): number => dtypeInfo[dtype].itemsize;
/** Whether `dtype` is float32 or float64. */
export const isFloating = (dtype: DType): boolean => dtypeInfo[dtype].kind === "float";
/** Whether `dtype` is int32 or int64. */
export const isIntegral = (dtype: DType): boolean => dtypeInfo[dtype].kind === "int";

/** A zeroed typed array of `length` elements of `dtype`. */
export function allocate<D extends DType>(dtype: D, length: number): TypedArrayOf[D] {
  switch (dtype) {
    case "float32":
      return new Float32Array(length) as TypedArrayOf[D];
    case "float64":
      return new Float64Array(length) as TypedArrayOf[D];
    case "int32":
      return new Int32Array(length) as TypedArrayOf[D];
    case "int64":
      return new BigInt64Array(length) as TypedArrayOf[D];
    case "bool":
      return new Uint8Array(length) as TypedArrayOf[D];
  }
  throw new IRError(`allocate: unknown dtype ${String(dtype)}`);
}

/** True when `data` is the typed array that stores `dtype`. */
export function matchesDType(dtype: DType, data: unknown): data is TypedArray {
  const expected = dtypeInfo[dtype]?.arrayType;
  return expected !== undefined && (data as object | null)?.constructor?.name === expected;
}

const kindRank: Record<DTypeKind, number> = { bool: 0, int: 1, float: 2 };

/** PyTorch's `promote_types` for two tensors of equal standing. */
export function promoteTypes(a: DType, b: DType): DType {
  if (a === b) return a;
  const ka = kindRank[dtypeInfo[a].kind];
  const kb = kindRank[dtypeInfo[b].kind];
  if (ka !== kb) return ka > kb ? a : b;
  return dtypeInfo[a].itemsize >= dtypeInfo[b].itemsize ? a : b;
}

/** An operand of `resultType`: a tensor's dtype and rank, or a JS scalar. */
export type Operand = { readonly dtype: DType; readonly rank: number } | number | boolean | bigint;

/** The default dtype a JS scalar takes when it lifts the category: torch's default float and long. */
function scalarDType(x: number | boolean | bigint): DType {
  if (typeof x === "boolean") return "bool";
  if (typeof x === "bigint") return "int64";
  return Number.isInteger(x) ? "int64" : "float32";
}

/**
 * PyTorch's `torch.result_type` over tensors and scalars. Dimensioned tensors decide first,
 * 0-d tensors next, scalars last; a weaker group only matters when it lifts the category.
 */
export function resultType(...operands: Operand[]): DType {
  let dims: DType | undefined;
  let zeroDim: DType | undefined;
  let scalars: DType | undefined;
  for (const op of operands) {
    if (typeof op === "object") {
      if (op.rank > 0) dims = dims ? promoteTypes(dims, op.dtype) : op.dtype;
      else zeroDim = zeroDim ? promoteTypes(zeroDim, op.dtype) : op.dtype;
    } else {
      const s = scalarDType(op);
      scalars = scalars ? promoteTypes(scalars, s) : s;
    }
  }
  let result: DType | undefined;
  for (const group of [dims, zeroDim, scalars]) {
    if (group === undefined) continue;
    if (result === undefined) result = group;
    // A weaker group matters only when it lifts the category; it then brings its own dtype.
    else if (kindRank[dtypeInfo[group].kind] > kindRank[dtypeInfo[result].kind]) result = group;
  }
  if (result === undefined) throw new IRError("resultType: needs at least one operand");
  return result;
}

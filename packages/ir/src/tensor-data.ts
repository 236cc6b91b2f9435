import { allocate, type DType, dtypeInfo, isDType, matchesDType, type TypedArrayOf } from "./dtype.js";
import { IRError } from "./errors.js";

/** What a graph knows about a value: its shape and dtype, never its contents. */
export interface TensorMeta {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/** The number of elements of a shape: the product of its sizes. */
export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Bytes a value of this meta occupies: what the partitioner weighs and `graphStats` sums. */
export const byteSize = (meta: TensorMeta): number => numel(meta.shape) * dtypeInfo[meta.dtype].itemsize;

/** `1.5 MiB`, `12 B`: byte counts in binary units, as reports and drawings print them. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = bytes;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${Number(v.toFixed(2))} ${units[u]}`;
}

/** `f32[3,4]`: the printer's and every error message's spelling of a meta. */
export const formatMeta = (meta: TensorMeta): string =>
  `${dtypeInfo[meta.dtype]?.short ?? String(meta.dtype)}[${meta.shape.join(",")}]`;

/** Whether two metas have equal dtype and shape. */
export const sameMeta = (a: TensorMeta, b: TensorMeta): boolean =>
  a.dtype === b.dtype && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);

/** Whether `shape` is an array of non-negative integers. */
export function isValidShape(shape: unknown): shape is number[] {
  return Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && d >= 0);
}

/** A TensorMeta of `shape` and `dtype` (float32 by default). */
export function meta(shape: readonly number[], dtype: DType = "float32"): TensorMeta {
  if (!isValidShape(shape)) throw new IRError(`meta: shape must be non-negative integers, got [${shape}]`);
  if (!isDType(dtype)) throw new IRError(`meta: unknown dtype '${String(dtype)}'`);
  return { shape: Object.freeze([...shape]), dtype };
}

/**
 * A dense, row-major tensor: the currency between the interpreter, kernels and backends.
 * The constructor checks that the typed array fits the dtype and that its length fits the shape,
 * so a backend can trust any TensorData it is handed.
 */
export class TensorData<D extends DType = DType> implements TensorMeta {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly data: TypedArrayOf[D];

  constructor(dtype: D, shape: readonly number[], data: TypedArrayOf[D]) {
    if (!isDType(dtype)) throw new IRError(`TensorData: unknown dtype '${String(dtype)}'`);
    if (!isValidShape(shape)) {
      throw new IRError(`TensorData: shape must be non-negative integers, got [${String(shape)}]`);
    }
    if (!matchesDType(dtype, data)) {
      const got = (data as object | null)?.constructor?.name ?? typeof data;
      throw new IRError(`TensorData: ${dtype} needs a ${dtypeInfo[dtype].arrayType}, got ${got}`);
    }
    const expected = numel(shape);
    if (data.length !== expected) {
      throw new IRError(
        `TensorData: shape [${shape.join(",")}] holds ${expected} elements but the ${dtype} data has ${data.length}`,
      );
    }
    this.dtype = dtype;
    this.shape = Object.freeze([...shape]);
    this.data = data;
  }

  /** A zero-filled TensorData of `dtype` and `shape`. */
  static zeros<D extends DType>(dtype: D, shape: readonly number[]): TensorData<D> {
    return new TensorData(dtype, shape, allocate(dtype, numel(shape)));
  }

  get meta(): TensorMeta {
    return { shape: this.shape, dtype: this.dtype };
  }

  get size(): number {
    return this.data.length;
  }
}

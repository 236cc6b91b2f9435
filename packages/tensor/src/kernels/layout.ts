import {
  allocate,
  type DType,
  type LayoutOpName,
  numel,
  TensorData,
  type TensorMeta,
  type TypedArray,
} from "@aotjs/ir";
import { TensorError } from "../errors.js";
import type { KernelsFor } from "./types.js";
import { broadcastStrides, stridesOf } from "./util.js";

/**
 * Reference kernels for the layout ops. Except for scatterAdd, these ops only move elements, so
 * they copy slots of the typed array without ever converting a value: int64 stays exact, and
 * float32 bits survive exactly (see `slotsOf`). Every output owns a fresh array.
 *
 * permute, expand, slice, concat and pad are all one strided copy (`copyStrided`): a walk over a
 * shape, reading the source with one set of strides and writing the destination with another.
 */

/** A dtype's storage seen only as slots to move between; a slot's value is never inspected. */
interface Slots {
  [i: number]: number | bigint;
  readonly length: number;
  set(source: Slots, offset?: number): void;
  subarray(begin: number, end: number): Slots;
  fill(value: number | bigint, start?: number, end?: number): Slots;
}

/**
 * float32 is moved through an Int32Array view: reading a float32 into a JS number widens it to a
 * double, which quiets a signalling NaN, so only an integer view copies its bits exactly. It also
 * keeps the hot loops down to four array kinds, which V8 still handles polymorphically.
 */
function slotsOf(data: TypedArray): Slots {
  if (data instanceof Float32Array)
    return new Int32Array(data.buffer, data.byteOffset, data.length) as unknown as Slots;
  return data as unknown as Slots;
}

const fresh = (out: TensorMeta, data: TypedArray): TensorData => new TensorData(out.dtype, out.shape, data);

/** A copy of the same elements under the kernel's output shape. */
const sameElements = (x: TensorData, out: TensorMeta): TensorData => fresh(out, x.data.slice());

const fmt = (shape: readonly number[]) => `[${shape.join(",")}]`;

// ---- the strided copy ----

/** One axis of a strided walk: its size and the step it takes in the source and destination. */
interface Axis {
  size: number;
  src: number;
  dst: number;
}

/** Runs shorter than this are copied with a loop: `subarray` allocates, which costs more. */
const RUN_FOR_SET = 32;
/** Tile edge of the blocked transpose: a 32x32 tile of 8-byte slots is 8 KiB per side, well inside L1. */
const TILE = 32;

/**
 * Drop size-1 axes and merge neighbours that are one contiguous axis in both layouts, so a permute
 * of [N,C,H,W] to [N,H,W,C] becomes a batched 2-D transpose of [N, H*W, C] and a concat part
 * becomes whole rows. Returns undefined when the shape is empty (nothing to copy).
 */
function coalesce(
  shape: readonly number[],
  src: readonly number[],
  dst: readonly number[],
): Axis[] | undefined {
  const axes: Axis[] = [];
  for (let i = 0; i < shape.length; i++) {
    const size = shape[i]!;
    if (size === 0) return undefined;
    if (size === 1) continue;
    const inner = { size, src: src[i]!, dst: dst[i]! };
    const outer = axes[axes.length - 1];
    if (outer && outer.src === inner.src * inner.size && outer.dst === inner.dst * inner.size) {
      inner.size *= outer.size;
      axes.pop();
    }
    axes.push(inner);
  }
  return axes;
}

/** Call `body` with the base offsets of every position of `outer`, in row-major order. */
function walk(
  outer: readonly Axis[],
  srcBase: number,
  dstBase: number,
  body: (s: number, d: number) => void,
): void {
  const rank = outer.length;
  const count = new Array<number>(rank).fill(0);
  let s = srcBase;
  let d = dstBase;
  for (;;) {
    body(s, d);
    let k = rank - 1;
    for (; k >= 0; k--) {
      const axis = outer[k]!;
      s += axis.src;
      d += axis.dst;
      if (++count[k]! < axis.size) break;
      s -= axis.src * axis.size;
      d -= axis.dst * axis.size;
      count[k] = 0;
    }
    if (k < 0) return;
  }
}

/**
 * Copy the elements of `shape` from `src` (at `srcOffset`, with `srcStrides`) to `dst` (at
 * `dstOffset`, with `dstStrides`). The innermost axis picks the loop: contiguous runs use `set`,
 * a broadcast source uses `fill`, and when the source's contiguous axis is not the innermost one
 * (a transpose) the innermost two are copied in cache-sized tiles.
 */
function copyStrided(
  shape: readonly number[],
  src: Slots,
  srcOffset: number,
  srcStrides: readonly number[],
  dst: Slots,
  dstOffset: number,
  dstStrides: readonly number[],
): void {
  const axes = coalesce(shape, srcStrides, dstStrides);
  if (axes === undefined) return;
  const last = axes.pop();
  if (last === undefined) {
    dst[dstOffset] = src[srcOffset]!;
    return;
  }
  const { size: n, src: sj, dst: dj } = last;

  if (sj === 1 && dj === 1) {
    if (n >= RUN_FOR_SET) walk(axes, srcOffset, dstOffset, (s, d) => dst.set(src.subarray(s, s + n), d));
    else walk(axes, srcOffset, dstOffset, (s, d) => copyRun(src, s, 1, dst, d, 1, n));
    return;
  }
  if (sj === 0 && dj === 1 && n >= RUN_FOR_SET) {
    walk(axes, srcOffset, dstOffset, (s, d) => dst.fill(src[s]!, d, d + n));
    return;
  }
  // The source's unit-stride axis, if it is not the innermost: reading along it is what keeps a
  // transpose from touching a new cache line for every element.
  const q = dj === 1 && sj !== 1 && sj !== 0 ? axes.findIndex((a) => a.src === 1) : -1;
  if (q >= 0) {
    const { size: ni, dst: di } = axes[q]!;
    axes.splice(q, 1);
    walk(axes, srcOffset, dstOffset, (s, d) => transposeTiles(src, s, sj, dst, d, di, ni, n));
    return;
  }
  walk(axes, srcOffset, dstOffset, (s, d) => copyRun(src, s, sj, dst, d, dj, n));
}

function copyRun(src: Slots, s: number, ss: number, dst: Slots, d: number, ds: number, n: number): void {
  for (let j = 0; j < n; j++, s += ss, d += ds) dst[d] = src[s]!;
}

/**
 * dst[d + i*di + j] = src[s + i + j*sj] for i < ni, j < nj, tile by tile: within a tile both the
 * rows read and the rows written stay in cache.
 */
function transposeTiles(
  src: Slots,
  s: number,
  sj: number,
  dst: Slots,
  d: number,
  di: number,
  ni: number,
  nj: number,
) {
  for (let i0 = 0; i0 < ni; i0 += TILE) {
    const i1 = Math.min(i0 + TILE, ni);
    for (let j0 = 0; j0 < nj; j0 += TILE) {
      const j1 = Math.min(j0 + TILE, nj);
      for (let i = i0; i < i1; i++) {
        let from = s + i + j0 * sj;
        let to = d + i * di + j0;
        for (let j = j0; j < j1; j++, from += sj, to++) dst[to] = src[from]!;
      }
    }
  }
}

/** Copy all of `x`, read with `strides` from `offset`, into a fresh row-major tensor of `out`'s meta. */
function readStrided(x: TensorData, offset: number, strides: readonly number[], out: TensorMeta): TensorData {
  const data = allocate(out.dtype, numel(out.shape));
  copyStrided(out.shape, slotsOf(x.data), offset, strides, slotsOf(data), 0, stridesOf(out.shape));
  return fresh(out, data);
}

// ---- pad ----

/** The pad value in the dtype, as `cast` converts: int truncates toward zero, bool is value != 0. */
function padValue(dtype: DType, value: number): number | bigint {
  if (dtype === "float32" || dtype === "float64") return value;
  if (dtype === "bool") return value !== 0 ? 1 : 0;
  const t = Math.trunc(value);
  // An integer that cannot hold the value is an error, as in PyTorch, rather than a silent wrap.
  const [lo, hi] = dtype === "int32" ? [-(2 ** 31), 2 ** 31] : [-(2 ** 63), 2 ** 63];
  if (!Number.isFinite(value) || t < lo || t >= hi) {
    throw new TensorError(`pad: value ${value} cannot be converted to ${dtype} without overflow`);
  }
  return dtype === "int64" ? BigInt(t) : t;
}

// ---- gather and scatterAdd ----

/**
 * For each element of `index` in row-major order, the offset into x it addresses along `dim`.
 * This is where both ops check their indices, so the copy and accumulate loops need not.
 */
function indexOffsets(op: string, x: TensorData, index: TensorData, dim: number): Uint32Array | Float64Array {
  const n = index.size;
  const offsets = x.size <= 0xffffffff ? new Uint32Array(n) : new Float64Array(n);
  const shape = index.shape;
  const rank = shape.length;
  const xStrides = stridesOf(x.shape);
  const dimSize = x.shape[dim]!;
  const dimStride = xStrides[dim]!;
  // The walk follows index's coordinates into x; dim's own coordinate comes from the index value.
  const walkStrides = xStrides.map((s, i) => (i === dim ? 0 : s));
  const count = new Array<number>(rank).fill(0);
  const values = index.data as Int32Array | BigInt64Array;
  let base = 0;
  for (let e = 0; e < n; e++) {
    const raw = values[e]!;
    const k = Number(raw);
    if (!(k >= 0 && k < dimSize)) {
      const at = count.join(",");
      throw new TensorError(
        `${op}: index ${raw} at position [${at}] is out of range for dim ${dim} of x ${fmt(x.shape)} ` +
          `(valid: 0 to ${dimSize - 1})`,
      );
    }
    offsets[e] = base + k * dimStride;
    for (let d = rank - 1; d >= 0; d--) {
      base += walkStrides[d]!;
      if (++count[d]! < shape[d]!) break;
      base -= walkStrides[d]! * shape[d]!;
      count[d] = 0;
    }
  }
  return offsets;
}

/** x[offsets[e]] += src[e] in the dtype's own arithmetic, in src's row-major order. */
function accumulate(dtype: DType, acc: TypedArray, offsets: ArrayLike<number>, src: TypedArray): void {
  const n = offsets.length;
  if (dtype === "int64") {
    // BigInt sums are exact; storing wraps modulo 2^64, as int64 addition does in PyTorch.
    const a = acc as BigInt64Array;
    const b = src as BigInt64Array;
    for (let e = 0; e < n; e++) a[offsets[e]!]! += b[e]!;
  } else if (dtype === "bool") {
    // PyTorch adds bools as logical or: true + true stays true.
    const a = acc as Uint8Array;
    const b = src as Uint8Array;
    for (let e = 0; e < n; e++) a[offsets[e]!]! |= b[e]!;
  } else {
    // Each store rounds to the dtype (float32) or wraps modulo 2^32 (int32): one step at a time,
    // exactly as a sequential float32/int32 accumulator would.
    const a = acc as Float64Array;
    const b = src as Float64Array;
    for (let e = 0; e < n; e++) a[offsets[e]!]! += b[e]!;
  }
}

// ---- the kernels ----

type LayoutOp = LayoutOpName;

export const layoutKernels: KernelsFor<LayoutOp> = {
  reshape: ([x], _attrs, out) => sameElements(x!, out),
  squeeze: ([x], _attrs, out) => sameElements(x!, out),
  unsqueeze: ([x], _attrs, out) => sameElements(x!, out),

  permute: ([x], { dims }, out) => {
    const xStrides = stridesOf(x!.shape);
    const strides = dims.map((d) => xStrides[d]!);
    return readStrided(x!, 0, strides, out);
  },

  expand: ([x], _attrs, out) => readStrided(x!, 0, broadcastStrides(x!.shape, out.shape), out),

  slice: ([x], { dim, start, step }, out) => {
    const strides = stridesOf(x!.shape);
    const offset = start * strides[dim]!;
    strides[dim]! *= step;
    return readStrided(x!, offset, strides, out);
  },

  concat: (parts, { dim }, out) => {
    const data = allocate(out.dtype, numel(out.shape));
    const dst = slotsOf(data);
    const outStrides = stridesOf(out.shape);
    let at = 0;
    for (const part of parts) {
      const partStrides = stridesOf(part.shape);
      copyStrided(part.shape, slotsOf(part.data), 0, partStrides, dst, at * outStrides[dim]!, outStrides);
      at += part.shape[dim]!;
    }
    return fresh(out, data);
  },

  pad: ([x], { before, value }, out) => {
    const data = allocate(out.dtype, numel(out.shape));
    // Fill everything, then overwrite the interior: simpler than filling each border slab, and the
    // interior is copied in whole rows anyway.
    (data as Slots).fill(padValue(out.dtype, value));
    const outStrides = stridesOf(out.shape);
    const offset = before.reduce((sum, b, i) => sum + b * outStrides[i]!, 0);
    copyStrided(x!.shape, slotsOf(x!.data), 0, stridesOf(x!.shape), slotsOf(data), offset, outStrides);
    return fresh(out, data);
  },

  gather: ([x, index], { dim }, out) => {
    const offsets = indexOffsets("gather", x!, index!, dim);
    const data = allocate(out.dtype, offsets.length);
    const src = slotsOf(x!.data);
    const dst = slotsOf(data);
    for (let e = 0; e < offsets.length; e++) dst[e] = src[offsets[e]!]!;
    return fresh(out, data);
  },

  scatterAdd: ([x, index, src], { dim }, out) => {
    const offsets = indexOffsets("scatterAdd", x!, index!, dim);
    const data = x!.data.slice();
    accumulate(out.dtype, data, offsets, src!.data);
    return fresh(out, data);
  },
};

import {
  allocate,
  type DType,
  formatMeta,
  type MatmulOpName,
  numel,
  TensorData,
  type TensorMeta,
} from "@aotjs/ir";
import { TensorError } from "../errors.js";
import type { KernelsFor } from "./types.js";
import { broadcastOffsets, broadcastStrides } from "./util.js";

export type FloatArray = Float32Array | Float64Array;

/**
 * A strided 2-D view into a flat array: element (i, j) is `data[offset + i * rowStride + j * colStride]`.
 * A transposed operand is the same data with the strides swapped, so `gemm` needs no transpose flags.
 */
export interface MatrixView<T extends FloatArray = FloatArray> {
  readonly data: T;
  readonly offset: number;
  readonly rowStride: number;
  readonly colStride: number;
}

/** A row-major matrix with `cols` columns starting at `offset`. */
export const rowMajor = <T extends FloatArray>(data: T, offset: number, cols: number): MatrixView<T> => ({
  data,
  offset,
  rowStride: cols,
  colStride: 1,
});

/** The transpose of a row-major matrix with `cols` columns starting at `offset`. */
export const transposedOf = <T extends FloatArray>(data: T, offset: number, cols: number): MatrixView<T> => ({
  data,
  offset,
  rowStride: 1,
  colStride: cols,
});

// Blocking, as in GotoBLAS/BLIS: a KC x NC panel of B and an MC x KC block of A are copied
// ("packed") into contiguous Float64Arrays laid out in the order the micro-kernel reads them, so
// the inner loop streams two small arrays and keeps a 4x4 tile of C in locals (V8 keeps them in
// registers). Measured on V8 / Zen: 4x4 beats 2x4, 4x2, 4x8 and 8x4 (more tiles spill), and the
// block sizes barely matter once packing is in place; these keep the A block in L1 and the B panel in L2.
const MR = 4;
const NR = 4;
const KC = 256;
const MC = 64;
const NC = 2048;

// Below this much work (or for a sliver of a matrix) packing costs more than it saves.
const SMALL_WORK = 8192;

let packedA = new Float64Array(0);
let packedB = new Float64Array(0);
let scratchRow = new Float64Array(0);

/**
 * C (m x n) = A (m x k) @ B (k x n), or C += A @ B when `accumulate`. A and B may be any strided
 * views (transposes included); C must have unit column stride. Sums are formed in float64 and
 * rounded once per KC-long chunk of k when C is a Float32Array. Used by matmul and the convolutions.
 */
export function gemm(
  m: number,
  k: number,
  n: number,
  a: MatrixView,
  b: MatrixView,
  c: MatrixView,
  accumulate = false,
): void {
  if (c.colStride !== 1) throw new TensorError(`gemm: C must have unit column stride, got ${c.colStride}`);
  if (m === 0 || n === 0) return;
  if (!accumulate) {
    for (let i = 0; i < m; i++) c.data.fill(0, c.offset + i * c.rowStride, c.offset + i * c.rowStride + n);
  }
  if (k === 0) return;
  if (m < MR || n < NR || m * n * k < SMALL_WORK) {
    smallGemm(m, k, n, a, b, c);
    return;
  }
  const ncMax = Math.min(NC, roundUp(n, NR));
  const kcMax = Math.min(KC, k);
  if (packedB.length < ncMax * kcMax) packedB = new Float64Array(ncMax * kcMax);
  if (packedA.length < MC * kcMax) packedA = new Float64Array(MC * kcMax);
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      packPanels(
        b.data,
        b.offset + pc * b.rowStride + jc * b.colStride,
        b.colStride,
        b.rowStride,
        nc,
        kc,
        NR,
        packedB,
      );
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        packPanels(
          a.data,
          a.offset + ic * a.rowStride + pc * a.colStride,
          a.rowStride,
          a.colStride,
          mc,
          kc,
          MR,
          packedA,
        );
        for (let jr = 0; jr < nc; jr += NR) {
          const cols = Math.min(NR, nc - jr);
          for (let ir = 0; ir < mc; ir += MR) {
            const rows = Math.min(MR, mc - ir);
            const cOffset = c.offset + (ic + ir) * c.rowStride + jc + jr;
            microKernel(kc, ir * kc, jr * kc, c.data, cOffset, c.rowStride, rows, cols);
          }
        }
      }
    }
  }
}

const roundUp = (x: number, to: number) => Math.ceil(x / to) * to;

/**
 * Copies a `lines` x `depth` block into panels of `width` lines: panel q holds, for each step p
 * along depth, the `width` values of lines q*width .. q*width+width-1 (zero past the last line).
 * Line i, step p is `src[offset + i * lineStride + p * depthStride]`.
 */
function packPanels(
  src: FloatArray,
  offset: number,
  lineStride: number,
  depthStride: number,
  lines: number,
  depth: number,
  width: number,
  dst: Float64Array,
): void {
  let q = 0;
  for (let i0 = 0; i0 < lines; i0 += width) {
    const live = Math.min(width, lines - i0);
    const panel = offset + i0 * lineStride;
    if (live === 4 && width === 4) {
      for (let p = 0; p < depth; p++) {
        const s = panel + p * depthStride;
        dst[q] = src[s]!;
        dst[q + 1] = src[s + lineStride]!;
        dst[q + 2] = src[s + 2 * lineStride]!;
        dst[q + 3] = src[s + 3 * lineStride]!;
        q += 4;
      }
      continue;
    }
    for (let p = 0; p < depth; p++) {
      const s = panel + p * depthStride;
      let r = 0;
      for (; r < live; r++) dst[q++] = src[s + r * lineStride]!;
      for (; r < width; r++) dst[q++] = 0;
    }
  }
}

/** C[rows x cols tile at cOffset] += packedA panel @ packedB panel, each `kc` deep. */
// biome-ignore format: the 4x4 tile reads best as a grid
function microKernel(
  kc: number,
  aStart: number,
  bStart: number,
  c: FloatArray,
  cOffset: number,
  ldc: number,
  rows: number,
  cols: number,
): void {
  const pa = packedA;
  const pb = packedB;
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  let ai = aStart;
  let bi = bStart;
  for (let p = 0; p < kc; p++) {
    const a0 = pa[ai]!, a1 = pa[ai + 1]!, a2 = pa[ai + 2]!, a3 = pa[ai + 3]!;
    const b0 = pb[bi]!, b1 = pb[bi + 1]!, b2 = pb[bi + 2]!, b3 = pb[bi + 3]!;
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
    ai += 4;
    bi += 4;
  }
  if (rows === 4 && cols === 4) {
    let o = cOffset;
    c[o] += c00; c[o + 1] += c01; c[o + 2] += c02; c[o + 3] += c03;
    o += ldc;
    c[o] += c10; c[o + 1] += c11; c[o + 2] += c12; c[o + 3] += c13;
    o += ldc;
    c[o] += c20; c[o + 1] += c21; c[o + 2] += c22; c[o + 3] += c23;
    o += ldc;
    c[o] += c30; c[o + 1] += c31; c[o + 2] += c32; c[o + 3] += c33;
    return;
  }
  const tile = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
  for (let r = 0; r < rows; r++) {
    for (let s = 0; s < cols; s++) c[cOffset + r * ldc + s] += tile[r * 4 + s]!;
  }
}

/** i-k-j loops with a float64 row accumulator: for slivers and tiny products, where packing does not pay. */
function smallGemm(m: number, k: number, n: number, a: MatrixView, b: MatrixView, c: MatrixView): void {
  if (scratchRow.length < n) scratchRow = new Float64Array(n);
  const row = scratchRow;
  const { data: ad, rowStride: ars, colStride: acs } = a;
  const { data: bd, rowStride: brs, colStride: bcs } = b;
  const cd = c.data;
  for (let i = 0; i < m; i++) {
    row.fill(0, 0, n);
    const aRow = a.offset + i * ars;
    for (let p = 0; p < k; p++) {
      const av = ad[aRow + p * acs]!;
      const bRow = b.offset + p * brs;
      if (bcs === 1) {
        for (let j = 0; j < n; j++) row[j] += av * bd[bRow + j]!;
      } else {
        for (let j = 0; j < n; j++) row[j] += av * bd[bRow + j * bcs]!;
      }
    }
    const cRow = c.offset + i * c.rowStride;
    for (let j = 0; j < n; j++) cd[cRow + j] += row[j]!;
  }
}

/** Integer matmul, row-major, wrapping as the dtype does (two's complement). */
function gemmInt32(
  m: number,
  k: number,
  n: number,
  a: Int32Array,
  aOff: number,
  b: Int32Array,
  bOff: number,
  c: Int32Array,
  cOff: number,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s = (s + Math.imul(a[aOff + i * k + p]!, b[bOff + p * n + j]!)) | 0;
      c[cOff + i * n + j] = s;
    }
  }
}

// Sums of products are exact in BigInt; the BigInt64Array store wraps modulo 2^64 as int64 does.
function gemmInt64(
  m: number,
  k: number,
  n: number,
  a: BigInt64Array,
  aOff: number,
  b: BigInt64Array,
  bOff: number,
  c: BigInt64Array,
  cOff: number,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0n;
      for (let p = 0; p < k; p++) s += a[aOff + i * k + p]! * b[bOff + p * n + j]!;
      c[cOff + i * n + j] = BigInt.asIntN(64, s);
    }
  }
}

function matmul(inputs: readonly TensorData[], out: TensorMeta): TensorData {
  const [a, b] = inputs as [TensorData, TensorData];
  const [m, k] = a.shape.slice(-2) as [number, number];
  const n = b.shape[b.shape.length - 1]!;
  const outBatch = out.shape.slice(0, -2);
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const batches = numel(outBatch);
  const result = allocate(out.dtype, numel(out.shape));

  if (out.dtype === "float32" || out.dtype === "float64") {
    const ad = a.data as FloatArray;
    const bd = b.data as FloatArray;
    const cd = result as FloatArray;
    // A shared right operand under an unbroadcast batch of A is one tall product ([B*m, k] @ [k, n]):
    // the common linear-layer case, and far better blocked than B small products.
    if (numel(bBatch) === 1 && numel(aBatch) === batches) {
      gemm(batches * m, k, n, rowMajor(ad, 0, k), rowMajor(bd, 0, n), rowMajor(cd, 0, n));
    } else {
      const [aOffsets, bOffsets] = batchOffsets(outBatch, aBatch, bBatch, m * k, k * n);
      for (let t = 0; t < batches; t++) {
        gemm(
          m,
          k,
          n,
          rowMajor(ad, aOffsets[t]!, k),
          rowMajor(bd, bOffsets[t]!, n),
          rowMajor(cd, t * m * n, n),
        );
      }
    }
  } else if (out.dtype === "int32" || out.dtype === "int64") {
    const [aOffsets, bOffsets] = batchOffsets(outBatch, aBatch, bBatch, m * k, k * n);
    for (let t = 0; t < batches; t++) {
      if (out.dtype === "int32") {
        gemmInt32(
          m,
          k,
          n,
          a.data as Int32Array,
          aOffsets[t]!,
          b.data as Int32Array,
          bOffsets[t]!,
          result as Int32Array,
          t * m * n,
        );
      } else {
        gemmInt64(
          m,
          k,
          n,
          a.data as BigInt64Array,
          aOffsets[t]!,
          b.data as BigInt64Array,
          bOffsets[t]!,
          result as BigInt64Array,
          t * m * n,
        );
      }
    }
  } else {
    throw new TensorError(`matmul: no kernel for ${formatMeta(a)} @ ${formatMeta(b)}`);
  }
  return new TensorData<DType>(out.dtype, out.shape, result);
}

/** Element offset of each output batch's A and B matrix, reading broadcast batch dims with stride 0. */
function batchOffsets(
  outBatch: readonly number[],
  aBatch: readonly number[],
  bBatch: readonly number[],
  aMatrix: number,
  bMatrix: number,
): Int32Array[] {
  const aStrides = broadcastStrides(aBatch, outBatch).map((s) => s * aMatrix);
  const bStrides = broadcastStrides(bBatch, outBatch).map((s) => s * bMatrix);
  return broadcastOffsets(outBatch, [aStrides, bStrides]);
}

export const matmulKernels: KernelsFor<MatmulOpName> = {
  matmul: (inputs, _attrs, out) => matmul(inputs, out),
};

import { TensorData } from "@aotjs/ir";
import { describe, expect, it } from "vitest";
import { runKernel } from "../src/kernels/run.js";
import { expectClose, numel, rng, uniformTensor } from "./support-kernels.js";

/**
 * Oracle: the textbook triple loop in float64, with numpy-style batch broadcasting written out
 * index by index (no strides shared with the kernel).
 */
function naiveMatmul(a: TensorData, b: TensorData): { shape: number[]; data: Float64Array } {
  const [m, k] = a.shape.slice(-2) as [number, number];
  const n = b.shape[b.shape.length - 1]!;
  const ab = a.shape.slice(0, -2);
  const bb = b.shape.slice(0, -2);
  const rank = Math.max(ab.length, bb.length);
  const pad = (s: readonly number[]) => [...new Array<number>(rank - s.length).fill(1), ...s];
  const [pa, pb] = [pad(ab), pad(bb)];
  const batch = pa.map((d, i) => (d === 1 ? pb[i]! : d));
  const out = new Float64Array(numel(batch) * m * n);
  const get = (t: TensorData, i: number) => Number(t.data[i]!);
  for (let t = 0; t < numel(batch); t++) {
    // Unravel t into a batch index, then ravel it into each operand, clamping broadcast dims to 0.
    let rest = t;
    let ia = 0;
    let ib = 0;
    for (let d = 0; d < rank; d++) {
      const inner = numel(batch.slice(d + 1));
      const idx = Math.floor(rest / inner);
      rest %= inner;
      ia = ia * pa[d]! + (pa[d] === 1 ? 0 : idx);
      ib = ib * pb[d]! + (pb[d] === 1 ? 0 : idx);
    }
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += get(a, ia * m * k + i * k + p) * get(b, ib * k * n + p * n + j);
        out[t * m * n + i * n + j] = s;
      }
    }
  }
  return { shape: [...batch, m, n], data: out };
}

const cases: [number[], number[]][] = [
  [
    [1, 1],
    [1, 1],
  ],
  [
    [7, 1],
    [1, 7],
  ],
  [
    [1, 33],
    [33, 1],
  ],
  [
    [33, 65],
    [65, 7],
  ],
  [
    [65, 33],
    [33, 129],
  ],
  [
    [129, 65],
    [65, 33],
  ],
  [
    [7, 257],
    [257, 65],
  ], // k crosses the 256-deep block
  [
    [129, 7],
    [7, 129],
  ], // m crosses the 64-row block
  [
    [5, 20],
    [20, 2100],
  ], // n crosses the 2048-column panel
  [
    [2, 1, 3, 4],
    [5, 4, 6],
  ], // the catalog's example: -> [2,5,3,6]
  [
    [3, 33, 65],
    [65, 7],
  ], // shared right operand: folded into one tall product
  [
    [2, 3, 17, 9],
    [9, 13],
  ],
  [
    [33, 65],
    [4, 65, 33],
  ], // broadcast left operand
  [
    [4, 1, 9, 65],
    [1, 3, 65, 33],
  ],
  [
    [2, 7, 5],
    [2, 5, 7],
  ],
];

describe("matmul kernel", () => {
  for (const dtype of ["float64", "float32"] as const) {
    it.each(cases)(`${dtype} %j @ %j matches the naive float64 triple loop`, (as, bs) => {
      const a = uniformTensor(dtype, as, numel(as) + 1);
      const b = uniformTensor(dtype, bs, numel(bs) + 2);
      const y = runKernel("matmul", [a, b]);
      const want = naiveMatmul(a, b);
      expect(y.dtype).toBe(dtype);
      expect(y.shape).toEqual(want.shape);
      expectClose(y.data as Float64Array, want.data, dtype === "float64" ? 1e-12 : 1e-5);
    });
  }

  it("gives [2,5,3,6] for [2,1,3,4] @ [5,4,6]", () => {
    const y = runKernel("matmul", [
      uniformTensor("float32", [2, 1, 3, 4], 1),
      uniformTensor("float32", [5, 4, 6], 2),
    ]);
    expect(y.shape).toEqual([2, 5, 3, 6]);
  });

  it("computes a small product exactly", () => {
    const a = new TensorData("float64", [2, 3], new Float64Array([1, 2, 3, 4, 5, 6]));
    const b = new TensorData("float64", [3, 2], new Float64Array([7, 8, 9, 10, 11, 12]));
    expect(Array.from(runKernel("matmul", [a, b]).data as Float64Array)).toEqual([58, 64, 139, 154]);
  });

  it("returns zeros for an empty inner dim and empty results for empty outer dims", () => {
    const z = runKernel("matmul", [TensorData.zeros("float32", [3, 0]), TensorData.zeros("float32", [0, 5])]);
    expect(z.shape).toEqual([3, 5]);
    expect(Array.from(z.data as Float32Array)).toEqual(new Array(15).fill(0));
    const e = runKernel("matmul", [TensorData.zeros("float64", [0, 4]), uniformTensor("float64", [4, 5], 3)]);
    expect(e.shape).toEqual([0, 5]);
  });

  it("propagates NaN and 0 * Infinity in both the small and the blocked path", () => {
    for (const size of [3, 40]) {
      const a = uniformTensor("float64", [size, size], 5);
      const b = uniformTensor("float64", [size, size], 6);
      (a.data as Float64Array)[0] = Number.NaN; // row 0 of the result
      (a.data as Float64Array)[size + 1] = 0; // a[1,1] = 0 ...
      (b.data as Float64Array)[size + 2] = Number.POSITIVE_INFINITY; // ... times b[1,2] = inf
      const y = runKernel("matmul", [a, b]).data as Float64Array;
      for (let j = 0; j < size; j++) expect(y[j]).toBeNaN();
      expect(y[size + 2]).toBeNaN();
    }
  });

  it("multiplies int32 with two's complement wrapping", () => {
    const a = new TensorData("int32", [2, 2], new Int32Array([1, 2, 3, 4]));
    const b = new TensorData("int32", [2, 2], new Int32Array([5, 6, 7, 8]));
    expect(Array.from(runKernel("matmul", [a, b]).data as Int32Array)).toEqual([19, 22, 43, 50]);
    const big = new TensorData("int32", [1, 2], new Int32Array([65536, 65536]));
    const col = new TensorData("int32", [2, 1], new Int32Array([32768, 32768]));
    // 2 * 2^31 wraps to 0 in int32.
    expect(Array.from(runKernel("matmul", [big, col]).data as Int32Array)).toEqual([0]);
  });

  it("multiplies int64 exactly beyond 2^53, batched and broadcast", () => {
    const a = new TensorData("int64", [2, 1, 2], new BigInt64Array([2n ** 40n, 3n, -(2n ** 41n), 1n]));
    const b = new TensorData("int64", [2, 1], new BigInt64Array([2n ** 20n + 1n, 5n]));
    const y = runKernel("matmul", [a, b]);
    expect(y.shape).toEqual([2, 1, 1]);
    expect(Array.from(y.data as BigInt64Array)).toEqual([
      2n ** 60n + 2n ** 40n + 15n,
      -(2n ** 61n) - 2n ** 41n + 5n,
    ]);
  });

  it("matches the naive loop for random int32 batches", () => {
    const next = rng(9);
    const rand = (shape: number[]) =>
      new TensorData(
        "int32",
        shape,
        Int32Array.from({ length: numel(shape) }, () => Math.floor(next() * 200) - 100),
      );
    const a = rand([3, 1, 5, 7]);
    const b = rand([4, 7, 6]);
    const want = naiveMatmul(a, b);
    expect(Array.from(runKernel("matmul", [a, b]).data as Int32Array)).toEqual(Array.from(want.data));
  });

  it("names the op and the shapes when inner dims differ", () => {
    expect(() =>
      runKernel("matmul", [TensorData.zeros("float32", [2, 3]), TensorData.zeros("float32", [4, 5])]),
    ).toThrow(/matmul.*f32\[2,3\].*f32\[4,5\]/);
  });
});

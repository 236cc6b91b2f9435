import { catalog, compositeOpNames, TensorData } from "@aotjs/ir";
import { describe, expect, test } from "vitest";
import { compositeKernels } from "../src/kernels/composite.js";
import { runKernel } from "../src/kernels/run.js";

const floats = (t: TensorData): number[] => Array.from(t.data as Float32Array | Float64Array);
const f64 = (shape: number[], values: number[]) =>
  new TensorData("float64", shape, Float64Array.from(values));
const f32 = (shape: number[], values: number[]) =>
  new TensorData("float32", shape, Float32Array.from(values));

/** Oracle: the textbook formulas, evaluated slice by slice in float64 without max subtraction. */
function naive(x: TensorData, dim: number, log: boolean): number[] {
  const size = x.shape[dim]!;
  const inner = x.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  const out = new Array<number>(x.size);
  for (let i = 0; i < x.size; i++) {
    const k = Math.floor(i / inner) % size;
    const base = i - k * inner;
    let sum = 0;
    for (let j = 0; j < size; j++) sum += Math.exp(Number(x.data[base + j * inner]));
    out[i] = log ? Number(x.data[i]) - Math.log(sum) : Math.exp(Number(x.data[i])) / sum;
  }
  return out;
}

describe("softmax and logSoftmax kernels", () => {
  const x = f64(
    [2, 3, 4],
    Array.from({ length: 24 }, (_, i) => Math.sin(i) * 3),
  );
  test.each([0, 1, 2])("match the textbook formulas along dim %i (float64)", (dim) => {
    for (const [op, log] of [
      ["softmax", false],
      ["logSoftmax", true],
    ] as const) {
      const got = floats(runKernel(op, [x], { dim }));
      naive(x, dim, log).forEach((v, i) => {
        expect(got[i]).toBeCloseTo(v, 12);
      });
    }
  });

  test("hand-computed: softmax([0, ln 3]) = [1/4, 3/4]; large logits do not overflow", () => {
    const quarter = floats(runKernel("softmax", [f64([2], [0, Math.log(3)])], { dim: 0 }));
    expect(quarter[0]).toBeCloseTo(0.25, 15);
    expect(quarter[1]).toBeCloseTo(0.75, 15);
    const big = runKernel("softmax", [f32([2], [1000, 1000])], { dim: 0 });
    expect(floats(big)).toEqual([0.5, 0.5]);
    const logBig = runKernel("logSoftmax", [f32([2], [1000, 0])], { dim: 0 });
    expect(floats(logBig)).toEqual([0, -1000]);
  });

  test("a NaN makes its whole slice NaN, as the decomposition would", () => {
    const out = runKernel("softmax", [f64([2, 2], [1, Number.NaN, 1, 2])], { dim: 1 });
    expect(Number.isNaN(out.data[0] as number) && Number.isNaN(out.data[1] as number)).toBe(true);
    expect(out.data[2]! as number).toBeCloseTo(1 / (1 + Math.E), 12);
  });

  test("every composite op in the catalog has a kernel", () => {
    expect(Object.keys(compositeKernels).sort()).toEqual([...compositeOpNames].sort());
    for (const op of compositeOpNames) expect(catalog[op].category).toBe("reduction");
  });
});

describe("layerNorm kernel", () => {
  // Oracle: the definition, per slice in float64: (x - mean) / sqrt(biased var + eps) * w + b.
  test.each([1, 2])("matches the definition over the last %i dims", (rank) => {
    const x = f64(
      [2, 3, 4],
      Array.from({ length: 24 }, (_, i) => Math.cos(i * 1.3) * 2),
    );
    const tail = x.shape.slice(3 - rank);
    const n = tail.reduce((a, c) => a * c, 1);
    const w = f64(
      tail,
      Array.from({ length: n }, (_, i) => 0.5 + i / n),
    );
    const b = f64(
      tail,
      Array.from({ length: n }, (_, i) => i / 7 - 0.3),
    );
    const got = floats(runKernel("layerNorm", [x, w, b], { normalizedRank: rank, eps: 1e-3 }));
    for (let s = 0; s < 24; s += n) {
      const slice = Array.from({ length: n }, (_, k) => x.data[s + k] as number);
      const mean = slice.reduce((a, c) => a + c, 0) / n;
      const variance = slice.reduce((a, c) => a + (c - mean) ** 2, 0) / n;
      slice.forEach((v, k) => {
        const want =
          ((v - mean) / Math.sqrt(variance + 1e-3)) * (w.data[k] as number) + (b.data[k] as number);
        expect(got[s + k]).toBeCloseTo(want, 12);
      });
    }
  });
});

describe("batchNorm kernel", () => {
  /** Oracle: the definition, channel by channel in float64, gathering the channel's values by index. */
  function definition(x: TensorData, w: number[], b: number[], eps: number): number[] {
    const [c, inner] = [x.shape[1]!, x.shape.slice(2).reduce((a, d) => a * d, 1)];
    const channelOf = (i: number) => Math.floor(i / inner) % c;
    const values = (ch: number) => floats(x).filter((_, i) => channelOf(i) === ch);
    const stats = Array.from({ length: c }, (_, ch) => {
      const v = values(ch);
      const mean = v.reduce((a, e) => a + e, 0) / v.length;
      return { mean, variance: v.reduce((a, e) => a + (e - mean) ** 2, 0) / v.length };
    });
    return floats(x).map((v, i) => {
      const { mean, variance } = stats[channelOf(i)]!;
      return ((v - mean) / Math.sqrt(variance + eps)) * w[channelOf(i)]! + b[channelOf(i)]!;
    });
  }

  test.each([[[4, 3]], [[2, 3, 5]], [[2, 3, 2, 4]]])(
    "matches the definition on %j (float64, biased variance)",
    (shape) => {
      const size = shape.reduce((a, d) => a * d, 1);
      const x = f64(
        shape,
        Array.from({ length: size }, (_, i) => Math.cos(i * 1.7) * 3 + i / size),
      );
      const [w, b] = [
        [0.5, -1.25, 2],
        [0.1, 0, -3],
      ];
      const got = floats(runKernel("batchNorm", [x, f64([3], w), f64([3], b)], { eps: 1e-3 }));
      definition(x, w, b, 1e-3).forEach((v, i) => {
        expect(got[i]).toBeCloseTo(v, 12);
      });
    },
  );

  // float32 input far from 0: a one-pass variance in float32 (E[x^2] - E[x]^2, whose ulp is 8 near
  // 1e8) would lose the spread of about 1; statistics accumulated in float64 keep it.
  test("float32 input offset by 1e4 normalizes to float32 precision", () => {
    const values = [10000.5, 10001.25, 9999.75, 10000, 10002, 9998.5];
    const x = f32([3, 2], values);
    const got = floats(runKernel("batchNorm", [x, f32([2], [1, 1]), f32([2], [0, 0])], { eps: 0 }));
    expect(got.length).toBe(6);
    definition(f64([3, 2], values), [1, 1], [0, 0], 0).forEach((v, i) => {
      expect(got[i]).toBeCloseTo(v, 6);
    });
  });
});

// The sum and mean lowerings on onnxruntime-node where ORT's own ReduceSum/ReduceMean go wrong:
// long float reductions (ORT accumulates in the input's precision, almost sequentially), integer
// sums (ORT goes through double and saturates) and the mean of nothing. Oracles: the reference
// interpreter (float sums compensated in float64), exact BigInt arithmetic wrapped to 64 bits as
// the reference and C do, and PyTorch's NaN for an empty mean.

import { freemem } from "node:os";
import { type DType, type Executable, GraphBuilder, meta, TensorData } from "@aotjs/ir";
import { interpret } from "@aotjs/tensor";
import { afterAll, describe, expect, test } from "vitest";
import { lowerGraph, onnxCompiler } from "../src/node.js";

const compile = onnxCompiler({ intraOpNumThreads: 2 });
const live: Executable[] = [];
afterAll(async () => {
  await Promise.all(live.map((e) => e.dispose?.()));
});

/** One reduction node over an input of `shape`, compiled for ORT; returns its run function. */
async function reduction(
  op: "sum" | "mean",
  shape: number[],
  dims: number[],
  keepdim = false,
  dtype: DType = "float32",
) {
  const b = new GraphBuilder(op);
  const x = b.input("x", meta(shape, dtype));
  b.output([b.op(op, [x], { dims, keepdim })]);
  const graph = b.build();
  const exe = (await compile(graph, graph.inputMetas)) as Executable;
  live.push(exe);
  return {
    graph,
    run: async (input: TensorData) => (await exe.run([input]))[0]!,
  };
}

const filled = (shape: number[], f: (i: number) => number, dtype: "float32" | "float64" = "float32") => {
  const n = shape.reduce((a, d) => a * d, 1);
  const data = dtype === "float32" ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = f(i);
  return new TensorData(dtype, shape, data);
};

/** A seeded uniform [0, 1) sequence (an LCG): reproducible without a tensor generator. */
const lcg = (seed: number) => () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 2 ** 32;
};

/** Largest |a - b| / |b| over the elements. */
function worstRel(a: TensorData, b: TensorData): number {
  expect(a.shape).toEqual(b.shape);
  let worst = 0;
  for (let i = 0; i < b.data.length; i++) {
    const x = Number(a.data[i]);
    const y = Number(b.data[i]);
    worst = Math.max(worst, x === y ? 0 : Math.abs(x - y) / Math.abs(y));
  }
  return worst;
}

describe("long float sums stay accurate (blocked partial sums)", () => {
  test("sum and mean of full([2^26], 0.1) are 0.1 * 2^26 and 0.1 to float32 rounding", async () => {
    // Oracle: exact arithmetic on the float32 value of 0.1 (ORT's own ReduceMean gave 0.10568).
    const n = 2 ** 26;
    const x = filled([n], () => 0.1);
    const tenth = Math.fround(0.1);
    const sum = await (await reduction("sum", [n], [0])).run(x);
    expect(Math.abs(Number(sum.data[0]) - tenth * n) / (tenth * n)).toBeLessThan(1e-6);
    const mean = await (await reduction("mean", [n], [0])).run(x);
    expect(Math.abs(Number(mean.data[0]) - tenth) / tenth).toBeLessThan(1e-6);
  });

  // 1 GiB of input: skipped where memory is short.
  test.skipIf(freemem() < 4 * 2 ** 30)(
    "sum of full([2^28], 2) is 2^29 exactly (ORT's float32 accumulators stalled at half)",
    async () => {
      // Oracle: exact arithmetic; every partial sum is a multiple of 2 below 2^53, so no rounding.
      const n = 2 ** 28;
      const x = new TensorData("float32", [n], new Float32Array(n).fill(2));
      const sum = await (await reduction("sum", [n], [0])).run(x);
      expect(Number(sum.data[0])).toBe(2 ** 29);
    },
  );

  test.each([
    ["a strided dim (dim 0 of [2^16, 64])", [2 ** 16, 64], [0], false],
    ["the last dim of [64, 2^16], keepdim", [64, 2 ** 16], [1], true],
    ["two dims of [2^10, 8, 2^10]", [2 ** 10, 8, 2 ** 10], [0, 2], false],
    ["every dim of [4, 3, 2^18]", [4, 3, 2 ** 18], [0, 1, 2], false],
    ["a prime length (1000003, no block divides it)", [1000003], [0], false],
    ["2 x a prime length (dim 1 of [3, 2 * 499979])", [3, 2 * 499979], [1], true],
  ] as const)("sum and mean over %s match the reference within 1e-6", async (_, shape, dims, keepdim) => {
    // Oracle: the reference interpreter, which sums with Neumaier compensation in float64.
    const next = lcg(7);
    const x = filled([...shape], () => next() + 0.25);
    for (const op of ["sum", "mean"] as const) {
      const { graph, run } = await reduction(op, [...shape], [...dims], keepdim);
      const got = await run(x);
      const [want] = interpret(graph, [x]);
      expect(worstRel(got, want!), `${op} over ${shape}`).toBeLessThan(1e-6);
    }
  });

  test("a float64 sum of 2^24 elements matches the reference within 1e-12", async () => {
    // Oracle: the reference interpreter (compensated float64 sum).
    const n = 2 ** 24;
    const x = filled([n], () => 0.1, "float64");
    const { graph, run } = await reduction("sum", [n], [0], false, "float64");
    expect(worstRel(await run(x), interpret(graph, [x])[0]!)).toBeLessThan(1e-12);
  });

  test("short reductions keep the single ReduceSum (no blocks below the threshold)", async () => {
    const models: Uint8Array[] = [];
    const b = new GraphBuilder("short");
    const x = b.input("x", meta([64, 1024]));
    b.output([b.op("sum", [x], { dims: [1], keepdim: false })]);
    const graph = b.build();
    const exe = (await onnxCompiler({ onModel: (m) => models.push(m) })(
      graph,
      graph.inputMetas,
    )) as Executable;
    live.push(exe);
    const text = new TextDecoder().decode(models[0]);
    expect(text).toContain("ReduceSum");
    expect(text).not.toContain("Reshape");
  });
});

describe("the mean of nothing", () => {
  test.each([
    [[0], [0], false],
    [[3, 0], [1], false],
    [[0, 4], [0], true],
    [[2, 0, 3], [0, 1], false],
    [[0, 4], [1], false],
    [[0, 0], [1], false],
  ] as const)(
    "mean of %j over dims %j is NaN where the reduced slice is empty; sum is 0",
    async (shape, dims, keepdim) => {
      // Oracle: the reference interpreter and PyTorch (torch.empty(3, 0).mean(1) is [nan, nan, nan]).
      const x = new TensorData("float32", [...shape], new Float32Array(0));
      for (const op of ["mean", "sum"] as const) {
        const { graph, run } = await reduction(op, [...shape], [...dims], keepdim);
        const got = await run(x);
        const [want] = interpret(graph, [x]);
        expect(got.shape, op).toEqual(want!.shape);
        expect(Array.from(got.data as Float32Array), op).toEqual(Array.from(want!.data as Float32Array));
        if (op === "mean" && want!.data.length) expect(Number.isNaN(Number(got.data[0]))).toBe(true);
      }
    },
  );
});

describe("integer sums are exact and wrap as two's complement", () => {
  // Oracle: exact BigInt sums wrapped to the dtype's width (BigInt.asIntN), which is what the
  // reference computes (and C's and PyTorch's integer sums).
  const intData = (dtype: "int32" | "int64", shape: number[], values: bigint[]) =>
    new TensorData(
      dtype,
      shape,
      dtype === "int64" ? BigInt64Array.from(values) : Int32Array.from(values.map(Number)),
    );
  const exactSum = (values: bigint[], bits: 32 | 64) =>
    BigInt.asIntN(
      bits,
      values.reduce((a, b) => a + b, 0n),
    );

  test.each([
    ["[2^53 + 1, 2] (ORT went through double: ...994)", [2n ** 53n + 1n, 2n]],
    ["[2^62, 2^62] (ORT saturated; the reference wraps to -2^63)", [2n ** 62n, 2n ** 62n]],
    ["[-2^63, -1] (wraps to 2^63 - 1)", [-(2n ** 63n), -1n]],
    ["[2^63 - 1, 1, 2^53 + 1]", [2n ** 63n - 1n, 1n, 2n ** 53n + 1n]],
  ] as const)("int64 sum of %s", async (_, values) => {
    const { run } = await reduction("sum", [values.length], [0], false, "int64");
    const got = await run(intData("int64", [values.length], [...values]));
    expect((got.data as BigInt64Array)[0]).toBe(exactSum([...values], 64));
  });

  test("int64 sums over each dim, both dims and keepdim of a [3, 4] tensor of large values", async () => {
    const values = Array.from({ length: 12 }, (_, i) => (2n ** 61n + BigInt(i) * 7919n) * (i % 2 ? -1n : 3n));
    const x = intData("int64", [3, 4], values);
    for (const [dims, keepdim] of [
      [[0], false],
      [[1], true],
      [[0, 1], false],
      [[0, 1], true],
    ] as const) {
      const { graph, run } = await reduction("sum", [3, 4], [...dims], keepdim, "int64");
      const got = await run(x);
      const [want] = interpret(graph, [x]);
      expect(got.shape).toEqual(want!.shape);
      expect(Array.from(got.data as BigInt64Array), `dims ${dims}`).toEqual(
        Array.from(want!.data as BigInt64Array),
      );
    }
    // Spot-check the reference against exact arithmetic: column 0 is values 0, 4, 8.
    const { run } = await reduction("sum", [3, 4], [0], false, "int64");
    expect((await run(x)).data[0]).toBe(exactSum([values[0]!, values[4]!, values[8]!], 64));
  });

  test("int32 sums wrap instead of saturating; empty int sums are 0", async () => {
    const values = [2n ** 30n, 2n ** 30n, 2n ** 30n];
    const { run } = await reduction("sum", [3], [0], false, "int32");
    expect((await run(intData("int32", [3], values))).data[0]).toBe(Number(exactSum(values, 32)));
    const empty = await reduction("sum", [2, 0], [1], false, "int64");
    expect(Array.from((await empty.run(intData("int64", [2, 0], []))).data as BigInt64Array)).toEqual([
      0n,
      0n,
    ]);
  });
});

describe("short sums over leading dims (bias gradients) are one MatMul with ones", () => {
  test.each([
    { shape: [128, 512], dims: [0], keepdim: true, reshapes: 0 },
    { shape: [128, 512], dims: [0], keepdim: false, reshapes: 0 },
    { shape: [16, 32, 64], dims: [1, 0], keepdim: false, reshapes: 1 },
    { shape: [16, 32, 64], dims: [0], keepdim: true, reshapes: 2 },
  ])(
    "sum of $shape over $dims matches the reference and lowers to MatMul",
    async ({ shape, dims, keepdim, reshapes }) => {
      // Oracle: the reference interpreter (sums compensated in float64).
      const { graph, run } = await reduction("sum", shape, dims, keepdim);
      const ops = lowerGraph(graph).model.graph!.node.map((n) => n.opType);
      expect(ops).toContain("MatMul");
      expect(ops).not.toContain("ReduceSum");
      // Reshapes only where the operands' shapes are not already what MatMul takes and gives.
      expect(ops.filter((o) => o === "Reshape")).toHaveLength(reshapes);
      const next = lcg(3);
      const x = filled(shape, () => next() * 2 - 1);
      const got = await run(x);
      const [want] = interpret(graph, [x]);
      expect(got.shape).toEqual(want!.shape);
      let worst = 0;
      got.data.forEach((v, i) => {
        worst = Math.max(worst, Math.abs(Number(v) - Number(want!.data[i])));
      });
      // float32 rounding of a sum of `count` terms of magnitude <= 1: well under 1e-6 per term.
      const count = dims.reduce((n, d) => n * shape[d]!, 1);
      expect(worst).toBeLessThan(1e-6 * count);
    },
  );

  test("NaN and infinities propagate as in the reference", async () => {
    const { graph, run } = await reduction("sum", [4, 3], [0]);
    // Column 0 holds a NaN, column 1 +inf and -inf (NaN), column 2 one +inf.
    const x = filled([4, 3], (i) => [Number.NaN, Infinity, 1, 1, Number.NEGATIVE_INFINITY, Infinity][i] ?? 1);
    const got = [...(await run(x)).data].map(Number);
    const want = [...interpret(graph, [x])[0]!.data].map(Number);
    expect(want).toEqual([Number.NaN, Number.NaN, Infinity]);
    expect(got).toEqual(want);
  });

  test("means, float64 sums and inner-dim sums keep ReduceMean/ReduceSum", async () => {
    const opsOf = async (op: "sum" | "mean", shape: number[], dims: number[], dtype: DType = "float32") =>
      lowerGraph((await reduction(op, shape, dims, false, dtype)).graph).model.graph!.node.map(
        (n) => n.opType,
      );
    expect(await opsOf("mean", [128, 512], [0])).toContain("ReduceMean");
    expect(await opsOf("sum", [128, 512], [0], "float64")).toContain("ReduceSum");
    expect(await opsOf("sum", [128, 512], [1])).toContain("ReduceSum");
  });
});

// The executable: no leaks over 1,000 calls, backend switching, what crosses the boundary, errors
// that name the node, fusion, and the random ops reproducing the reference generator bit for bit.
import { type Executable, type Graph, GraphBuilder, TensorData, type Value } from "@aotjs/ir";
import { interpret } from "@aotjs/tensor";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, test } from "vitest";
import { TfjsBackendError, tfjsCompiler } from "../src/index.js";
import { planGraph } from "../src/plan.js";

const BACKENDS = ["cpu", "wasm"] as const;
const f32 = (shape: number[], f: (i: number) => number) =>
  new TensorData(
    "float32",
    shape,
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => f(i)),
  );
const i64 = (shape: number[], values: number[]) =>
  new TensorData("int64", shape, BigInt64Array.from(values, BigInt));
/** A compiled executable; runs are synchronous once the backend is initialized. */
type SyncExecutable = { run(i: readonly TensorData[]): TensorData[]; dispose(): void };
const compile = async (graph: Graph, backend: string) =>
  (await tfjsCompiler({ backend })(graph, graph.inputMetas)) as Executable as SyncExecutable;

/** linear + relu, dropout from an int64 seed, a gather, a sum; returns an input and a host value too. */
function mixedGraph(): { graph: Graph; inputs: TensorData[] } {
  const b = new GraphBuilder("mixed");
  const x = b.input("x", { shape: [4, 8], dtype: "float32" });
  const w = b.input("w", { shape: [8, 8], dtype: "float32" });
  const bias = b.input("bias", { shape: [8], dtype: "float32" });
  const idx = b.input("idx", { shape: [4, 1], dtype: "int64" });
  const seed = b.input("rng_seed", { shape: [], dtype: "int64" });
  const offset = b.input("rng_offset", { shape: [], dtype: "int64" });
  const r = b.op("relu", [b.op("add", [b.op("matmul", [x, b.op("permute", [w], { dims: [1, 0] })]), bias])]);
  const at = b.op("add", [offset, b.op("full", [], { shape: [], value: 8, dtype: "int64" })]);
  const mask = b.op("bernoulli", [seed, at], { shape: [4, 8], p: 0.5 });
  const dropped = b.op("where", [mask, r, b.op("full", [], { shape: [], value: 0 })]);
  const picked = b.op("gather", [dropped, idx], { dim: 1 });
  b.output([b.op("sum", [picked], { dims: [0, 1] }), dropped, x, at]);
  const inputs = [
    f32([4, 8], (i) => Math.sin(i)),
    f32([8, 8], (i) => Math.cos(i) / 4),
    f32([8], (i) => i / 10 - 0.3),
    i64([4, 1], [0, 7, 3, 5]),
    i64([], [67280421310721]),
    i64([], [2 ** 40]),
  ];
  return { graph: b.build(), inputs };
}

beforeAll(async () => {
  // tf.memory() before any backend is set would start initializing one; start from a known state.
  await tf.setBackend("cpu");
});

describe.each(BACKENDS)("on %s", (backend) => {
  test("tf.memory().numTensors stays flat over 1,000 calls, and dispose frees the constants", async () => {
    const { graph, inputs } = mixedGraph();
    const before = tf.memory().numTensors;
    const exe = await compile(graph, backend);
    exe.run(inputs);
    const baseline = tf.memory().numTensors;
    for (let i = 0; i < 1000; i++) exe.run(inputs);
    expect(tf.memory().numTensors).toBe(baseline);
    exe.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => exe.run(inputs)).toThrow(/run after dispose/);
  });

  test("matches the reference, with the fused matmul, host RNG and int64 values", async () => {
    const { graph, inputs } = mixedGraph();
    const exe = await compile(graph, backend);
    const actual = exe.run(inputs);
    const expected = interpret(graph, inputs);
    expect(Array.from(actual[1]!.data as Float32Array)).toEqual(
      Array.from(expected[1]!.data as Float32Array, (v) => expect.closeTo(v, 5)),
    );
    expect(actual[0]!.data[0]).toBeCloseTo(expected[0]!.data[0] as number, 5);
    // The dropout mask is the reference's exactly: zeros in the same places.
    const zeros = (t: TensorData) => Array.from(t.data as Float32Array, (v) => v === 0);
    expect(zeros(actual[1]!)).toEqual(zeros(expected[1]!));
    // An input returned as an output comes back as the caller's own TensorData; the int64 host
    // value keeps all 64 bits (2^40 + 8 never fits int32).
    expect(actual[2]).toBe(inputs[0]);
    expect(actual[3]!.data).toEqual(BigInt64Array.of(2n ** 40n + 8n));
    exe.dispose();
  });

  test("uniform and bernoulli reproduce the reference generator bit for bit", async () => {
    const b = new GraphBuilder("random");
    const seed = b.input("seed", { shape: [], dtype: "int64" });
    const offset = b.input("offset", { shape: [], dtype: "int64" });
    const shifted = b.op("add", [offset, b.op("full", [], { shape: [], value: 1000, dtype: "int64" })]);
    b.output([
      b.op("uniform", [seed, offset], { shape: [16, 16], low: -2, high: 3 }),
      b.op("bernoulli", [seed, shifted], { shape: [16, 16], p: 0.3 }),
    ]);
    const graph = b.build();
    const exe = await compile(graph, backend);
    for (const [s, o] of [
      [0, 0],
      [67280421310721, 4096],
      [2 ** 52 + 1, 2 ** 45],
    ] as const) {
      const inputs = [i64([], [s]), i64([], [o])];
      const actual = exe.run(inputs);
      const expected = interpret(graph, inputs);
      expect(actual[0]!.data).toEqual(expected[0]!.data);
      expect(actual[1]!.data).toEqual(expected[1]!.data);
    }
    exe.dispose();
  });

  test("erf is within 1e-6 relative of the reference over [-6, 6], tiny values included", async () => {
    const xs = [...Array.from({ length: 24001 }, (_, i) => -6 + i * 5e-4), 1e-30, -1e-20, 1e-8, 3e-5];
    const b = new GraphBuilder("erf");
    const x = b.input("x", { shape: [xs.length], dtype: "float32" });
    b.output([b.op("erf", [x])]);
    const graph = b.build();
    const inputs = [new TensorData("float32", [xs.length], Float32Array.from(xs))];
    const [actual] = (await compile(graph, backend)).run(inputs);
    const [expected] = interpret(graph, inputs);
    let worst = 0;
    (expected!.data as Float32Array).forEach((e, i) => {
      const a = (actual!.data as Float32Array)[i]!;
      if (e !== 0) worst = Math.max(worst, Math.abs(a - e) / Math.abs(e));
      else expect(a).toBe(0);
    });
    expect(worst).toBeLessThan(1e-6);
  });

  test.each([
    ["__proto__", "y"],
    ["x", "__proto__"],
    ["constructor", "toString"],
  ])("input '%s' and node '%s' (Object.prototype keys) run as the reference", async (inputName, nodeName) => {
    // Oracle: the reference interpreter.
    const b = new GraphBuilder("keys");
    const x = b.input(inputName, { shape: [3], dtype: "float32" });
    const y = b.op("sin", [x], undefined, nodeName);
    b.output([b.op("mul", [y, x]), y, x]);
    const graph = b.build();
    const inputs = [f32([3], (i) => i + 1)];
    const exe = await compile(graph, backend);
    expect(exe.run(inputs).map((t) => Array.from(t.data as Float32Array))).toEqual(
      interpret(graph, inputs).map((t) => Array.from(t.data as Float32Array)),
    );
    exe.dispose();
  });

  test("an output never shares storage with an input (the cpu backend shares on reshape)", async () => {
    const b = new GraphBuilder("alias");
    const x = b.input("x", { shape: [2, 3], dtype: "float32" });
    b.output([b.op("reshape", [x], { shape: [3, 2] })]);
    const inputs = [f32([2, 3], (i) => i)];
    const [out] = (await compile(b.build(), backend)).run(inputs);
    expect(out!.data).not.toBe(inputs[0]!.data);
    (out!.data as Float32Array)[0] = 42;
    expect(inputs[0]!.data[0]).toBe(0);
  });
});

describe("errors name the graph, the node or input, and the shapes", () => {
  test("float64 is refused at compile time", async () => {
    const b = new GraphBuilder("g");
    const x = b.input("x", { shape: [2], dtype: "float32" });
    b.output([b.op("cast", [x], { dtype: "float64" }, "widen")]);
    await expect(tfjsCompiler({ backend: "cpu" })(b.build(), [])).rejects.toThrow(
      /graph 'g': cast \(node 'widen'\) of \(x=x: f32\[2\]\) -> f64\[2\] produces float64/,
    );
  });

  test("an int64 constant that does not fit int32 is refused at compile time", async () => {
    const b = new GraphBuilder("g");
    b.output([b.op("full", [], { shape: [2], value: 2 ** 40, dtype: "int64" }, "big")]);
    await expect(tfjsCompiler({ backend: "cpu" })(b.build(), [])).rejects.toThrow(
      /full \(node 'big'\) of \(no inputs\) -> i64\[2\]: value 1099511627776 does not fit int64 as TensorFlow.js runs it \(int32\)/,
    );
  });

  test.each(BACKENDS)("run-time errors on %s", async (backend) => {
    const b = new GraphBuilder("g");
    const x = b.input("x", { shape: [2, 3], dtype: "float32" });
    const index = b.input("index", { shape: [2, 1], dtype: "int64" });
    const n = b.input("n", { shape: [2], dtype: "int32" });
    const d = b.input("d", { shape: [2], dtype: "int32" });
    b.output([
      b.op("gather", [x, index], { dim: 1 }, "pick"),
      b.op("div", [n, d], undefined, "ratio"),
      b.op("cast", [x], { dtype: "int32" }, "toInt"),
    ]);
    const exe = await compile(b.build(), backend);
    const ok = [f32([2, 3], (i) => i - 2.5), i64([2, 1], [2, 0]), i32([7, -7]), i32([2, 2])];
    const [, ratio, toInt] = exe.run(ok);
    expect(Array.from(ratio!.data as Int32Array)).toEqual([3, -3]);
    expect(Array.from(toInt!.data as Int32Array)).toEqual([-2, -1, 0, 0, 1, 2]);
    const run = (i: number, t: TensorData) => () => exe.run(ok.map((o, k) => (k === i ? t : o)));
    expect(run(1, i64([2, 1], [2, 5]))).toThrow(
      /gather \(node 'pick'\) of \(x=x: f32\[2,3\], index=index: i64\[2,1\]\) -> f32\[2,1\] failed on the TF.js '\w+' backend: gather: index 5 at position \[1,0\] is out of range for dim 1/,
    );
    // The lowering's own error stays as the cause of the one that names the node.
    let caught: Error | undefined;
    try {
      run(1, i64([2, 1], [2, 5]))();
    } catch (e) {
      caught = e as Error;
    }
    expect(caught).toBeInstanceOf(TfjsBackendError);
    expect(caught!.cause).toBeInstanceOf(TfjsBackendError);
    expect((caught!.cause as Error).message).toMatch(/^gather: index 5 at position \[1,0\]/);
    expect(run(1, i64([2, 1], [2, 2 ** 33]))).toThrow(
      /input 1 'index' \(i64\[2,1\]\) holds 8589934592 at element 1, which does not fit int32/,
    );
    expect(run(3, i32([2, 0]))).toThrow(
      /div \(node 'ratio'\) of \(a=n: i32\[2\], b=d: i32\[2\]\) -> i32\[2\] failed .*integer division by zero \(-7 \/ 0\)/,
    );
    expect(
      run(
        0,
        f32([2, 3], (i) => (i === 4 ? Number.NaN : i)),
      ),
    ).toThrow(/cast \(node 'toInt'\) .*cannot convert NaN \(element 4 of f32\[2,3\]\) to int32/);
    expect(() => exe.run(ok.slice(1))).toThrow(/graph 'g' takes 4 inputs \(x, index, n, d\), got 3/);
    expect(
      run(
        0,
        f32([3, 2], () => 0),
      ),
    ).toThrow(/input 0 'x' expects f32\[2,3\], got f32\[3,2\]/);
    expect(
      run(
        0,
        f32([3, 2], () => 0),
      ),
    ).toThrow(TfjsBackendError);
  });
});

const i32 = (values: number[]) => new TensorData("int32", [values.length], Int32Array.from(values));

describe("backend switching", () => {
  test("executables for cpu and wasm interleave, and the user's backend is restored", async () => {
    const { graph, inputs } = mixedGraph();
    const [onCpu, onWasm] = [await compile(graph, "cpu"), await compile(graph, "wasm")];
    await tf.setBackend("cpu");
    const a = onWasm.run(inputs);
    expect(tf.getBackend()).toBe("cpu");
    await tf.setBackend("wasm");
    const c = onCpu.run(inputs);
    expect(tf.getBackend()).toBe("wasm");
    expect(a[0]!.data[0]).toBeCloseTo(c[0]!.data[0] as number, 5);
    onCpu.dispose();
    onWasm.dispose();
  });
});

describe("the plan", () => {
  const linear = () => {
    const b = new GraphBuilder("linear");
    const x = b.input("x", { shape: [2, 4, 3], dtype: "float32" });
    const w = b.input("w", { shape: [5, 3], dtype: "float32" });
    const bias = b.input("bias", { shape: [5], dtype: "float32" });
    const t = b.op("permute", [w], { dims: [1, 0] });
    const y = b.op("relu", [b.op("add", [bias, b.op("matmul", [x, t])])]);
    b.output([y]);
    return b.build();
  };
  const kinds = (graph: Graph, fastTransposedMatMul: boolean) =>
    planGraph(graph, { name: "test", fastTransposedMatMul }).steps.map((s) =>
      s.kind.kind === "matmul"
        ? `matmul${s.kind.transposeB ? "^T" : ""}+bias${s.kind.relu ? "+relu" : ""}`
        : s.node.op,
    );

  test("matmul, bias and relu fuse; the permute folds into the flag where transposes are free", () => {
    expect(kinds(linear(), true)).toEqual(["matmul^T+bias+relu"]);
    // On wasm a transposed matmul leaves XNNPACK's fast path: the transpose stays explicit.
    expect(kinds(linear(), false)).toEqual(["permute", "matmul+bias+relu"]);
  });

  test("values the graph returns are never fused away", () => {
    const g = linear();
    const add = g.nodes.find((n) => n.op === "add")!;
    const withAdd = new (g.constructor as typeof Graph)(g.name, g.inputs, g.nodes, [
      ...g.outputs,
      add.output as Value,
    ]);
    expect(kinds(withAdd, true)).toEqual(["matmul^T+bias", "relu"]);
  });

  test.each(BACKENDS)("the fused linear layer matches the reference on %s", async (backend) => {
    const g = linear();
    const inputs = [
      f32([2, 4, 3], (i) => Math.sin(i)),
      f32([5, 3], (i) => Math.cos(i)),
      f32([5], (i) => i / 5 - 0.4),
    ];
    const [actual] = (await compile(g, backend)).run(inputs);
    const [expected] = interpret(g, inputs);
    expect(Array.from(actual!.data as Float32Array)).toEqual(
      Array.from(expected!.data as Float32Array, (e) => expect.closeTo(e, 5)),
    );
  });
});

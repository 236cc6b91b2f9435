// Symbolic graphs on TF.js: one executable serves every size. An MLP trained through aotModule at
// batch sizes 8, 5, 3, 8, 7 compiles once with `dynamic: true` (at most twice in "auto" mode), and
// on every call the output, the loss and every parameter's gradient equal eager's (oracle: an
// eager twin of the model with equal state, run on the reference kernels). A hand-built symbolic
// graph run directly matches the reference interpreter's run of the same symbolic graph at each
// size; inconsistent sizes fail naming the graph, the inputs and their shapes; the per-size plans
// stay within SPECIALIZATION_LIMIT (oracle: tf.memory().numTensors, which counts their constants).
import { aotModule, type DynamicMode } from "@aotjs/aot";
import { maxScaledDiff } from "@aotjs/conformance";
import {
  type Graph,
  GraphBuilder,
  parseDim,
  sym,
  TensorData,
  type TensorMeta,
  withSymbolic,
} from "@aotjs/ir";
import { F, mlp } from "@aotjs/nn";
import { interpret, manualSeed, randint, randn, type Tensor } from "@aotjs/tensor";
import * as tf from "@tensorflow/tfjs-core";
import { afterEach, beforeAll, describe, expect, test } from "vitest";
import {
  SPECIALIZATION_LIMIT,
  TfjsBackendError,
  TfjsSymbolicExecutable,
  tfjsCompiler,
} from "../src/index.js";

beforeAll(async () => {
  // tf.memory() before any backend is set would start initializing one; start from a known state.
  await tf.setBackend("cpu");
});

const maxRel = (a: Tensor, b: Tensor) => maxScaledDiff(a.toData(), b.toData());

describe("an MLP through aotModule at batch sizes 8, 5, 3, 8, 7 (cpu)", () => {
  const tfjs = tfjsCompiler({ backend: "cpu" });
  const executables: { symbolic?: boolean }[] = [];
  const compiler = async (graph: Graph, metas: readonly TensorMeta[]) => {
    const exe = (await tfjs(graph, metas)) as { symbolic?: boolean };
    executables.push(exe);
    return exe as never;
  };
  afterEach(() => {
    executables.length = 0;
  });

  async function trainBoth(dynamic: DynamicMode) {
    manualSeed(4);
    const eager = mlp([784, 64, 10]);
    const compiledModel = mlp([784, 64, 10]);
    compiledModel.loadStateDict(eager.stateDict());
    const am = aotModule(compiledModel, { fwCompiler: compiler, dynamic });
    // float32 on both sides, summed in different orders over 784 and 64 terms.
    const tol = 1e-5;
    try {
      for (const b of [8, 5, 3, 8, 7]) {
        const x = randn([b, 784]);
        const labels = randint(0, 10, [b]);
        eager.zeroGrad();
        compiledModel.zeroGrad();
        const ref = eager.forward(x) as Tensor;
        const refLoss = F.crossEntropy(ref, labels);
        await refLoss.backward();
        const out = await am.forward(x);
        const loss = F.crossEntropy(out, labels);
        await loss.backward();
        expect(out.shape, `batch ${b}`).toEqual([b, 10]);
        expect(maxRel(out, ref), `batch ${b}: output`).toBeLessThanOrEqual(tol);
        expect(maxRel(loss, refLoss), `batch ${b}: loss`).toBeLessThanOrEqual(tol);
        const want = new Map(eager.namedParameters());
        for (const [name, p] of compiledModel.namedParameters())
          expect(maxRel(p.grad!, want.get(name)!.grad!), `batch ${b}: ${name}.grad`).toBeLessThanOrEqual(tol);
      }
      return am.stats();
    } finally {
      await am.dispose();
    }
  }

  test("dynamic: true: one compile, a symbolic forward and backward executable", async () => {
    const stats = await trainBoth(true);
    expect(stats).toMatchObject({ compiles: 1, cacheHits: 4 });
    expect(executables.map((e) => e.symbolic)).toEqual([true, true]);
  });

  test("auto: the second size compiles one symbolic graph that serves every later size", async () => {
    const stats = await trainBoth("auto");
    expect(stats).toMatchObject({ compiles: 2, cacheHits: 3 });
    // A static forward and backward at batch 8, then one symbolic pair for every later size.
    expect(executables.map((e) => e.symbolic ?? false)).toEqual([false, false, true, true]);
  });
});

const B = sym("B");
const HINT = 4;

/**
 * x, y: f32[B,3] -> (x + 2 * y) reshaped to [3*B], and its mean over B. The `full` and the reshape
 * carry B in their attributes, so every size needs its own lowering and the full is one constant.
 */
function pairGraph(dtype: "float32" | "float64" = "float32"): Graph {
  const b = new GraphBuilder("pair");
  const x = b.input("x", { shape: [HINT, 3], dtype });
  const y = b.input("y", { shape: [HINT, 3], dtype });
  const two = b.op("full", [], { shape: [HINT, 3], value: 2, dtype }, "two");
  const z = b.op("add", [x, b.op("mul", [y, two], {}, "scaled")], {}, "z");
  b.output([b.op("reshape", [z], { shape: [3 * HINT] }, "flat"), b.op("mean", [z], { dims: [0] }, "avg")]);
  return withSymbolic(b.build(), {
    symbols: [{ name: "B", hint: HINT, min: 1 }],
    shapes: { x: [B, 3], y: [B, 3], two: [B, 3], scaled: [B, 3], z: [B, 3], flat: [parseDim("3*B")] },
    attrs: { two: { shape: [B, 3] }, flat: { shape: [parseDim("3*B")] } },
  });
}

const f32 = (shape: number[], f: (i: number) => number) =>
  new TensorData(
    "float32",
    shape,
    Float32Array.from({ length: shape.reduce((a, c) => a * c, 1) }, (_, i) => f(i)),
  );
const pairInputs = (n: number) => [f32([n, 3], (i) => Math.sin(i)), f32([n, 3], (i) => Math.cos(i) / 3)];

describe.each(["cpu", "wasm"] as const)("a symbolic graph run directly on %s", (backend) => {
  const compile = async (graph: Graph) =>
    (await tfjsCompiler({ backend })(graph, graph.inputMetas)) as TfjsSymbolicExecutable;

  test("runs every size, each equal to the reference interpreter's run of the symbolic graph", async () => {
    const graph = pairGraph();
    const exe = await compile(graph);
    expect(exe).toBeInstanceOf(TfjsSymbolicExecutable);
    expect(exe.symbolic).toBe(true);
    for (const n of [4, 1, 7, 4]) {
      const inputs = pairInputs(n);
      const actual = (await exe.run(inputs)).map((t) => [t.shape, Array.from(t.data as Float32Array)]);
      const expected = interpret(graph, inputs).map((t) => [
        t.shape,
        Array.from(t.data as Float32Array, (v) => expect.closeTo(v, 6)),
      ]);
      expect(actual, `B = ${n}`).toEqual(expected);
    }
    exe.dispose();
  });

  test("inputs that disagree on B, or break a guard, fail naming the graph, the inputs and their shapes", async () => {
    const exe = await compile(pairGraph());
    const run = (inputs: TensorData[]) => () => exe.run(inputs);
    expect(run([pairInputs(5)[0]!, pairInputs(6)[1]!])).toThrow(TfjsBackendError);
    expect(run([pairInputs(5)[0]!, pairInputs(6)[1]!])).toThrow(
      "graph 'pair': guard B == B failed: input 1 'y' dim 0 is 6 but input 0 'x' dim 0 is 5 (the graph takes x: f32[B,3], y: f32[B,3]; got f32[5,3], f32[6,3])",
    );
    expect(run(pairInputs(0))).toThrow("graph 'pair': guard B >= 1 failed: B = 0 (from input 1 'y' dim 0)");
    expect(run([f32([5, 2], () => 0), pairInputs(5)[1]!])).toThrow(
      "graph 'pair': input 0 'x' dim 1 is 2, the graph was compiled for 3 there",
    );
    expect(run([pairInputs(5)[0]!])).toThrow("graph 'pair' takes 2 inputs (x, y), got 1");
    const ints = new TensorData("int32", [5, 3], new Int32Array(15));
    expect(run([pairInputs(5)[0]!, ints])).toThrow(
      "graph 'pair': input 1 'y' expects f32[5,3], got i32[5,3]",
    );
    exe.dispose();
  });

  test(`keeps the ${SPECIALIZATION_LIMIT} most recently used sizes; dispose frees them all`, async () => {
    const before = tf.memory().numTensors;
    const exe = await compile(pairGraph());
    expect(exe.specializations).toBe(1);
    // Each size's plan holds one constant (the full); runs leave nothing behind.
    const perPlan = tf.memory().numTensors - before;
    expect(perPlan).toBe(1);
    for (let n = 1; n <= SPECIALIZATION_LIMIT; n++) await exe.run(pairInputs(n));
    expect(exe.specializations).toBe(SPECIALIZATION_LIMIT);
    const full = tf.memory().numTensors;
    expect(full).toBe(before + SPECIALIZATION_LIMIT * perPlan);
    for (let n = SPECIALIZATION_LIMIT + 1; n <= 3 * SPECIALIZATION_LIMIT; n++) await exe.run(pairInputs(n));
    expect(exe.specializations).toBe(SPECIALIZATION_LIMIT);
    expect(tf.memory().numTensors).toBe(full);
    // An evicted size lowers again and still matches the reference.
    const inputs = pairInputs(HINT);
    expect(Array.from((await exe.run(inputs))[1]!.data as Float32Array)).toEqual(
      Array.from(interpret(pairGraph(), inputs)[1]!.data as Float32Array, (v) => expect.closeTo(v, 6)),
    );
    expect(tf.memory().numTensors).toBe(full);
    exe.dispose();
    expect(exe.specializations).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => exe.run(pairInputs(HINT))).toThrow("graph 'pair': run after dispose");
  });

  test("what cannot compile at any size fails at compile time", async () => {
    await expect(compile(pairGraph("float64"))).rejects.toThrow(
      /graph 'pair': input 0 'x' is f64\[4,3\]: TensorFlow.js has no float64/,
    );
  });
});

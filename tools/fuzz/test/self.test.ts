// The fuzzer's own parts: the tolerance rule, the generator's rules, and that a deliberately broken
// compiler is caught, kept out of the known-defect allow-list, and shrunk to a small program.
import type { Compiler, Graph, TensorData as TD } from "@aotjs/ir";
import { TensorData } from "@aotjs/ir";
import { interpret } from "@aotjs/tensor";
import { describe, expect, test } from "vitest";
import {
  checkProgram,
  defaultCompilers,
  type Failure,
  formatProgram,
  generateProgram,
  inferMetas,
  judge,
  type KnownDefect,
  knownDefectOf,
  type Program,
  shrinkProgram,
} from "../src/index.js";
import { makeRecheck } from "../src/session.js";

const f32 = (v: number[], shape = [v.length]) => new TensorData("float32", shape, Float32Array.from(v));
const f64 = (v: number[], shape = [v.length]) => new TensorData("float64", shape, Float64Array.from(v));

describe("judge (the tolerance rule)", () => {
  // Oracle: the rule as stated in src/compare.ts, worked by hand.
  test("a float32 error within 10x eager's own error plus 1e-5 of the scale passes, beyond it fails", () => {
    const ref = f64([1, 2, 4]);
    const base = f32([1, 2, 4 + 1e-6]);
    expect(judge(f32([1, 2, 4 + 1e-5]), ref, base, "float32")).toBeUndefined(); // 1e-5 <= 1e-5 + 4e-5
    expect(judge(f32([1, 2, 4.001]), ref, base, "float32")).toMatch(/element 2/);
  });
  test("a float64 mode must be 2^-29 times as close: float32 precision in a float64 run fails", () => {
    const ref = f64([1, 2, 3]);
    const base = f32([1, 2 + 2e-7, 3]);
    expect(judge(f64([1, 2, 3 + 1e-13]), ref, base, "float64")).toBeUndefined();
    expect(judge(f64([1, 2 + 1e-7, 3]), ref, base, "float64")).toMatch(/error 1\.00e-7/);
  });
  test("where the reference cancels to exactly 0, a few ulps of the program's magnitude M pass", () => {
    // v / v's gradient t/w - t*w/w^2: 0 in both eager runs, ~1e-16 in a backend ordering it differently.
    expect(judge(f64([1.5e-16]), f64([0]), f32([0]), "float64", 10)).toBeUndefined();
    expect(judge(f64([1e-12]), f64([0]), f32([0]), "float64", 10)).toMatch(/allowed/);
    expect(judge(f32([1e-3]), f64([0]), f32([0]), "float32", 10)).toMatch(/allowed/);
  });
  test("NaN must meet NaN, integers must be exact, a missing gradient counts as zeros", () => {
    expect(judge(f32([Number.NaN]), f64([Number.NaN]), null, "float32")).toBeUndefined();
    expect(judge(f32([0]), f64([Number.NaN]), null, "float32")).toMatch(/expected NaN/);
    const ints = (v: number[]) => new TensorData("int64", [v.length], BigInt64Array.from(v.map(BigInt)));
    expect(judge(ints([1, 2]), ints([1, 3]), null, "float32")).toMatch(/exact/);
    expect(judge(null, f64([0, 0]), null, "float32")).toBeUndefined();
    expect(judge(null, f64([0, 1]), f32([0, 1]), "float32")).toMatch(/no gradient/);
    expect(judge(f32([1, 2]), f64([1, 2, 3]), null, "float32")).toMatch(/shape/);
  });
});

describe("the generator", () => {
  // Oracle: the generator's own shape rules (inferMetas) and JSON equality.
  test("a seed always gives the same program, every program obeys the shape rules, and ops vary", () => {
    expect(JSON.stringify(generateProgram(7))).toBe(JSON.stringify(generateProgram(7)));
    const ops = new Set<string>();
    for (let seed = 0; seed < 200; seed++) {
      const p = generateProgram(seed);
      expect(Array.isArray(inferMetas(p)), `seed ${seed}\n${formatProgram(p)}`).toBe(true);
      for (const n of p.nodes) ops.add(n.op);
    }
    for (const op of [
      "matmul",
      "softmax",
      "where",
      "concat",
      "pad",
      "dropout",
      "clone_add_",
      "mutate_add_",
      "amax",
    ])
      expect(ops).toContain(op);
  });
});

/** x0 requires grad; output 0 is sum(sin(x0) * x0) and output 1 is sin(x0). */
const smallProgram: Program = {
  seed: 5,
  backendPartition: "default",
  nodes: [
    {
      op: "input",
      args: [],
      attrs: {},
      input: { shape: [3], dtype: "float", requiresGrad: true, init: { kind: "normal", seed: 1 } },
    },
    {
      op: "input",
      args: [],
      attrs: {},
      input: { shape: [2, 3], dtype: "float", requiresGrad: true, init: { kind: "normal", seed: 2 } },
    },
    { op: "sin", args: [0], attrs: {} },
    { op: "mul", args: [2, 1], attrs: {} },
    { op: "exp", args: [3], attrs: {} },
    { op: "sum", args: [4], attrs: { dim: 1, keepdim: false } },
    { op: "tanh", args: [5], attrs: {} },
  ],
  outputs: [6, 2],
};

/** The interpreter, except that `forward` graphs' first output is scaled by 1.001: a wrong kernel. */
const skewedForward: Compiler = (graph: Graph) => ({
  run(inputs: TD[]) {
    const outs = interpret(graph, inputs);
    if (graph.name !== "forward") return outs;
    const first = outs[0]!;
    return [
      new TensorData(
        first.dtype,
        first.shape,
        (first.data as Float32Array).map((v) => v * 1.001),
      ),
      ...outs.slice(1),
    ];
  },
});

/** The interpreter, except that backward graphs return zeros: lost gradients for every program. */
const zeroBackward: Compiler = (graph: Graph) => ({
  run(inputs: TD[]) {
    const outs = interpret(graph, inputs);
    return graph.name === "backward" ? outs.map((o) => TensorData.zeros(o.dtype, o.shape)) : outs;
  },
});

describe("a broken compiler is caught", () => {
  const real = defaultCompilers();

  test("a forward off by 1e-3 is a mismatch in that mode only, and shrinks to at most one op", async () => {
    // Oracle: eager float64 (the reference kernels in double) through checkProgram.
    const compilers = { ...real, nop: skewedForward };
    const options = { modes: ["aot-default", "aot-mincut"] as const, compilers };
    const report = await checkProgram(smallProgram, options);
    expect(report.failures.map((f) => `${f.mode} ${f.where}`)).toEqual([
      "aot-default output 0",
      "aot-mincut output 0",
    ]);
    const shrunk = await shrinkProgram(smallProgram, async (q) =>
      (await checkProgram(q, { modes: ["aot-default"], compilers })).failures.some(
        (f) => f.where === "output 0",
      ),
    );
    expect(shrunk.program.nodes.filter((n) => n.op !== "input").length).toBeLessThanOrEqual(1);
    expect(shrunk.program.outputs.length).toBe(1);
  });

  // An allow-list entry of the kind the list held while #13.1 was open: a gradient lost when a
  // tensor is returned twice, checked by re-running without the duplicate.
  const duplicateOutput: KnownDefect = {
    // #13.1: the autograd engine counts a root returned twice as two dependencies; x.grad stays null.
    id: "13.1-duplicate-output-grad",
    summary: "aotFunction: a tensor returned twice loses its gradient",
    suspects: (f, p) =>
      compiledMode(f.mode) &&
      f.kind === "mismatch" &&
      f.where.startsWith("grad") &&
      new Set(tensorRefs(p)).size !== tensorRefs(p).length,
    avoid(p) {
      const seen = new Set<number>();
      const outputs = p.outputs.filter((o) => {
        if (typeof o !== "number") return true;
        if (seen.has(o)) return false;
        seen.add(o);
        return true;
      });
      return { program: { ...p, outputs } };
    },
  };

  const compiledMode = (mode: string) => mode !== "eager" && mode !== "eager-f64";
  const tensorRefs = (p: Program) => p.outputs.filter((o): o is number => typeof o === "number");

  test("zeroed gradients are real failures: a duplicate-output entry re-runs without the duplicate and refuses them", async () => {
    const compilers = { ...real, nop: zeroBackward };
    const options = { modes: ["aot-default"] as const, compilers };
    const duplicated: Program = { ...smallProgram, outputs: [6, 2, 2] };
    const report = await checkProgram(duplicated, options);
    const grads = report.failures.filter((f: Failure) => f.where.startsWith("grad"));
    expect(grads.length).toBe(2);
    for (const f of grads)
      expect(await knownDefectOf(f, duplicated, makeRecheck(options, 20), [duplicateOutput])).toBeUndefined();
  });
});

// The reference fallback: a backend that lacks an op or a dtype gets its graphs split into
// maximal pieces, the rest runs on the reference interpreter. Oracles: eager autograd on the
// reference kernels (outputs and gradients), and the reference interpreter on the whole graph.
import {
  type AnyNode,
  type Backend,
  catalog,
  type Executable,
  type Graph,
  GraphBuilder,
  meta,
  type OpName,
  opNames,
  setWarningHandler,
  TensorData,
} from "@aotjs/ir";
import { interpret, manualSeed, randn, type Tensor } from "@aotjs/tensor";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { splitGraph } from "../src/fallback.js";
import { AotError, aotFunction } from "../src/index.js";
import { verifyAot } from "./support.js";

const rg = { requiresGrad: true } as const;
const pointwise = opNames.filter((op) => catalog[op].category === "pointwise");

/**
 * A backend that runs only `ops` (and `dtypes`): its compiler refuses any graph holding another
 * op or dtype, so a wrong split fails loudly, and it records every graph it compiles.
 */
function strictBackend(ops: readonly OpName[], dtypes?: readonly string[]) {
  const compiled: Graph[] = [];
  const disposed: string[] = [];
  const supportedOps = new Set(ops);
  const backend: Backend = {
    name: "strict",
    supportedOps,
    ...(dtypes ? { supportedDtypes: new Set(dtypes as never[]) } : {}),
    compiler: () => (graph) => {
      for (const n of graph.nodes) {
        if (!supportedOps.has(n.op)) throw new Error(`strict: got ${n.op} (node '${n.name}')`);
        if (dtypes && !dtypes.includes(n.meta.dtype)) throw new Error(`strict: got ${n.meta.dtype}`);
      }
      compiled.push(graph);
      const exe: Executable = {
        run: (inputs) => interpret(graph, inputs),
        dispose: () => void disposed.push(graph.name),
      };
      return exe;
    },
  };
  return { backend, compiled, disposed };
}

let warnings: string[] = [];
const previous = setWarningHandler((m) => warnings.push(m));
afterEach(() => {
  warnings = [];
  setWarningHandler((m) => warnings.push(m));
});
afterAll(() => void setWarningHandler(previous));

describe("aotFunction with a backend that lacks ops", () => {
  it("runs matmul and the reductions on the reference, the pointwise ops on the backend, forward and backward", async () => {
    manualSeed(0);
    const { backend, compiled } = strictBackend(pointwise);
    // An MLP loss: matmul, sum/amax fall back; the activations and the loss arithmetic do not.
    const f = (x: Tensor, w1: Tensor, w2: Tensor) => {
      const h = x.matmul(w1).tanh();
      const out = h.matmul(w2).sigmoid();
      return out.mul(out).sum().add(h.exp().mean());
    };
    // Oracle: eager autograd on the reference kernels, both partitioners.
    const compiledFn = aotFunction(f, { backend });
    await verifyAot(f, [randn([4, 3], rg), randn([3, 5], rg), randn([5, 2], rg)], { backend });
    await (await compiledFn(randn([4, 3], rg), randn([3, 5], rg), randn([5, 2], rg))).backward();
    const { fallback } = compiledFn.stats();
    expect(fallback.map((r) => r.role)).toEqual(["forward", "backward"]);
    for (const r of fallback) {
      expect(r.backend).toBe("strict");
      expect(
        r.nodes.some((n) => n.op === "matmul" && n.reason === "op 'matmul' is not in supportedOps"),
      ).toBe(true);
      expect(r.nodes.every((n) => !pointwise.includes(n.op))).toBe(true);
      // Pieces alternate between the backend and the reference.
      r.pieces.forEach((p, i) => {
        if (i > 0) expect(p.runsOn).not.toBe(r.pieces[i - 1]!.runsOn);
      });
      expect(r.pieces.some((p) => p.runsOn === "backend")).toBe(true);
    }
    expect(compiled.length).toBeGreaterThan(0);
    // One warning per split graph, naming the backend, the graph and the op.
    expect(
      warnings.some((w) => /backend 'strict' cannot run \d+ node\(s\) of the forward graph/.test(w)),
    ).toBe(true);
    expect(warnings.some((w) => w.includes("matmul x"))).toBe(true);
  });

  it("still decomposes an op the backend lacks when a rule exists, and falls back only what has none", async () => {
    manualSeed(1);
    const { backend } = strictBackend(pointwise.filter((op) => op !== "sigmoid"));
    const f = (x: Tensor, w: Tensor) => x.matmul(w).sigmoid().sum();
    const compiledFn = aotFunction(f, { backend });
    await verifyAot(f, [randn([2, 3], rg), randn([3, 4], rg)], { backend });
    await compiledFn(randn([2, 3], rg), randn([3, 4], rg));
    const ops = new Set(compiledFn.stats().fallback.flatMap((r) => r.nodes.map((n) => n.op)));
    expect(ops.has("sigmoid")).toBe(false);
    expect(ops.has("matmul")).toBe(true);
    expect(compiledFn.lastGraphs.forward!.nodes.some((n) => n.op === "sigmoid")).toBe(false);
  });

  it("runs a dtype the backend lacks on the reference (float64 in a float32 graph)", async () => {
    manualSeed(2);
    const { backend } = strictBackend(opNames, ["float32", "int64", "bool", "int32"]);
    const f = (x: Tensor) => x.to("float64").exp().mul(2).to("float32").tanh().sum();
    await verifyAot(f, [randn([6], rg)], { backend });
    const compiledFn = aotFunction(f, { backend });
    await (await compiledFn(randn([6], rg))).backward();
    const nodes = compiledFn.stats().fallback.flatMap((r) => r.nodes);
    expect(nodes.length).toBeGreaterThan(0);
    expect(nodes.every((n) => n.reason === "dtype float64 is not in supportedDtypes")).toBe(true);
  });

  it("hands a graph the backend runs whole to its compiler unchanged, with no report", async () => {
    const { backend, compiled } = strictBackend(opNames);
    const f = aotFunction((x: Tensor) => x.sin().sum(), { backend });
    await (await f(randn([3], rg))).backward();
    expect(f.stats().fallback).toEqual([]);
    expect(compiled.map((g) => g.name)).toEqual(["forward", "backward"]);
    expect(warnings).toEqual([]);
  });

  it("a graph with nothing for the backend runs wholly on the reference", async () => {
    const { backend, compiled } = strictBackend(["exp"]);
    const f = aotFunction((x: Tensor, w: Tensor) => x.matmul(w), { backend });
    const x = randn([2, 3]);
    const w = randn([3, 2]);
    const out = await f(x, w);
    // Oracle: the eager matmul on the reference kernels.
    expect(Array.from(out.data() as Float32Array)).toEqual(Array.from(x.matmul(w).data() as Float32Array));
    expect(compiled).toEqual([]);
    expect(f.stats().fallback[0]!.pieces.map((p) => p.runsOn)).toEqual(["reference"]);
  });

  it("a backend piece that fails to compile frees the pieces compiled before it", async () => {
    const { backend, disposed } = strictBackend(pointwise);
    let calls = 0;
    const failing: Backend = {
      ...backend,
      compiler: (o, role) => {
        const inner = backend.compiler(o, role);
        return (g, m) => {
          if (++calls === 2) throw new Error("out of device memory");
          return inner(g, m);
        };
      },
    };
    const f = aotFunction((x: Tensor, w: Tensor) => x.exp().matmul(w).tanh(), { backend: failing });
    const failure = await f(randn([2, 2]), randn([2, 2])).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(AotError);
    expect((failure as Error).message).toMatch(
      /the inference compiler failed on graph 'inference': the backend 'strict' compiler failed on graph 'inference_part3': out of device memory/,
    );
    expect(disposed).toEqual(["inference_part1"]);
  });
});

/** A random graph of unary/binary pointwise ops and matmuls over [3,3] float32 values. */
function randomGraph(seed: number, size: number): Graph {
  let s = seed;
  const rand = (n: number) => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s % n;
  };
  const b = new GraphBuilder("g");
  const vals = [b.input("a", meta([3, 3])), b.input("b", meta([3, 3]))];
  const ops = ["tanh", "add", "mul", "matmul", "sin", "sub"] as const;
  for (let i = 0; i < size; i++) {
    const op = ops[rand(ops.length)]!;
    const x = vals[rand(vals.length)]!;
    const y = vals[rand(vals.length)]!;
    vals.push(op === "tanh" || op === "sin" ? b.op(op, [x]) : b.op(op, [x, y]));
  }
  // Several outputs, one of them an input, and values from the middle of the graph.
  b.output([vals[vals.length - 1]!, vals[0]!, vals[Math.floor(vals.length / 2)]!, vals[vals.length - 3]!]);
  return b.build();
}

describe("splitGraph", () => {
  const onBackend = (n: AnyNode) => n.op !== "matmul";

  it("on random graphs: pieces in order reproduce the whole graph, each piece is one side, and the sides alternate", () => {
    for (let seed = 1; seed <= 40; seed++) {
      const g = randomGraph(seed, 14);
      const pieces = splitGraph(g, onBackend);
      const inputs = g.inputs.map(
        (_, i) =>
          new TensorData(
            "float32",
            [3, 3],
            Float32Array.from({ length: 9 }, (_, k) => Math.sin(k + i + seed)),
          ),
      );
      // Oracle: the reference interpreter on the whole graph.
      const want = interpret(g, inputs);
      const env = new Map<string, TensorData>(g.inputs.map((v, i) => [v.name, inputs[i]!]));
      for (const p of pieces) {
        expect(
          p.graph.nodes.every((n) => onBackend(n) === (p.runsOn === "backend")),
          `seed ${seed}`,
        ).toBe(true);
        const outs = interpret(
          p.graph,
          p.graph.inputs.map((v) => env.get(v.name)!),
        );
        p.graph.outputs.forEach((v, k) => {
          env.set(v.name, outs[k]!);
        });
      }
      const got = g.outputs.map((v) => env.get(v.name)!);
      got.forEach((t, k) => {
        expect(Array.from(t.data as Float32Array), `seed ${seed} output ${k}`).toEqual(
          Array.from(want[k]!.data as Float32Array),
        );
      });
      expect(pieces.reduce((n, p) => n + p.graph.nodes.length, 0)).toBe(g.nodes.length);
      pieces.forEach((p, i) => {
        if (i > 0) expect(p.runsOn).not.toBe(pieces[i - 1]!.runsOn);
      });
    }
  });

  it("keeps independent backend work in one piece and a value read two pieces later as an output", () => {
    const b = new GraphBuilder("g");
    const x = b.input("x", meta([2, 2]));
    const t = b.op("tanh", [x], {}, "t"); // backend, read again after the matmul
    const m = b.op("matmul", [t, t], {}, "m"); // reference
    const e = b.op("exp", [x], {}, "e"); // backend, independent of m: joins t's piece
    const s = b.op("add", [m, t], {}, "s"); // backend, after m
    b.output([s, e]);
    const pieces = splitGraph(b.build(), onBackend);
    expect(pieces.map((p) => [p.runsOn, p.graph.nodes.map((n) => n.name)])).toEqual([
      ["backend", ["t", "e"]],
      ["reference", ["m"]],
      ["backend", ["s"]],
    ]);
    expect(pieces[0]!.outputs.map((v) => v.name)).toEqual(["t", "e"]);
    expect(pieces[2]!.inputs.map((v) => v.name)).toEqual(["m", "t"]);
  });
});

// onnxCompiler({ profile: true }): ORT's own profiler (the oracle for kernel times) summarised per
// ONNX op type, per IR op and per IR node; and the session defaults a profile reveals.
import { availableParallelism } from "node:os";
import { GraphBuilder, meta, TensorData } from "@aotjs/ir";
import * as ort from "onnxruntime-node";
import { describe, expect, test } from "vitest";
import {
  formatProfile,
  OnnxBackendError,
  type OrtModule,
  onnxCompiler,
  summarizeOrtProfile,
} from "../src/node.js";

const f32 = (shape: number[]) =>
  new TensorData(
    "float32",
    shape,
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, Math.random),
  );

/** relu(x @ w) then a sum: three IR nodes, each one ONNX kernel (or a fused one). */
function graph(n = 64) {
  const b = new GraphBuilder("mlp_layer");
  const x = b.input("x", meta([n, n]));
  const w = b.input("w", meta([n, n]));
  const h = b.op("relu", [b.op("matmul", [x, w], {}, "hidden")], {}, "act");
  b.output([b.op("sum", [h], { dims: [0, 1] }, "total")]);
  return b.build();
}

describe("profile", () => {
  test("time per ONNX op type, per IR op and per IR node, over the runs after warm-up", async () => {
    const compiler = onnxCompiler({ profile: { skip: 2 }, intraOpNumThreads: 1 });
    const g = graph();
    const exe = await compiler(g, g.inputMetas);
    const inputs = [f32([64, 64]), f32([64, 64])];
    for (let i = 0; i < 6; i++) await exe.run(inputs);
    const [p] = await compiler.profiles();
    expect(p!.graph).toBe("mlp_layer");
    expect(p!.runs).toBe(4);
    expect(p!.kernelMs).toBeGreaterThan(0);
    expect(p!.runMs).toBeGreaterThanOrEqual(p!.kernelMs * 0.5);
    // Every kernel belongs to an IR node of the graph: the shares over IR nodes add up to 1.
    expect(new Set(p!.byNode.map((r) => r.name))).toEqual(new Set(["hidden", "act", "total"]));
    expect(p!.byNode.reduce((a, r) => a + r.share, 0)).toBeCloseTo(1, 6);
    expect(p!.byIrOp.map((r) => r.name).sort()).toEqual(["matmul", "relu", "sum"]);
    expect(p!.byOpType.map((r) => r.name)).toContain("MatMul");
    expect(p!.byNode.find((r) => r.name === "hidden")!.detail).toBe("matmul");
    const text = formatProfile(p!);
    expect(text).toMatch(/^graph 'mlp_layer': [\d.]+ ms per run \(median of 4\)/);
    expect(text).toContain("IR node");
    // Reading ends profiling: the same profile again, and runs still work.
    expect(await exe.profile()).toBe(p);
    await exe.run(inputs);
    await exe.dispose?.();
  });

  test("fused and ORT-made kernel names map back to IR nodes; unknown ones get their own bucket", () => {
    const g = graph();
    const ev = (name: string, op: string, ts: number, dur: number) => ({
      cat: "Node",
      name: `${name}_kernel_time`,
      ts,
      dur,
      args: { op_name: op },
    });
    const p = summarizeOrtProfile(
      g,
      [
        { cat: "Session", name: "model_run", ts: 0, dur: 100 },
        ev("hidden/MatmulTransposeFusion/", "FusedMatMul", 1, 50),
        { cat: "Session", name: "model_run", ts: 200, dur: 300 },
        ev("hidden/MatmulTransposeFusion/", "FusedMatMul", 201, 100_000),
        ev("act__relu_nchwc", "Relu", 202, 20_000),
        ev("total/3", "ReduceSum", 203, 30_000),
        ev("ReorderInput_token_2", "ReorderInput", 204, 50_000),
      ],
      1,
    );
    expect(p.runs).toBe(1);
    expect(p.kernelMs).toBeCloseTo(200, 6);
    expect(p.byNode.map((r) => [r.name, r.ms])).toEqual([
      ["hidden", 100],
      ["(ReorderInput)", 50],
      ["total", 30],
      ["act", 20],
    ]);
    expect(p.byIrOp.find((r) => r.name === "matmul")).toMatchObject({
      ms: 100,
      share: 0.5,
      detail: "1 kernels",
    });
    // Rates from the shapes (oracle: 2*64^3 FLOPs for the matmul, one per element for relu and
    // for the sum's input) over the synthetic times; the ORT-made reorder has no rate.
    const rate = (name: string) => p.byNode.find((r) => r.name === name)!.gflops;
    expect(rate("hidden")).toBeCloseTo((2 * 64 ** 3) / 100 / 1e6, 9);
    expect(rate("act")).toBeCloseTo(64 ** 2 / 20 / 1e6, 9);
    expect(rate("total")).toBeCloseTo(64 ** 2 / 30 / 1e6, 9);
    expect(rate("(ReorderInput)")).toBeUndefined();
    expect(p.byIrOp.find((r) => r.name === "matmul")!.gflops).toBeCloseTo(rate("hidden")!, 9);
    expect(formatProfile(p)).toMatch(/\n {2}hidden +100\.00 ms +50\.0% {2}matmul, 0\.00524 GFLOP\/s\n/);
  });

  test("a matmul folded into a transpose's kernel counts on the transpose's row", () => {
    // x @ w, then a transpose ORT folds into the next matmul's kernel, named after the transpose.
    const b = new GraphBuilder("fused");
    const x = b.input("x", meta([32, 32]));
    const w = b.input("w", meta([32, 32]));
    const first = b.op("matmul", [x, w], {}, "first");
    const t = b.op("permute", [first], { dims: [1, 0] }, "t");
    b.output([b.op("matmul", [t, w], {}, "second")]);
    const p = summarizeOrtProfile(b.build(), [
      { cat: "Session", name: "model_run", ts: 0, dur: 100 },
      { cat: "Node", name: "first_kernel_time", ts: 1, dur: 10_000, args: { op_name: "MatMul" } },
      {
        cat: "Node",
        name: "t/MatmulTransposeFusion/_kernel_time",
        ts: 2,
        dur: 10_000,
        args: { op_name: "FusedMatMul" },
      },
    ]);
    // Oracle: 2*32^3 FLOPs per matmul in 10 ms each. "second" got no kernel: its work is in the
    // kernel named after "t", its producer with no arithmetic of its own. "first" keeps its own
    // (it has time), so the matmul op's rate counts "first" alone.
    const perKernel = (2 * 32 ** 3) / 10 / 1e6;
    expect(p.byIrOp.find((r) => r.name === "matmul")!.gflops).toBeCloseTo(perKernel, 9);
    expect(p.byNode.find((r) => r.name === "t")!.gflops).toBeCloseTo(perKernel, 9);
    expect(p.byIrOp.find((r) => r.name === "permute")!.gflops).toBeCloseTo(perKernel, 9);
    expect(p.byNode.find((r) => r.name === "second")).toBeUndefined();
  });

  test("runMs and kernelMs are medians over the runs: one slow run moves neither", () => {
    // Oracle: the synthetic trace's own numbers (kernel sums 1, 1 and 50 ms in runs of 2, 2, 60 ms).
    const kernel = (ts: number, dur: number) => ({
      cat: "Node",
      name: "hidden_kernel_time",
      ts,
      dur,
      args: { op_name: "MatMul" },
    });
    const run = (ts: number, dur: number) => ({ cat: "Session", name: "model_run", ts, dur });
    const p = summarizeOrtProfile(graph(), [
      run(0, 2000),
      kernel(10, 1000),
      run(5000, 2000),
      kernel(5010, 1000),
      run(10_000, 60_000),
      kernel(10_010, 50_000),
    ]);
    expect(p.runs).toBe(3);
    expect(p.runMs).toBeCloseTo(2, 6);
    expect(p.kernelMs).toBeCloseTo(1, 6);
    expect(p.runMs).toBeGreaterThanOrEqual(p.kernelMs);
  });

  test("profile() without the option is an error naming the graph", async () => {
    const g = graph();
    const exe = await onnxCompiler({ intraOpNumThreads: 1 })(g, g.inputMetas);
    await expect(exe.profile()).rejects.toThrow(
      new OnnxBackendError("graph 'mlp_layer': compiled without onnxCompiler({ profile: true })"),
    );
    await exe.dispose?.();
  });
});

describe("session defaults", () => {
  test("intraOpNumThreads: available parallelism for graphs of big kernels, 1 for tiny ones; spinning only while a run is in flight", async () => {
    const seen: ort.InferenceSession.SessionOptions[] = [];
    const module: OrtModule = {
      Tensor: ort.Tensor,
      InferenceSession: {
        create: (model, options) => {
          seen.push(options!);
          return ort.InferenceSession.create(model, options);
        },
      },
    };
    // A caller-supplied runtime under Node gets the machine's cores (os.availableParallelism; Node
    // 20 has no navigator) for a graph with enough work per node (256^3 matmul: 11 MFLOP per
    // node), one thread for a graph of tiny kernels (4^3: 43 FLOP per node), where a pool costs
    // more than it saves.
    // A graph of gptMini's size per node (114^3: about 1 MFLOP per node) gets the pool too.
    for (const [n, want] of [
      [256, availableParallelism()],
      [114, availableParallelism()],
      [4, 1],
    ] as const) {
      const g = graph(n);
      await (await onnxCompiler({ ort: module })(g, g.inputMetas)).dispose();
      expect(seen.at(-1)!.intraOpNumThreads).toBe(want);
    }
    const g = graph(256);
    await (await onnxCompiler({ ort: module, intraOpNumThreads: 1 })(g, g.inputMetas)).dispose();
    expect(seen.at(-1)!.intraOpNumThreads).toBe(1);
    // Threads spin during a run and stop when it returns, so sessions do not starve each other.
    expect(seen.at(-1)!.extra).toMatchObject({
      session: { intra_op: { allow_spinning: "1" }, force_spinning_stop: "1" },
    });
    await (await onnxCompiler({ ort: module, spinning: false })(g, g.inputMetas)).dispose();
    expect(seen.at(-1)!.extra).toMatchObject({ session: { intra_op: { allow_spinning: "0" } } });
    expect((seen.at(-1)!.extra as { session: object }).session).not.toHaveProperty("force_spinning_stop");
  });
});

// Symbolic shapes on ORT: an MLP and resnet18 trained with batch sizes 8, 5, 3, 8, 7 compile at
// most twice in "auto" mode and once with `dynamic: true`, with one ORT session per graph (the
// symbolic model has dim_params and computes its sizes at run time); on every call the output,
// the loss and every parameter's gradient equal eager's (oracle: an eager twin of the model with
// equal state, run on the reference kernels). gptMini does the same over sequence lengths.
import { aotModule, type DynamicMode } from "@aotjs/aot";
import { maxScaledDiff } from "@aotjs/conformance";
import type { Graph, TensorMeta } from "@aotjs/ir";
import { F, gptMini, type Module, mlp, resnet18 } from "@aotjs/nn";
import { manualSeed, randint, randn, type Tensor } from "@aotjs/tensor";
import { fromBinary } from "@bufbuild/protobuf";
import { ModelProtoSchema } from "onnx-buf";
import * as ort from "onnxruntime-node";
import { afterEach, describe, expect, test } from "vitest";
import { type OnnxExecutable, onnxCompiler } from "../src/node.js";

// Counts the sessions the compiler creates for graphs (not the one-node model that asks ORT for
// its NCHWc block, once per module) and keeps each executable, to see which are symbolic.
let sessions = 0;
const countingOrt = {
  ...ort,
  InferenceSession: {
    create: (model: Uint8Array, options?: ort.InferenceSession.SessionOptions) => {
      if (fromBinary(ModelProtoSchema, model).graph?.name !== "nchwc_block") sessions++;
      return ort.InferenceSession.create(model, options);
    },
  },
};
const onnx = onnxCompiler({ intraOpNumThreads: 2, ort: countingOrt as never });
const executables: OnnxExecutable[] = [];
const compiler = async (graph: Graph, metas: readonly TensorMeta[]) => {
  const exe = await onnx(graph, metas);
  executables.push(exe);
  return exe;
};
afterEach(() => {
  sessions = 0;
  executables.length = 0;
});
const BATCHES = [8, 5, 3, 8, 7];

const maxRel = (a: Tensor, b: Tensor) => maxScaledDiff(a.toData(), b.toData());

async function trainBoth(
  make: () => Module,
  input: (b: number) => Tensor,
  classes: number,
  dynamic: DynamicMode,
  tol: number,
) {
  manualSeed(4);
  const eager = make();
  const compiledModel = make();
  compiledModel.loadStateDict(eager.stateDict());
  const am = aotModule(compiledModel, { fwCompiler: compiler, dynamic });
  try {
    for (const b of BATCHES) {
      const x = input(b);
      const labels = randint(0, classes, [b]);
      eager.zeroGrad();
      compiledModel.zeroGrad();
      const ref = eager.forward(x) as Tensor;
      await F.crossEntropy(ref, labels).backward();
      const out = await am.forward(x);
      await F.crossEntropy(out, labels).backward();
      expect(out.shape, `batch ${b}`).toEqual([b, classes]);
      expect(maxRel(out, ref), `batch ${b}: output`).toBeLessThanOrEqual(tol);
      const want = new Map(eager.namedParameters());
      for (const [name, p] of compiledModel.namedParameters())
        expect(maxRel(p.grad!, want.get(name)!.grad!), `batch ${b}: ${name}.grad`).toBeLessThanOrEqual(tol);
    }
    return am.stats();
  } finally {
    await am.dispose();
  }
}

describe("symbolic batch on ORT", () => {
  const makeMlp = () => mlp([784, 64, 10]);
  const images = (b: number) => randn([b, 784]);

  test("MLP, auto: the second size compiles one symbolic graph that serves every later size", async () => {
    const stats = await trainBoth(makeMlp, images, 10, "auto", 1e-5);
    expect(stats).toMatchObject({ compiles: 2, cacheHits: 3 });
    // A static forward and backward, then one symbolic pair: four sessions for five sizes.
    expect(executables.map((e) => e.symbolic)).toEqual([false, false, true, true]);
    expect(sessions).toBe(4);
    expect(stats.recompileReasons).toEqual(["input 0 dim 0: 8 -> 5; symbolic: input 0 dim 0 as B"]);
  });

  test("MLP, dynamic: true: one compile; the feature dim, which must match the weight, stays static", async () => {
    const stats = await trainBoth(makeMlp, images, 10, true, 1e-5);
    expect(stats).toMatchObject({ compiles: 1, cacheHits: 4 });
    expect(executables.map((e) => e.symbolic)).toEqual([true, true]);
    expect(sessions).toBe(2);
    expect(stats.recompileReasons[0]).toMatch(
      /^first call; symbolic input 0 dim 0 as B, input 0 dim 1 as T failed: .*; symbolic: input 0 dim 0 as B$/,
    );
  });

  test("resnet18 at 64x64, dynamic: true: one forward and one backward session for every batch", async () => {
    const stats = await trainBoth(
      () => resnet18({ numClasses: 10 }),
      (b) => randn([b, 3, 64, 64]),
      10,
      true,
      // Small batches' BatchNorms amplify rounding (at 32x32 the last stage normalizes 7 x 1 x 1
      // values): static per-size sessions are as far from eager as the symbolic one, which
      // matches the reference interpreter's run of each graph to 1e-4.
      3e-2,
    );
    expect(stats).toMatchObject({ compiles: 1, cacheHits: 4 });
    expect(executables.map((e) => [e.symbolic, e.symbolicFallback])).toEqual([
      [true, undefined],
      [true, undefined],
    ]);
    expect(sessions).toBe(2);
  }, 60_000);

  test("resnet18 at 64x64, auto: at most two compiles", async () => {
    const stats = await trainBoth(
      () => resnet18({ numClasses: 10 }),
      (b) => randn([b, 3, 64, 64]),
      10,
      "auto",
      3e-2,
    );
    expect(stats).toMatchObject({ compiles: 2, cacheHits: 3 });
    expect(sessions).toBe(4);
  }, 60_000);
});

describe("symbolic sequence length on ORT", () => {
  // aot traces symbolic sizes at large prime marker sizes; GPT's `T <= seqLen` check, written
  // with sizeAtMost, becomes the guard T <= 32 rather than refusing the marker.
  test("gptMini, dynamic: true: sequence lengths 16, 9, 32 share one session per graph", async () => {
    const vocab = 17;
    manualSeed(5);
    const make = () => gptMini({ vocab, dModel: 32, nHead: 4, nLayer: 2, seqLen: 32 });
    const eager = make();
    const compiledModel = make();
    compiledModel.loadStateDict(eager.stateDict());
    const am = aotModule(compiledModel, { fwCompiler: compiler, dynamic: true });
    try {
      for (const t of [16, 9, 32]) {
        const x = randint(0, vocab, [2, t], { dtype: "int64" });
        const y = randint(0, vocab, [2 * t], { dtype: "int64" });
        eager.zeroGrad();
        compiledModel.zeroGrad();
        const ref = eager.forward(x) as Tensor;
        await F.crossEntropy(ref.reshape([-1, vocab]), y).backward();
        const out = (await am.forward(x)) as Tensor;
        await F.crossEntropy(out.reshape([-1, vocab]), y).backward();
        expect(out.shape).toEqual([2, t, vocab]);
        expect(maxRel(out, ref), `T=${t}: logits`).toBeLessThanOrEqual(1e-4);
        const want = new Map(eager.namedParameters());
        for (const [name, p] of compiledModel.namedParameters())
          expect(maxRel(p.grad!, want.get(name)!.grad!), `T=${t}: ${name}.grad`).toBeLessThanOrEqual(1e-4);
      }
      expect(am.stats()).toMatchObject({ compiles: 1, cacheHits: 2 });
      expect(am.lastGraphs.forward!.symbolic!.symbols).toEqual([
        { name: "B", hint: 2, min: 1 },
        { name: "T", hint: 16, min: 1, max: 32 },
      ]);
      expect(executables.map((e) => [e.symbolic, e.symbolicFallback])).toEqual([
        [true, undefined],
        [true, undefined],
      ]);
      expect(sessions).toBe(2);
      // Past the guard the entry does not fit, and compiling at that size fails as eager does.
      await expect(am.forward(randint(0, vocab, [2, 33], { dtype: "int64" }))).rejects.toThrow(
        "with T <= seqLen 32",
      );
      expect(sessions).toBe(2);
    } finally {
      await am.dispose();
    }
  }, 60_000);
});

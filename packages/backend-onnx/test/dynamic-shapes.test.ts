// Symbolic shapes on ORT: an MLP trained with batch sizes 8, 5, 3, 8,
// 7 compile at most twice in "auto" mode and once with `dynamic: true`; on every call the output,
// the loss and every parameter's gradient equal eager's (oracle: an eager twin of the model with
// equal state, run on the reference kernels).
import { aotModule, type DynamicMode } from "@aotjs/aot";
import { F, type Module, mlp } from "@aotjs/nn";
import { manualSeed, randint, randn, type Tensor } from "@aotjs/tensor";
import { describe, expect, test } from "vitest";
import { onnxCompiler } from "../src/index.js";

const compiler = onnxCompiler({ intraOpNumThreads: 2 });
const BATCHES = [8, 5, 3, 8, 7];

function maxRel(a: Tensor, b: Tensor): number {
  const x = a.toData().data as Float32Array;
  const y = b.toData().data as Float32Array;
  expect(x.length).toBe(y.length);
  let scale = 1e-6;
  for (const v of y) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!) / scale);
  return worst;
}

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
    expect(stats.recompileReasons).toEqual(["input 0 dim 0: 8 -> 5; symbolic: input 0 dim 0 as B"]);
  });

  test("MLP, dynamic: true: one compile; the feature dim, which must match the weight, stays static", async () => {
    const stats = await trainBoth(makeMlp, images, 10, true, 1e-5);
    expect(stats).toMatchObject({ compiles: 1, cacheHits: 4 });
    expect(stats.recompileReasons[0]).toMatch(
      /^first call; symbolic input 0 dim 0 as B, input 0 dim 1 as T failed: .*; symbolic: input 0 dim 0 as B$/,
    );
  });
});

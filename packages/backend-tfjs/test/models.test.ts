// Whole models on both TF.js backends: resnet18's forward and backward graphs at 1x3x64x64 and a
// gptMini training step (dropout on, so the random ops run), each graph compared with the reference
// interpreter on the reference's own inputs, plus the gptMini step end to end through aotModule.
import { aotModule } from "@aotjs/aot";
import { compareTensors } from "@aotjs/conformance";
import type { TensorData } from "@aotjs/ir";
import { F, gptMini, resnet18 } from "@aotjs/nn";
import { interpret, manualSeed, randint, randn, type Tensor } from "@aotjs/tensor";
import { beforeAll, describe, expect, test } from "vitest";
import { tfjsCompiler } from "../src/index.js";
import { type Captured, compileAndRun, recordingCompiler } from "./support.js";

const RTOL = 1e-5;
const BACKENDS = ["cpu", "wasm"] as const;

/** Output names that differ from the reference by more than `rtol`, with the comparison's message. */
function mismatches(
  actual: TensorData[],
  expected: TensorData[],
  c: Captured,
  rtol: number,
  only?: Set<number>,
) {
  return c.graph.outputs.flatMap((v, i) => {
    if (only && !only.has(i)) return [];
    const m = compareTensors(actual[i]!, expected[i]!, rtol);
    return m ? [`${v.name}: ${m.message}`] : [];
  });
}

describe("resnet18 at 1x3x64x64", () => {
  let forward: Captured;
  let backward: Captured;
  beforeAll(async () => {
    manualSeed(0);
    const { compiler, captured } = recordingCompiler();
    const model = resnet18({ numClasses: 10 });
    const out = await aotModule(model, { fwCompiler: compiler, bwCompiler: compiler }).forward(
      randn([1, 3, 64, 64]),
    );
    await out.sum().backward();
    [forward, backward] = captured as [Captured, Captured];
  });

  test.each(BACKENDS)("forward on %s", async (backend) => {
    const expected = interpret(forward.graph, forward.inputs);
    const actual = await compileAndRun(tfjsCompiler({ backend }), forward.graph, forward.inputs);
    // What the caller sees, the logits and the BatchNorm running statistics written back, within
    // 1e-5. The activations saved for the backward differ more in a few places: layer4's BatchNorm
    // normalizes over 2x2 positions at batch 1, and dividing by the standard deviation of 4 values
    // amplifies the last-bit differences between two float32 computations (TF.js and the
    // reference both round every op to float32, in different orders) to about 3e-5.
    const visible = new Set([0, ...forward.graph.mutations.map((m) => m.output)]);
    expect(visible.size).toBe(61);
    expect(mismatches(actual, expected, forward, RTOL, visible)).toEqual([]);
    expect(mismatches(actual, expected, forward, 1e-4)).toEqual([]);
  });

  test.each(BACKENDS)("backward on %s: every gradient within 1e-5", async (backend) => {
    expect(backward.graph.nodes.some((n) => n.op === "conv2dBackwardWeight")).toBe(true);
    const expected = interpret(backward.graph, backward.inputs);
    const actual = await compileAndRun(tfjsCompiler({ backend }), backward.graph, backward.inputs);
    expect(mismatches(actual, expected, backward, RTOL)).toEqual([]);
  });
});

const GPT = { vocab: 64, dModel: 32, nHead: 4, nLayer: 2, seqLen: 16, dropout: 0.1 };
/** PyTorch's default seed (the generator's default too): far past int32, as real seeds are. */
const SEED = 67280421310721;

/** One training step's loss and parameter gradients with the given compilers. */
async function gptStep(compile: ReturnType<typeof tfjsCompiler> | undefined) {
  manualSeed(SEED);
  const model = gptMini(GPT);
  const idx = randint(0, GPT.vocab, [2, GPT.seqLen]);
  const target = randint(0, GPT.vocab, [2, GPT.seqLen]);
  const m = aotModule(model, compile ? { fwCompiler: compile, bwCompiler: compile } : {});
  const logits = (await m.forward(idx)) as Tensor;
  const loss = F.crossEntropy(logits.reshape([2 * GPT.seqLen, GPT.vocab]), target.reshape([2 * GPT.seqLen]));
  await loss.backward();
  return { loss: loss.toData(), grads: model.parameters().map((p) => p.grad!.toData()), graphs: m };
}

describe("gptMini training step (dropout 0.1)", () => {
  let captured: Captured[];
  beforeAll(async () => {
    manualSeed(SEED);
    const rec = recordingCompiler();
    const model = gptMini(GPT);
    const idx = randint(0, GPT.vocab, [2, GPT.seqLen]);
    const target = randint(0, GPT.vocab, [2, GPT.seqLen]);
    const m = aotModule(model, { fwCompiler: rec.compiler, bwCompiler: rec.compiler });
    const logits = (await m.forward(idx)) as Tensor;
    await F.crossEntropy(
      logits.reshape([2 * GPT.seqLen, GPT.vocab]),
      target.reshape([2 * GPT.seqLen]),
    ).backward();
    captured = rec.captured;
  });

  test("the step draws dropout masks from an int64 seed that does not fit int32", () => {
    const fw = captured[0]!;
    expect(fw.graph.nodes.some((n) => n.op === "bernoulli" || n.op === "uniform")).toBe(true);
    const seed = fw.graph.inputs.findIndex((v) => v.name === "rng_seed");
    expect(Number(fw.inputs[seed]!.data[0])).toBeGreaterThan(2 ** 31);
  });

  test.each(BACKENDS)("forward and backward graphs on %s within 1e-5", async (backend) => {
    for (const c of captured) {
      const expected = interpret(c.graph, c.inputs);
      const actual = await compileAndRun(tfjsCompiler({ backend }), c.graph, c.inputs);
      expect(mismatches(actual, expected, c, RTOL), c.graph.name).toEqual([]);
    }
  });

  test.each(BACKENDS)("end to end through aotModule on %s: same loss and gradients", async (backend) => {
    const reference = await gptStep(undefined);
    const tfjs = await gptStep(tfjsCompiler({ backend }));
    expect(compareTensors(tfjs.loss, reference.loss, RTOL)).toBeUndefined();
    // The backward here reads activations the TF.js forward saved, so float32 differences carry over.
    const off = tfjs.grads.flatMap((g, i) => compareTensors(g, reference.grads[i]!, 1e-4)?.message ?? []);
    expect(off).toEqual([]);
  });
});

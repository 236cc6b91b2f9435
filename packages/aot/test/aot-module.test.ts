// aotModule: lifted parameters and buffers, parameter grads, train/eval, BatchNorm running stats
// over training steps, and whole models (resnet18, a small GPT) against eager.
import { noGrad } from "@aotjs/autograd";
import {
  AdamW,
  BatchNorm1d,
  BatchNorm2d,
  Conv2d,
  F,
  gptMini,
  Linear,
  Module,
  mlp,
  ReLU,
  resnet18,
  Sequential,
  SGD,
} from "@aotjs/nn";
import { minCutRematerializationPartition } from "@aotjs/partitioner";
import { manualSeed, randint, randn, type Tensor } from "@aotjs/tensor";
import { describe, expect, it } from "vitest";
import { aotFunction, aotModule, inputNameOf } from "../src/index.js";
import { expectClose, scaleRelDiff, values } from "./support.js";

/** conv -> BatchNorm -> ReLU -> Linear, with torchvision-like names (conv1, bn1, fc). */
class SmallNet extends Module {
  conv1 = new Conv2d(3, 4, 3, { padding: 1 });
  bn1 = new BatchNorm2d(4);
  relu = new ReLU();
  fc = new Linear(4 * 6 * 6, 5);
  override forward(x: Tensor): Tensor {
    return this.fc.forward(this.relu.forward(this.bn1.forward(this.conv1.forward(x))).flatten(1));
  }
}

/** Two copies of a model with equal state. */
function twins<M extends Module>(make: () => M): [M, M] {
  const a = make();
  const b = make();
  b.loadStateDict(a.stateDict());
  return [a, b];
}

const gradsOf = (m: Module) => new Map(m.namedParameters().map(([n, p]) => [n, p.grad]));

/** A submodule called `tangents`: its parameters are primals whatever their names look like. */
class TangentsNamed extends Module {
  tangents = new Linear(3, 2);
  override forward(x: Tensor) {
    return this.tangents.forward(x).tanh();
  }
}

describe("lifting", () => {
  it("parameters and buffers are graph inputs under their own names", async () => {
    manualSeed(0);
    const m = aotModule(new SmallNet());
    await m.forward(randn([2, 3, 6, 6]));
    const names = m.lastGraphs.forward!.inputs.map((v) => v.name);
    expect(names).toEqual([
      "conv1_weight",
      "conv1_bias",
      "bn1_weight",
      "bn1_bias",
      "fc_weight",
      "fc_bias",
      "bn1_running_mean",
      "bn1_running_var",
      "bn1_num_batches_tracked",
      "input_1",
    ]);
    // The three buffers come back as mutations.
    const mutated = m.lastGraphs.forward!.mutations.map((mu) => names[mu.input]);
    expect(mutated.sort()).toEqual(["bn1_num_batches_tracked", "bn1_running_mean", "bn1_running_var"]);
  });

  it("names that are not identifiers: Sequential's `0.weight`, and clashes after cleaning", async () => {
    expect(inputNameOf("layer1.0.bn1.running_mean")).toBe("layer1_0_bn1_running_mean");
    expect(inputNameOf("0.weight")).toBe("_0_weight");
    manualSeed(1);
    const seq = new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 2));
    const m = aotModule(seq);
    const x = randn([2, 4]);
    const out = await m.forward(x);
    expectClose(
      out,
      noGrad(() => seq.forward(x) as Tensor),
      "output",
    );
    expect(m.lastGraphs.forward!.inputs.map((v) => v.name)).toEqual([
      "_0_weight",
      "_0_bias",
      "_2_weight",
      "_2_bias",
      "input_1",
    ]);

    class Clash extends Module {
      a_b = new Linear(2, 2, { bias: false });
      a = new (class extends Module {
        b = new Linear(2, 2, { bias: false });
        override forward(x: Tensor) {
          return this.b.forward(x);
        }
      })();
      override forward(x: Tensor) {
        return this.a.forward(this.a_b.forward(x));
      }
    }
    const clash = aotModule(new Clash());
    await clash.forward(randn([1, 2]));
    const inputs = clash.lastGraphs.forward!.inputs.map((v) => v.name);
    expect(new Set(inputs).size).toBe(inputs.length);
  });

  it("parameter .grad is filled on backward and equals eager's", async () => {
    manualSeed(2);
    const [eager, compiled] = twins(() => new SmallNet());
    const x = randn([2, 3, 6, 6]);
    await (eager.forward(x) as Tensor).pow(2).sum().backward();
    const am = aotModule(compiled);
    await (await am.forward(x)).pow(2).sum().backward();
    const want = gradsOf(eager);
    for (const [n, g] of gradsOf(compiled)) expectClose(g, want.get(n), n, 1e-4);
    // An input that requires grad gets its gradient too.
    const xe = x.detach().requiresGrad_();
    const xa = x.detach().requiresGrad_();
    await (eager.forward(xe) as Tensor).sum().backward();
    await (await am.forward(xa)).sum().backward();
    expectClose(xa.grad, xe.grad, "input grad", 1e-4);
  });

  it("a frozen parameter gets no grad and is not a backward output", async () => {
    manualSeed(3);
    const net = new SmallNet();
    net.conv1.weight.requiresGrad = false;
    const m = aotModule(net);
    await (await m.forward(randn([2, 3, 6, 6]))).sum().backward();
    expect(net.conv1.weight.grad).toBeNull();
    expect(net.conv1.bias!.grad).not.toBeNull();
    expect(m.lastGraphs.backward!.outputs).toHaveLength(net.parameters().length - 1);
  });
  it("a submodule named `tangents` is a primal, not a tangent", async () => {
    manualSeed(0);
    const m = new TangentsNamed();
    const x = randn([4, 3]);
    await m.forward(x).sum().backward();
    const ref = m.tangents.weight.grad!.toArray();
    m.tangents.weight.grad = null;
    m.tangents.bias!.grad = null;
    const out = await aotModule(m).forward(x);
    await out.sum().backward();
    expect(m.tangents.weight.grad!.toArray()).toEqual(ref);
  });
});

describe("module surface", () => {
  // Oracle: the same module run eagerly after the same loadStateDict.
  it("stateDict/loadStateDict go to the wrapped module, and the next call uses the loaded state without recompiling", async () => {
    manualSeed(11);
    const model = new Sequential(new Linear(4, 3), new BatchNorm1d(3));
    const other = new Sequential(new Linear(4, 3), new BatchNorm1d(3));
    const am = aotModule(model);
    const x = randn([5, 4]);
    await am.forward(x);
    expect(Object.keys(am.stateDict())).toEqual(Object.keys(model.stateDict()));
    expect(am.loadStateDict(other.stateDict())).toEqual({ missingKeys: [], unexpectedKeys: [] });
    const out = await am.forward(x);
    expect(am.stats().compiles).toBe(1);
    expectClose(out, other.forward(x), "output after loadStateDict");
    expect(am.namedBuffers().map(([n]) => n)).toEqual(model.namedBuffers().map(([n]) => n));
    await out.sum().backward();
    expect(am.parameters().every((p) => p.grad !== null)).toBe(true);
    am.zeroGrad();
    expect(am.parameters().every((p) => p.grad === null)).toBe(true);
  });
});

describe("train and eval", () => {
  it("train and eval compile different graphs; each is cached", async () => {
    manualSeed(4);
    const net = new SmallNet();
    const m = aotModule(net);
    const x = randn([2, 3, 6, 6]);
    await m.forward(x);
    const trainGraph = m.lastGraphs.forward!;
    m.eval();
    expect(net.training).toBe(false);
    const evalOut = await m.forward(x);
    const evalGraph = m.lastGraphs.forward!;
    expect(m.stats()).toMatchObject({ compiles: 2, cacheSize: 2 });
    expect(trainGraph.mutations.length).toBe(3);
    expect(evalGraph.mutations.length).toBe(0);
    expectClose(
      evalOut,
      noGrad(() => net.forward(x)),
      "eval output",
    );
    m.train();
    await m.forward(x);
    m.eval();
    await m.forward(x);
    expect(m.stats()).toMatchObject({ compiles: 2, cacheHits: 2 });
  });

  it("BatchNorm running stats match eager exactly after 10 SGD steps", async () => {
    manualSeed(5);
    const [eager, compiled] = twins(() => new SmallNet());
    const am = aotModule(compiled, { partitionFn: minCutRematerializationPartition });
    const optE = new SGD(eager.parameters(), { lr: 0.05, momentum: 0.9 });
    const optA = new SGD(compiled.parameters(), { lr: 0.05, momentum: 0.9 });
    for (let step = 0; step < 10; step++) {
      const x = randn([4, 3, 6, 6]);
      const target = randint(0, 5, [4]);
      optE.zeroGrad();
      await F.crossEntropy(eager.forward(x) as Tensor, target).backward();
      optE.step();
      optA.zeroGrad();
      await F.crossEntropy(await am.forward(x), target).backward();
      optA.step();
    }
    expect(am.stats().compiles).toBe(1);
    for (const name of ["running_mean", "running_var", "num_batches_tracked"] as const) {
      expect(values(compiled.bn1[name]!), name).toEqual(values(eager.bn1[name]!));
    }
    expect(values(compiled.bn1.num_batches_tracked!)).toEqual([10]);
    const want = new Map(eager.namedParameters());
    for (const [n, p] of compiled.namedParameters()) expectClose(p, want.get(n), n);
  });
});

describe("buffers and tied weights", () => {
  // Oracle: the module's own namedBuffers() path, which the error must quote.
  it("a module's buffer updated inside aotFunction (not aotModule) is named by its module path", async () => {
    const model = new Sequential(new Linear(3, 3), new BatchNorm1d(3));
    expect(model.namedBuffers().map(([n]) => n)).toContain("1.num_batches_tracked");
    const f = aotFunction((x: Tensor) => model.forward(x));
    await expect(f(randn([4, 3]))).rejects.toThrow(
      /in-place update of a tensor the traced function captured from outside its arguments \('1\.(running_mean|running_var|num_batches_tracked)' /,
    );
  });

  it("training mode under noGrad: one inference graph, and running stats still update as eager", async () => {
    manualSeed(8);
    const [eager, compiled] = twins(() => new BatchNorm2d(3));
    const x = randn([2, 3, 4, 4]);
    const ref = noGrad(() => eager.forward(x));
    const am = aotModule(compiled);
    const out = await noGrad(() => am.forward(x));
    expect(am.lastGraphs.inference!.mutations).toHaveLength(3);
    expectClose(out, ref, "output");
    expect(values(compiled.running_mean!)).toEqual(values(eager.running_mean!));
    expect(values(compiled.running_var!)).toEqual(values(eager.running_var!));
    expect(values(compiled.num_batches_tracked!)).toEqual([1]);
  });

  it("10 concurrent forwards update the running stats as 10 eager forwards in a row", async () => {
    // Oracle: eager BatchNorm1d, the same 10 batches one after another.
    manualSeed(12);
    const [eager, compiled] = twins(() => new BatchNorm1d(3));
    const batches = Array.from({ length: 10 }, () => randn([4, 3]));
    const refs = batches.map((x) => noGrad(() => eager.forward(x)));
    const am = aotModule(compiled);
    const outs = await Promise.all(batches.map((x) => am.forward(x)));
    expect(values(compiled.num_batches_tracked!)).toEqual([10]);
    expectClose(compiled.running_mean!, eager.running_mean!, "running_mean");
    expectClose(compiled.running_var!, eager.running_var!, "running_var");
    outs.forEach((o, i) => {
      expectClose(o, refs[i]!, `output ${i}`);
    });
  });

  it("tied weights (gptMini tieWeights) are one input and get the summed gradient", async () => {
    manualSeed(9);
    const config = { vocab: 32, dModel: 16, nHead: 2, nLayer: 1, seqLen: 8, tieWeights: true };
    const [eager, compiled] = twins(() => gptMini(config));
    const idx = randint(0, 32, [2, 8]);
    const targets = randint(0, 32, [2, 8]).reshape([-1]);
    await F.crossEntropy(eager.forward(idx).reshape([-1, 32]), targets).backward();
    const am = aotModule(compiled);
    await F.crossEntropy((await am.forward(idx)).reshape([-1, 32]), targets).backward();
    expect(compiled.lm_head.weight).toBe(compiled.transformer.wte.weight);
    const names = am.lastGraphs.forward!.inputs.map((v) => v.name);
    expect(names).toContain("transformer_wte_weight");
    expect(names).not.toContain("lm_head_weight");
    expectClose(compiled.transformer.wte.weight.grad, eager.transformer.wte.weight.grad, "wte.grad", 1e-4);
  });
});

describe("models", () => {
  it("resnet18 (1x3x64x64, train, min-cut): output and parameter grads equal eager within 1e-4", async () => {
    manualSeed(6);
    const [eager, compiled] = twins(() => resnet18({ numClasses: 10 }));
    const x = randn([1, 3, 64, 64]);
    const ref = eager.forward(x);
    await ref.sum().backward();
    const am = aotModule(compiled, { partitionFn: minCutRematerializationPartition });
    const out = await am.forward(x);
    await out.sum().backward();
    expectClose(out, ref, "output", 1e-4);
    const want = gradsOf(eager);
    const got = gradsOf(compiled);
    for (const n of [
      "conv1.weight",
      "bn1.weight",
      "layer1.0.conv1.weight",
      "layer3.1.bn2.bias",
      "layer4.0.downsample.0.weight",
      "fc.weight",
      "fc.bias",
    ]) {
      expectClose(got.get(n), want.get(n), n, 1e-4);
      expect(scaleRelDiff(got.get(n)!, want.get(n)!), `${n} relative to its scale`).toBeLessThan(1e-4);
    }
    expect(scaleRelDiff(out, ref), "output relative to its scale").toBeLessThan(1e-4);
    expect([...got.values()].every((g) => g !== null)).toBe(true);
    const names = am.lastGraphs.forward!.inputs.map((v) => v.name);
    expect(names).toContain("conv1_weight");
    expect(names).toContain("bn1_running_mean");
    expect(names).toContain("layer1_0_bn1_running_mean");
    for (const n of ["bn1", "layer2.0.downsample.1"]) {
      const bnE = eager.getSubmodule(n) as BatchNorm2d;
      const bnA = compiled.getSubmodule(n) as BatchNorm2d;
      expectClose(bnA.running_var, bnE.running_var, `${n}.running_var`, 1e-5);
    }
  });

  it("gptMini training steps (cross-entropy, AdamW): grads and parameters equal eager", async () => {
    manualSeed(7);
    const config = { vocab: 64, dModel: 32, nHead: 4, nLayer: 2, seqLen: 16 };
    const [eager, compiled] = twins(() => gptMini(config));
    const am = aotModule(compiled, { partitionFn: minCutRematerializationPartition });
    const optE = new AdamW(eager.parameters(), { lr: 1e-3 });
    const optA = new AdamW(compiled.parameters(), { lr: 1e-3 });
    const lossOf = (logits: Tensor, targets: Tensor) =>
      F.crossEntropy(logits.reshape([-1, config.vocab]), targets.reshape([-1]));
    for (let step = 0; step < 2; step++) {
      const idx = randint(0, config.vocab, [2, 16]);
      const targets = randint(0, config.vocab, [2, 16]);
      optE.zeroGrad();
      const lossE = lossOf(eager.forward(idx), targets);
      await lossE.backward();
      optA.zeroGrad();
      const lossA = lossOf(await am.forward(idx), targets);
      await lossA.backward();
      expectClose(lossA, lossE, `step ${step}: loss`);
      const want = gradsOf(eager);
      for (const [n, g] of gradsOf(compiled)) {
        expectClose(g, want.get(n), `step ${step}: ${n}.grad`, 1e-4);
        expect(scaleRelDiff(g!, want.get(n)!), `step ${step}: ${n}.grad relative to its scale`).toBeLessThan(
          1e-4,
        );
      }
      optE.step();
      optA.step();
    }
    const want = new Map(eager.namedParameters());
    for (const [n, p] of compiled.namedParameters()) expectClose(p, want.get(n), n, 1e-5);
    expect(am.lastGraphs.forward!.inputs.map((v) => v.name)).toContain("transformer_h_0_attn_c_attn_weight");
  });
});

describe("a forgotten await", () => {
  // Oracle: the eager training step `await loss.backward(); opt.step()`. Without the await, the
  // compiled backward is still running when the step reads the gradients: that must be an error
  // saying so, not a step on stale (or null) gradients.
  it("loss.backward(); opt.step() without await throws 'await loss.backward()'; awaiting trains", async () => {
    manualSeed(3);
    const model = mlp([4, 8, 2]);
    const compiled = aotModule(model);
    const opt = new SGD(model.parameters(), { lr: 0.1 });
    const x = randn([5, 4]);
    const loss = ((await compiled.forward(x)) as Tensor).sum();
    const pending = loss.backward(); // PyTorch habit: no await
    expect(() => opt.step()).toThrow(
      /while a backward\(\) that writes it is still running: await loss\.backward\(\) first/,
    );
    expect(() => opt.zeroGrad()).toThrow(/await loss\.backward\(\)/);
    await pending;
    const before = values(model.parameters()[0]!);
    opt.step();
    expect(values(model.parameters()[0]!)).not.toEqual(before);
    await compiled.dispose();
  });
});

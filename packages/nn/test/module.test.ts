import { manualSeed, ones, randn, type Tensor, tensor, zeros } from "@aotjs/tensor";
import { describe, expect, test } from "vitest";
import {
  BatchNorm2d,
  Conv2d,
  Embedding,
  functionalCall,
  gptMini,
  Linear,
  Module,
  ModuleList,
  mlp,
  Parameter,
  ReLU,
  Sequential,
  WithLoss,
} from "../src/index.js";

const arr = (t: Tensor) => Array.from(t.data() as Float32Array, Number);

class Net extends Module {
  fc1 = new Linear(4, 3);
  act = new ReLU();
  blocks = [new Linear(3, 3), new Linear(3, 3, { bias: false })];
  scale = new Parameter(ones([1]));
  cache: Tensor = zeros([2]); // a plain tensor field: neither parameter nor buffer
  declare steps: Tensor;
  constructor() {
    super();
    this.registerBuffer("steps", zeros([1]));
    this.registerBuffer("scratch", zeros([1]), { persistent: false });
  }
  override forward(x: Tensor): Tensor {
    let y = this.act.forward(this.fc1.forward(x));
    for (const b of this.blocks) y = b.forward(y);
    return y.mul(this.scale);
  }
}

describe("Module registration", () => {
  test("parameters, buffers and children are found by walking fields in definition order", () => {
    const net = new Net();
    // Oracle: torch's naming (module pre-order, own params first, arrays as name.i).
    expect(net.namedParameters().map(([n, p]) => `${n}:${p.shape}`)).toEqual([
      "scale:1",
      "fc1.weight:3,4",
      "fc1.bias:3",
      "blocks.0.weight:3,3",
      "blocks.0.bias:3",
      "blocks.1.weight:3,3",
    ]);
    expect(net.namedBuffers().map(([n]) => n)).toEqual(["steps", "scratch"]);
    expect(net.namedChildren().map(([n]) => n)).toEqual(["fc1", "act", "blocks.0", "blocks.1"]);
    expect(net.namedModules().map(([n]) => n)).toEqual(["", "fc1", "act", "blocks.0", "blocks.1"]);
    // Oracle: state dict = params + persistent buffers; own before children.
    expect(Object.keys(net.stateDict())).toEqual([
      "scale",
      "steps",
      "fc1.weight",
      "fc1.bias",
      "blocks.0.weight",
      "blocks.0.bias",
      "blocks.1.weight",
    ]);
    expect(net.numParameters()).toBe(1 + 12 + 3 + 9 + 3 + 9);
    expect(net.parameters().every((p) => p instanceof Parameter && p.requiresGrad)).toBe(true);
  });

  test("Sequential and ModuleList name children 0, 1, ... and Sequential chains forward", () => {
    const seq = new Sequential(new Linear(2, 3), new ReLU(), new Linear(3, 1));
    expect(Object.keys(seq.stateDict())).toEqual(["0.weight", "0.bias", "2.weight", "2.bias"]);
    const x = randn([5, 2]);
    const manual = seq.at(2).forward(seq.at(1).forward(seq.at(0).forward(x)));
    expect(arr(seq.call(x))).toEqual(arr(manual));
    const list = new ModuleList([new Linear(1, 1)]).append(new Linear(1, 2));
    expect(list.length).toBe(2);
    expect(Object.keys(list.stateDict())).toEqual(["0.weight", "0.bias", "1.weight", "1.bias"]);
    expect(() => list.forward()).toThrow(/ModuleList has no forward/);
  });

  test("WithLoss is the model's forward then the loss, and holds the model's state under model.", () => {
    const net = new Linear(3, 2);
    const withLoss = new WithLoss(net, (out, y) => out.sub(y).square().sum());
    expect(Object.keys(withLoss.stateDict())).toEqual(["model.weight", "model.bias"]);
    expect(withLoss.parameters()).toEqual(net.parameters());
    const [x, y] = [randn([4, 3]), randn([4, 2])];
    expect(arr(withLoss.call(x, y))).toEqual(arr(net.forward(x).sub(y).square().sum()));
  });

  test("train/eval reach every descendant; zeroGrad clears grads", () => {
    const net = mlp([2, 4, 1]);
    expect(net.modules().every((m) => m.training)).toBe(true);
    net.eval();
    expect(net.modules().some((m) => m.training)).toBe(false);
    net.train();
    expect(net.modules().every((m) => m.training)).toBe(true);
    for (const p of net.parameters()) p.grad = ones(p.shape);
    net.zeroGrad();
    expect(net.parameters().every((p) => p.grad === null)).toBe(true);
  });

  test("getSubmodule, apply (children first) and an Embedding's zero padding row", () => {
    const seq = new Sequential(
      new Linear(2, 2),
      new Sequential(new ReLU(), new Embedding(4, 3, { paddingIdx: -1 })),
    );
    expect(seq.getSubmodule("1.1")).toBeInstanceOf(Embedding);
    expect(() => seq.getSubmodule("2")).toThrow("Sequential.getSubmodule: no submodule '2'");
    const order: string[] = [];
    seq.apply((m) => order.push(m.constructor.name));
    expect(order).toEqual(["Linear", "ReLU", "Embedding", "Sequential", "Sequential"]);
    // Oracle: torch zeroes the padding row at init; paddingIdx -1 is row 3 of 4.
    const emb = seq.getSubmodule("1.1") as Embedding;
    expect(emb.paddingIdx).toBe(3);
    expect(arr(emb.weight).slice(9)).toEqual([0, 0, 0]);
    expect(
      arr(emb.weight)
        .slice(0, 9)
        .every((v) => v !== 0),
    ).toBe(true);
    expect(emb.weight).toBeInstanceOf(Parameter);
  });

  test("registerBuffer rejects dotted names and names already used by parameters", () => {
    const lin = new Linear(2, 2);
    expect(() => lin.registerBuffer("a.b", zeros([1]))).toThrow(/without dots/);
    expect(() => lin.registerBuffer("weight", zeros([1]))).toThrow(/already a parameter/);
  });

  test("to(float64) casts parameters and buffers and keeps tied weights tied", () => {
    const gpt = gptMini({ vocab: 11, dModel: 8, nHead: 2, nLayer: 1, seqLen: 4, tieWeights: true });
    // Tied: one parameter under two state-dict names, counted once.
    expect(gpt.lm_head.weight).toBe(gpt.transformer.wte.weight);
    const names = gpt.namedParameters().map(([n]) => n);
    expect(names).toContain("transformer.wte.weight");
    expect(names).not.toContain("lm_head.weight");
    expect(Object.keys(gpt.stateDict())).toContain("lm_head.weight");
    gpt.to("float64");
    expect(gpt.parameters().every((p) => p.dtype === "float64" && p instanceof Parameter)).toBe(true);
    expect(gpt.lm_head.weight).toBe(gpt.transformer.wte.weight);
  });
});

describe("stateDict / loadStateDict", () => {
  test("round trip: a second model loaded from the first computes the same function", () => {
    manualSeed(1);
    const a = new Sequential(new Conv2d(2, 3, 3, { padding: 1 }), new BatchNorm2d(3));
    const b = new Sequential(new Conv2d(2, 3, 3, { padding: 1 }), new BatchNorm2d(3));
    a.train().forward(randn([2, 2, 4, 4])); // move a's running stats away from their initial values
    a.eval();
    b.eval();
    const x = randn([1, 2, 4, 4]);
    expect(arr(b.forward(x))).not.toEqual(arr(a.forward(x)));
    const result = b.loadStateDict(a.stateDict());
    expect(result).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(arr(b.forward(x))).toEqual(arr(a.forward(x)));
    expect(Number((b.at(1) as BatchNorm2d).num_batches_tracked!.item())).toBe(1);
    // Loading copies values: b's tensors stay b's own objects.
    expect(b.at(0).stateDict().weight).not.toBe(a.at(0).stateDict().weight);
  });

  test("missing key: names the key and the module's shape", () => {
    const m = new Linear(3, 2);
    const { weight } = m.stateDict();
    expect(() => m.loadStateDict({ weight: weight! })).toThrow(
      "Linear.loadStateDict: missing key 'bias' (the module's is f32[2])",
    );
  });

  test("unexpected key: names the key and its shape", () => {
    const m = new Linear(3, 2);
    const sd = { ...m.stateDict(), extra: zeros([4, 5]) };
    expect(() => m.loadStateDict(sd)).toThrow("Linear.loadStateDict: unexpected key 'extra' (f32[4,5])");
  });

  test("shape and dtype mismatch: names the key and both metas, even with strict: false", () => {
    const m = new Linear(3, 2);
    const wrong = { weight: zeros([2, 4]), bias: zeros([2]) };
    expect(() => m.loadStateDict(wrong, { strict: false })).toThrow(
      "Linear.loadStateDict: shape mismatch for 'weight': the state dict has f32[2,4], the module has f32[2,3]",
    );
    const wrongType = { weight: zeros([2, 3], { dtype: "float64" }), bias: zeros([2]) };
    expect(() => m.loadStateDict(wrongType)).toThrow(
      "dtype mismatch for 'weight': the state dict has f64[2,3], the module has f32[2,3]",
    );
  });

  test("strict: false reports missing and unexpected keys instead of throwing", () => {
    const m = new Linear(3, 2);
    const before = arr(m.weight);
    const r = m.loadStateDict(
      { bias: tensor([5, 6], { dtype: "float32" }), other: zeros([1]) },
      { strict: false },
    );
    expect(r).toEqual({ missingKeys: ["weight"], unexpectedKeys: ["other"] });
    expect(arr(m.bias!)).toEqual([5, 6]);
    expect(arr(m.weight)).toEqual(before);
  });

  test("several problems are reported together, and nothing is copied", () => {
    const m = new Linear(3, 2);
    const before = arr(m.bias!);
    expect(() => m.loadStateDict({ bias: zeros([3]), junk: zeros([1]) })).toThrow(
      /3 problems:\n {2}missing key 'weight'/,
    );
    expect(arr(m.bias!)).toEqual(before);
  });
});

describe("functionalCall", () => {
  test("substitutes named tensors for the call and restores the module's own", () => {
    const m = new Linear(2, 1);
    const own = m.weight;
    const w = tensor([[1, 2]], { dtype: "float32" });
    const b = tensor([10], { dtype: "float32" });
    // Oracle: x @ w^T + b by hand: 3*1 + 4*2 + 10.
    const y = functionalCall(m, { weight: w, bias: b }, [tensor([[3, 4]], { dtype: "float32" })]);
    expect(arr(y)).toEqual([21]);
    expect(m.weight).toBe(own);
  });

  test("restores the module's tensors when forward throws", () => {
    const m = new Linear(2, 1);
    const own = [m.weight, m.bias];
    // A [1,3] weight cannot multiply a [1,2] input: F.linear inside forward throws.
    expect(() => functionalCall(m, { weight: zeros([1, 3]), bias: zeros([1]) }, [zeros([1, 2])])).toThrow(
      "linear: input f32[1,2] and weight f32[1,3] do not fit",
    );
    expect(m.weight).toBe(own[0]);
    expect(m.bias).toBe(own[1]);
  });

  test("BatchNorm's in-place running-stat updates land on the substituted buffers, not the module's", () => {
    manualSeed(3);
    const bn = new BatchNorm2d(2);
    const rm = zeros([2]);
    const rv = ones([2]);
    const nbt = tensor(0, { dtype: "int64" });
    const x = randn([4, 2, 3, 3]);
    functionalCall(bn, { running_mean: rm, running_var: rv, num_batches_tracked: nbt }, [x]);
    // Oracle: running_mean = 0.9 * 0 + 0.1 * batch mean, computed by hand from the data.
    const data = Array.from(x.data() as Float32Array);
    const mean0 = data.filter((_, i) => Math.floor(i / 9) % 2 === 0).reduce((s, v) => s + v, 0) / 36;
    expect(arr(rm)[0]).toBeCloseTo(0.1 * mean0, 6);
    expect(Number(nbt.item())).toBe(1);
    expect(arr(bn.running_mean)).toEqual([0, 0]);
    expect(arr(bn.running_var)).toEqual([1, 1]);
    expect(Number(bn.num_batches_tracked.item())).toBe(0);
  });

  test("unknown names are errors; strict requires every name", () => {
    const m = new Linear(2, 1);
    expect(() => functionalCall(m, { wieght: zeros([1, 2]) }, [zeros([1, 2])])).toThrow(
      "functionalCall(Linear): 'wieght' is not a parameter or buffer of the module (it has weight, bias)",
    );
    expect(() => functionalCall(m, { weight: zeros([1, 2]) }, [zeros([1, 2])], { strict: true })).toThrow(
      /no tensor was given for bias/,
    );
  });

  test("a tied weight given under one name is substituted under all its names", () => {
    const gpt = gptMini({ vocab: 5, dModel: 4, nHead: 1, nLayer: 1, seqLen: 3, tieWeights: true });
    const w = zeros([5, 4]);
    // With the tied embedding and lm head both zero, every logit is exactly 0.
    const logits = functionalCall(gpt, { "transformer.wte.weight": w }, [tensor([[1, 2, 3]])]);
    expect(arr(logits).every((v) => v === 0)).toBe(true);
    expect(gpt.lm_head.weight).toBe(gpt.transformer.wte.weight);
    expect(gpt.lm_head.weight).not.toBe(w);
  });
});

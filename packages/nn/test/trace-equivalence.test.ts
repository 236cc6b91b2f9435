import { manualSeed, randint, randn, type Tensor } from "@aotjs/tensor";
import { describe, expect, test } from "vitest";
import {
  AdaptiveAvgPool2d,
  AvgPool2d,
  BatchNorm1d,
  BatchNorm2d,
  CausalSelfAttention,
  Conv2d,
  Dropout,
  Embedding,
  Flatten,
  GELU,
  gptMini,
  Identity,
  LayerNorm,
  Linear,
  MaxPool2d,
  type Module,
  mlp,
  ReLU,
  resnet18,
  Sequential,
  Sigmoid,
  SiLU,
  Softmax,
  Tanh,
} from "../src/index.js";
import { traceMatchesEager, values } from "./support.js";

type Case = [name: string, make: () => Module, inputs: () => Tensor[]];

const img =
  (n: number, c: number, h: number, w = h) =>
  () => [randn([n, c, h, w])];

const cases: Case[] = [
  ["Linear", () => new Linear(5, 3), () => [randn([2, 4, 5])]],
  ["Linear (no bias)", () => new Linear(5, 3, { bias: false }), () => [randn([4, 5])]],
  ["Conv2d", () => new Conv2d(3, 4, 3), img(2, 3, 6)],
  [
    "Conv2d (stride, padding, dilation, groups)",
    () => new Conv2d(4, 6, [3, 2], { stride: 2, padding: [2, 1], dilation: 2, groups: 2 }),
    img(2, 4, 9, 8),
  ],
  [
    "Conv2d (padding same, no bias)",
    () => new Conv2d(2, 2, 4, { padding: "same", bias: false }),
    img(1, 2, 5),
  ],
  ["BatchNorm2d", () => new BatchNorm2d(3), img(4, 3, 5)],
  ["BatchNorm2d (momentum null)", () => new BatchNorm2d(3, { momentum: null }), img(2, 3, 4)],
  [
    "BatchNorm2d (no running stats)",
    () => new BatchNorm2d(3, { trackRunningStats: false, affine: false }),
    img(2, 3, 4),
  ],
  ["BatchNorm1d", () => new BatchNorm1d(4), () => [randn([6, 4])]],
  ["LayerNorm", () => new LayerNorm([4, 5]), () => [randn([3, 4, 5])]],
  ["Embedding", () => new Embedding(10, 4), () => [randint(0, 10, [2, 3])]],
  ["Dropout", () => new Dropout(0.4), () => [randn([8, 16])]],
  ["ReLU", () => new ReLU(), () => [randn([3, 7])]],
  ["GELU", () => new GELU(), () => [randn([3, 7])]],
  ["GELU tanh", () => new GELU("tanh"), () => [randn([3, 7])]],
  ["Tanh", () => new Tanh(), () => [randn([3, 7])]],
  ["Sigmoid", () => new Sigmoid(), () => [randn([3, 7])]],
  ["SiLU", () => new SiLU(), () => [randn([3, 7])]],
  ["Softmax", () => new Softmax(-1), () => [randn([3, 7])]],
  ["Identity", () => new Identity(), () => [randn([3, 7])]],
  ["MaxPool2d", () => new MaxPool2d(3, { stride: 2, padding: 1 }), img(2, 3, 7)],
  ["AvgPool2d", () => new AvgPool2d(2), img(2, 3, 6)],
  ["AdaptiveAvgPool2d 1x1", () => new AdaptiveAvgPool2d(1), img(2, 3, 5)],
  ["AdaptiveAvgPool2d 5x7 -> 3x2", () => new AdaptiveAvgPool2d([3, 2]), img(2, 3, 5, 7)],
  ["Flatten", () => new Flatten(), img(2, 3, 2)],
  [
    "Sequential",
    () =>
      new Sequential(new Conv2d(2, 3, 3), new BatchNorm2d(3), new ReLU(), new Flatten(), new Linear(12, 2)),
    img(2, 2, 4),
  ],
  ["CausalSelfAttention", () => new CausalSelfAttention(8, 2, { dropout: 0.2 }), () => [randn([2, 5, 8])]],
  ["mlp", () => mlp([6, 8, 3], { activation: "gelu" }), () => [randn([4, 6])]],
  [
    "gptMini",
    () => gptMini({ vocab: 13, dModel: 8, nHead: 2, nLayer: 2, seqLen: 6, dropout: 0.1 }),
    () => [randint(0, 13, [2, 6])],
  ],
  ["resnet18", () => resnet18({ numClasses: 10 }), img(2, 3, 32)],
];

describe.each(["train", "eval"] as const)("trace + interpret equals eager (%s mode)", (mode) => {
  test.each(cases)("%s", (_name, make, inputs) => {
    manualSeed(42);
    const m = make();
    if (mode === "eval") m.eval();
    const { mutated } = traceMatchesEager(m, inputs(), 7);
    // BatchNorm with running stats updates its 3 buffers in training, none in evaluation.
    const bns = m
      .modules()
      .filter((x) => (x instanceof BatchNorm2d || x instanceof BatchNorm1d) && x.running_mean !== null);
    expect(mutated.length).toBe(mode === "train" ? 3 * bns.length : 0);
  });
});

test("BatchNorm2d running stats after one training step follow PyTorch's formula", () => {
  manualSeed(5);
  const bn = new BatchNorm2d(2);
  const x = randn([3, 2, 2, 2]);
  traceMatchesEager(bn, [x]);
  // Oracle: by hand, running = 0.9 * initial + 0.1 * batch statistic, unbiased variance (n - 1 = 11).
  const v = values(x);
  for (let c = 0; c < 2; c++) {
    const xs = v.filter((_, i) => Math.floor(i / 4) % 2 === c);
    const mean = xs.reduce((s, a) => s + a, 0) / xs.length;
    const unbiased = xs.reduce((s, a) => s + (a - mean) ** 2, 0) / (xs.length - 1);
    expect(values(bn.running_mean)[c]).toBeCloseTo(0.1 * mean, 6);
    expect(values(bn.running_var)[c]).toBeCloseTo(0.9 + 0.1 * unbiased, 6);
  }
  expect(values(bn.num_batches_tracked)).toEqual([1]);
});

test("Dropout: the traced graph replays the mask drawn at trace time, and the mask is not trivial", () => {
  manualSeed(11);
  const d = new Dropout(0.5);
  const x = randn([64]).abs().add(0.1); // no zeros in the input, so zeros in the output are dropped elements
  const { eagerOutputs } = traceMatchesEager(d, [x], 3);
  const out = values(eagerOutputs[0]!);
  const dropped = out.filter((v) => v === 0).length;
  expect(dropped).toBeGreaterThan(10);
  expect(dropped).toBeLessThan(54);
  // Oracle: kept elements are scaled by 1 / (1 - p) = 2.
  const xs = values(x);
  out.forEach((v, i) => {
    if (v !== 0) expect(v).toBeCloseTo(2 * xs[i]!, 5);
  });
});

import { manualSeed, randint, randn, tensor } from "@aotjs/tensor";
import { describe, expect, test } from "vitest";
import { CausalSelfAttention, Conv2d, GELU, gptMini, Linear, mlp, ReLU } from "../src/index.js";
import { maxAbsDiff, values } from "./support.js";

describe("mlp", () => {
  test("Linear/activation pairs named as a torch Sequential, no activation after the last layer", () => {
    const m = mlp([4, 8, 8, 2], { activation: "gelu" });
    expect(m.children().map((c) => c.constructor.name)).toEqual([
      "Linear",
      "GELU",
      "Linear",
      "GELU",
      "Linear",
    ]);
    expect(m.at(1)).toBeInstanceOf(GELU);
    expect(Object.keys(m.stateDict())).toEqual([
      "0.weight",
      "0.bias",
      "2.weight",
      "2.bias",
      "4.weight",
      "4.bias",
    ]);
    // Oracle: (4*8 + 8) + (8*8 + 8) + (8*2 + 2).
    expect(m.numParameters()).toBe(40 + 72 + 18);
    expect([...m.forward(randn([5, 4])).shape]).toEqual([5, 2]);
    expect(mlp([2, 3, 1]).at(1)).toBeInstanceOf(ReLU);
    expect(() => mlp([3])).toThrow("mlp: need at least an input and an output size, got [3]");
  });
});

describe("gptMini", () => {
  const config = { vocab: 17, dModel: 16, nHead: 4, nLayer: 2, seqLen: 8 };

  test("nanoGPT's names and parameter count; logits [B, T, vocab]", () => {
    manualSeed(0);
    const gpt = gptMini(config);
    const keys = Object.keys(gpt.stateDict());
    expect(keys.slice(0, 4)).toEqual([
      "transformer.wte.weight",
      "transformer.wpe.weight",
      "transformer.h.0.ln_1.weight",
      "transformer.h.0.ln_1.bias",
    ]);
    expect(keys).toContain("transformer.h.1.attn.c_attn.weight");
    expect(keys).toContain("transformer.h.1.mlp.c_proj.bias");
    expect(keys.slice(-3)).toEqual(["transformer.ln_f.weight", "transformer.ln_f.bias", "lm_head.weight"]);
    // Oracle: per block 2 LayerNorms (4d) + attn (d*3d + 3d + d*d + d) + mlp (d*4d + 4d + 4d*d + d) = 12d^2 + 13d,
    // plus embeddings (vocab + seqLen) * d, final LayerNorm 2d and the bias-free head vocab * d.
    const d = 16;
    expect(gpt.numParameters()).toBe(2 * (12 * d * d + 13 * d) + (17 + 8) * d + 2 * d + 17 * d);
    const logits = gpt.forward(randint(0, 17, [3, 5]));
    expect([...logits.shape]).toEqual([3, 5, 17]);
    expect(() => gpt.forward(randint(0, 17, [1, 9]))).toThrow(
      "GPT: idx i64[1,9] must be int64 [B, T] with T <= seqLen 8",
    );
  });

  test("causal: changing a later token leaves earlier logits unchanged", () => {
    manualSeed(1);
    const gpt = gptMini(config).eval();
    const a = gpt.forward(tensor([[1, 2, 3, 4, 5]]));
    const b = gpt.forward(tensor([[1, 2, 3, 9, 0]]));
    const first3 = (t: typeof a) => values(t.slice(1, 0, 3));
    expect(maxAbsDiff(first3(a), first3(b))).toBeLessThanOrEqual(1e-6);
    expect(maxAbsDiff(values(a.slice(1, 3, 5)), values(b.slice(1, 3, 5)))).toBeGreaterThan(1e-4);
  });

  test("init: N(0, 0.02) weights, residual projections scaled by 1/sqrt(2 nLayer), zero biases", () => {
    manualSeed(2);
    const gpt = gptMini({ vocab: 64, dModel: 64, nHead: 4, nLayer: 2, seqLen: 16 });
    const std = (xs: number[]) => Math.sqrt(xs.reduce((s, v) => s + v * v, 0) / xs.length);
    const sd = gpt.stateDict();
    expect(std(values(sd["transformer.h.0.mlp.c_fc.weight"]!)) / 0.02).toBeCloseTo(1, 1);
    expect(std(values(sd["transformer.h.0.attn.c_proj.weight"]!)) / (0.02 / Math.sqrt(4))).toBeCloseTo(1, 1);
    expect(values(sd["transformer.h.0.attn.c_attn.bias"]!).every((v) => v === 0)).toBe(true);
  });
});

describe("layer errors name the layer and the shapes", () => {
  test("Linear, Conv2d, CausalSelfAttention", () => {
    expect(() => new Linear(3, 2).forward(randn([4, 5]))).toThrow(
      "Linear(in_features=3, out_features=2, bias=true): linear: input f32[4,5] must end in 3 features",
    );
    expect(() => new Conv2d(3, 4, 3).forward(randn([1, 2, 5, 5]))).toThrow(
      "Conv2d(3, 4, kernel_size=(3, 3), stride=(1, 1)): conv2d: input f32[1,2,5,5] must be [N, 3, H, W] or [3, H, W]",
    );
    expect(() => new CausalSelfAttention(8, 2).forward(randn([2, 8]))).toThrow(
      /CausalSelfAttention\(n_embd=8, n_head=2\): attention: input f32\[2,8\]/,
    );
    expect(() => new CausalSelfAttention(8, 3)).toThrow(/nEmbd 8 must be a multiple of nHead 3/);
  });
});

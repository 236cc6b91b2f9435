// Regressions found in review: each test is what PyTorch does for the same call.
import "@aotjs/autograd";
import { ones, tensor, zeros } from "@aotjs/tensor";
import { describe, expect, it } from "vitest";
import { Embedding, F, Parameter, SGD } from "../src/index.js";
import { values } from "./helpers.js";

describe("review regressions", () => {
  it("Embedding: the paddingIdx row gets no gradient (torch's padding_idx)", async () => {
    const e = new Embedding(4, 2, { paddingIdx: 0 });
    const out = e.forward(tensor([0, 1, 0, 2]));
    // The forward value is the row itself (zeros at init), as torch.
    expect(values(out)).toEqual([
      0,
      0,
      ...values(e.weight).slice(2, 4),
      0,
      0,
      ...values(e.weight).slice(4, 6),
    ]);
    await out.sum().backward();
    expect(e.weight.grad?.toArray()).toEqual([
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ]);
  });

  it("F.embedding: a negative paddingIdx counts from the end", async () => {
    const w = new Parameter(ones([3, 2]));
    await F.embedding(tensor([[2, 1]]), w, -1)
      .sum()
      .backward();
    expect(w.grad?.toArray()).toEqual([
      [0, 0],
      [1, 1],
      [0, 0],
    ]);
    expect(() => F.embedding(tensor([0]), w, 3)).toThrow(/embedding: paddingIdx 3 is out of range/);
  });

  it("Optimizer.zeroGrad(false) zeroes NaN and infinite gradients too", () => {
    const p = new Parameter(zeros([2]));
    p.grad = tensor([Number.NaN, Number.POSITIVE_INFINITY]);
    new SGD([p], { lr: 0.1 }).zeroGrad(false);
    expect(p.grad?.toArray()).toEqual([0, 0]);
    expect(p.grad?.dtype).toBe("float32");
  });

  it("dropout with p = 1 stays connected to its input: the gradient is zeros", async () => {
    const x = ones([3], { requiresGrad: true });
    const y = F.dropout(x, 1, true);
    expect(y.toArray()).toEqual([0, 0, 0]);
    await y.sum().backward();
    expect(x.grad?.toArray()).toEqual([0, 0, 0]);
  });
});

// Eager checkpoint(). Oracle: the same function without checkpoint (PyTorch's contract: equal
// gradients), plus counting how often the function runs (once forward, once more in backward).
import { bernoulli, manualSeed, randn, Tensor } from "@aotjs/tensor";
import { describe, expect, test, vi } from "vitest";
import { AutogradError, checkpoint, gradSync, noGrad } from "../src/index.js";
import { expectClose } from "./support.js";

const f64 = { dtype: "float64" as const };

describe("checkpoint (eager)", () => {
  test("gradients equal the uncheckpointed function's, for arguments and captured tensors", () => {
    manualSeed(1);
    const w1 = randn([4, 6], { ...f64, requiresGrad: true });
    const w2 = randn([6, 3], { ...f64, requiresGrad: true });
    const x = randn([5, 4], { ...f64, requiresGrad: true });
    let runs = 0;
    const block = (h: Tensor) => {
      runs++;
      return h.matmul(w1).tanh().matmul(w2).relu();
    };
    const loss = (y: Tensor) => y.mul(y).sum();
    const plain = gradSync([loss(block(x))], [x, w1, w2]);
    runs = 0;
    const out = checkpoint(block, x);
    expect(runs).toBe(1);
    const checked = gradSync([loss(out)], [x, w1, w2]);
    expect(runs).toBe(2); // the backward reran the block
    checked.forEach((g, i) => {
      expectClose(g, plain[i]!, `grad ${i}`, 1e-12);
    });
  });

  test("the rerun draws the same random numbers (dropout-like masks match)", () => {
    manualSeed(7);
    const x = randn([64], { ...f64, requiresGrad: true });
    const noisy = (h: Tensor) => h.mul(bernoulli(h.shape, 0.5, f64)).sin();
    manualSeed(3);
    const plain = gradSync([noisy(x).sum()], [x])[0]!;
    manualSeed(3);
    const out = checkpoint(noisy, x);
    const after = randn([1]).item(); // draws between forward and backward must not matter
    const checked = gradSync([out.sum()], [x])[0]!;
    expectClose(checked, plain, "grad through the mask", 0);
    manualSeed(3);
    noisy(x);
    expect(randn([1]).item()).toBe(after); // and the generator was put back where it was
  });

  test("a second backward (retainGraph) reruns the region again; a nested region is part of the outer", () => {
    const x = randn([3], { ...f64, requiresGrad: true });
    let runs = 0;
    const inner = (h: Tensor) => {
      runs++;
      return h.exp();
    };
    const out = checkpoint((h: Tensor) => checkpoint(inner, h).mul(h), x);
    const v = x.detach();
    const expected = v.exp().mul(v.add(1)); // d(x e^x) = e^x (x + 1)
    const [g1] = gradSync([out.sum()], [x], { retainGraph: true });
    const [g2] = gradSync([out.sum()], [x]);
    expectClose(g1!, expected, "first backward", 1e-12);
    expectClose(g2!, expected, "second backward", 1e-12);
    expect(runs).toBe(3); // forward, then one rerun per backward
  });

  test("the forward keeps no tensor from inside the region (only the argument's snapshot)", () => {
    // Oracle: a tape node snapshots what it saves with detach(); count the snapshots taken while
    // the forward runs, with and without checkpoint.
    const x = randn([3], { ...f64, requiresGrad: true });
    const block = (h: Tensor) => h.exp().mul(h).sin();
    const spy = vi.spyOn(Tensor.prototype, "detach");
    try {
      block(x);
      const plain = spy.mock.calls.length;
      spy.mockClear();
      const out = checkpoint(block, x);
      expect(plain).toBeGreaterThanOrEqual(6); // three ops, inputs and output each
      expect(spy.mock.calls.length).toBe(1); // x, for the rerun
      spy.mockClear();
      gradSync([out.sum()], [x]);
      expect(spy.mock.calls.length).toBeGreaterThanOrEqual(6); // the rerun hands them out
    } finally {
      spy.mockRestore();
    }
  });

  test("a function that does different work when rerun is refused, naming the op", () => {
    const x = randn([3], { ...f64, requiresGrad: true });
    let first = true;
    const out = checkpoint((h: Tensor) => {
      const r = first ? h.exp() : h.sin();
      first = false;
      return r;
    }, x);
    expect(() => gradSync([out.sum()], [x])).toThrow(AutogradError);
    expect(() => gradSync([checkpoint((h: Tensor) => h, x).sum()], [x])).not.toThrow();
  });

  test("without grad mode it just runs the function", () => {
    const x = randn([3], { ...f64, requiresGrad: true });
    const y = noGrad(() => checkpoint((h: Tensor) => h.cos(), x));
    expect(y.requiresGrad).toBe(false);
    expect(() => checkpoint(3 as never)).toThrow(/must be a function/);
  });
});

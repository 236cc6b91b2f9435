// forwardBackward: a call and its loss.backward() as one joint graph. Oracles: eager autograd on the
// reference kernels (the module run without aot), and the same module through the split path
// (a call, then loss.backward()), whose graphs come from the same joint graph.
import { noGrad } from "@aotjs/autograd";
import { F, type Module, mlp, WithLoss } from "@aotjs/nn";
import { manualSeed, randint, randn, type Tensor } from "@aotjs/tensor";
import { describe, expect, it } from "vitest";
import { AotError, aotFunction, aotModule, nop } from "../src/index.js";
import { ConvLoss, values } from "./support.js";

/** The loss as the module's forward, so the compiled graph covers it. */
const mseLoss = (net: Module) => new WithLoss(net, F.mseLoss);

const grads = (m: Module) => m.parameters().map((p) => values(p.grad!));

describe("forwardBackward", () => {
  it("leaves the gradients eager autograd and the split path leave, and returns the loss", async () => {
    manualSeed(1);
    const model = mseLoss(mlp([6, 8, 3]));
    const x = randn([5, 6]);
    const y = randn([5, 3]);
    const eagerLoss = model.forward(x, y);
    await eagerLoss.backward();
    const eager = grads(model);
    model.zeroGrad();

    const compiled = aotModule(model, { fwCompiler: nop, bwCompiler: nop });
    await ((await compiled.forward(x, y)) as Tensor).backward();
    const split = grads(model);
    model.zeroGrad();

    const loss = (await compiled.forwardBackward(x, y)) as Tensor;
    // The joint graph is the one the split path's graphs were cut from: same ops, same order of
    // rounding, so the gradients are equal bit for bit.
    expect(grads(model)).toEqual(split);
    eager.forEach((g, i) => {
      grads(model)[i]!.forEach((v, j) => {
        expect(v).toBeCloseTo(g[j]!, 5);
      });
    });
    expect(values(loss)[0]).toBeCloseTo(values(eagerLoss)[0]!, 6);
    expect(loss.requiresGrad).toBe(false);
    expect(loss.gradFn).toBeNull();
    expect(compiled.lastGraphs.joint).toBeDefined();
    expect(compiled.lastGraphs.backward).toBeUndefined();
  });

  it("accumulates into .grad like backward(), and caches the joint graph on the signature", async () => {
    manualSeed(2);
    const model = mseLoss(mlp([4, 5, 2]));
    const compiled = aotModule(model, { fwCompiler: nop, bwCompiler: nop });
    const x = randn([3, 4]);
    const y = randn([3, 2]);
    await compiled.forwardBackward(x, y);
    const once = grads(model);
    await compiled.forwardBackward(x, y);
    expect(grads(model)).toEqual(once.map((g) => g.map((v) => Math.fround(v * 2))));
    expect(compiled.stats()).toMatchObject({ calls: 2, compiles: 1, cacheHits: 1 });
    // A plain call on the same shapes is a different entry (forward and backward graphs).
    await compiled.forward(x, y);
    expect(compiled.stats().recompileReasons).toEqual(["called through forwardBackward -> a call"]);
  });

  it("writes BatchNorm's running statistics back, as a call does", async () => {
    manualSeed(3);
    const x = randn([2, 3, 5, 5]);
    const y = randint(0, 3, [2]);
    const a = new ConvLoss();
    const b = new ConvLoss();
    b.loadStateDict(a.stateDict());
    const viaCall = aotModule(a, { fwCompiler: nop, bwCompiler: nop });
    const viaJoint = aotModule(b, { fwCompiler: nop, bwCompiler: nop });
    await ((await viaCall.forward(x, y)) as Tensor).backward();
    await viaJoint.forwardBackward(x, y);
    expect(b.buffers().map(values)).toEqual(a.buffers().map(values));
    expect(values(b.buffers()[0]!)).not.toEqual(Array(4).fill(0)); // the running mean moved
    expect(grads(b)).toEqual(grads(a));
  });

  it("backprops into eager history upstream of its arguments", async () => {
    manualSeed(4);
    const w = randn([3, 3], { requiresGrad: true });
    const x0 = randn([2, 3], { requiresGrad: true });
    const f = aotFunction((x: Tensor, v: Tensor) => x.matmul(v).tanh().sum(), {
      fwCompiler: nop,
      bwCompiler: nop,
    });
    const x = x0.mul(2); // eager, so the compiled call's argument has a grad_fn
    await f.forwardBackward(x, w);
    const viaJoint = [values(x0.grad!), values(w.grad!)];
    x0.grad = null;
    w.grad = null;
    await x0.mul(2).matmul(w).tanh().sum().backward();
    expect(viaJoint[0]).toEqual(values(x0.grad!));
    expect(viaJoint[1]).toEqual(values(w.grad!));
  });

  it("draws what a call draws: dropout's mask from the same seed", async () => {
    const w = randn([6, 4], { requiresGrad: true });
    const f = (x: Tensor, v: Tensor) => F.dropout(x.matmul(v).tanh(), 0.5, true).sum();
    const compiled = aotFunction(f, { fwCompiler: nop, bwCompiler: nop });
    const x = randn([3, 6]);
    manualSeed(7);
    await ((await compiled(x, w)) as Tensor).backward();
    const split = values(w.grad!);
    w.grad = null;
    manualSeed(7);
    await compiled.forwardBackward(x, w);
    expect(values(w.grad!)).toEqual(split);
    w.grad = null;
    manualSeed(7); // eager, the oracle for the mask
    await f(x, w).backward();
    values(w.grad!).forEach((v, i) => {
      expect(v).toBeCloseTo(split[i]!, 5);
    });
  });

  it("serves every batch size from one symbolic joint graph (dynamic 'auto')", async () => {
    const w = randn([6, 4], { requiresGrad: true });
    const f = (x: Tensor, v: Tensor) => x.matmul(v).tanh().square().mean();
    const compiled = aotFunction(f, { fwCompiler: nop, bwCompiler: nop });
    for (const batch of [3, 5, 7]) {
      const x = randn([batch, 6]);
      await compiled.forwardBackward(x, w);
      const joint = values(w.grad!);
      w.grad = null;
      await f(x, w).backward(); // oracle: eager autograd
      values(w.grad!).forEach((v, i) => {
        expect(joint[i]).toBeCloseTo(v, 6);
      });
      w.grad = null;
    }
    // The second size made the batch symbolic; the third fits that graph.
    expect(compiled.stats()).toMatchObject({ compiles: 2, cacheHits: 1 });
    expect(compiled.lastGraphs.joint!.symbolic).toBeDefined();
  });

  it("refuses, naming what it got, a function without one 0-d differentiable output, and caches nothing", async () => {
    const w = randn([3, 2], { requiresGrad: true });
    const f = aotFunction((x: Tensor, v: Tensor) => x.matmul(v), { fwCompiler: nop });
    const run = () => f.forwardBackward(randn([4, 3]), w);
    await expect(run()).rejects.toThrow(AotError);
    await expect(run()).rejects.toThrow(/exactly one differentiable tensor, a 0-d loss.*f32\[4,2\]/);
    expect(f.stats()).toMatchObject({ compiles: 2, cacheSize: 0 });
    const two = aotFunction((x: Tensor) => [x.sum(), x.mul(2).sum()], { fwCompiler: nop });
    await expect(two.forwardBackward(randn([2], { requiresGrad: true }))).rejects.toThrow(
      /differentiable outputs: f32\[\], f32\[\]/,
    );
    // A non-differentiable second output is fine: it just comes back.
    const withCount = aotFunction((x: Tensor) => [x.square().sum(), x.gt(0).sum()], { fwCompiler: nop });
    const x = randn([4], { requiresGrad: true });
    const [, positive] = (await withCount.forwardBackward(x)) as Tensor[];
    expect(values(positive!)[0]).toBe(values(x).filter((v) => v > 0).length);
    expect(values(x.grad!)).toEqual(values(x).map((v) => Math.fround(2 * v)));
  });

  it("refuses when there is nothing to differentiate", async () => {
    const f = aotFunction((x: Tensor) => x.sum(), { fwCompiler: nop });
    await expect(f.forwardBackward(randn([3]))).rejects.toThrow(/no argument requires grad/);
    const g = randn([3], { requiresGrad: true });
    await expect(noGrad(() => f.forwardBackward(g))).rejects.toThrow(/grad mode is off/);
  });
});

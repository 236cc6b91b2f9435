// aotOptimizer on the reference interpreter (nop): the compiled step runs the same kernels on the
// same values as eager `step()`, which is the oracle, so parameters and state must be bit-equal.

import { TensorData } from "@aotjs/ir";
import { Optimizer, Parameter, SGD } from "@aotjs/nn";
import { randn, Tensor, tensor } from "@aotjs/tensor";
import { describe, expect, test } from "vitest";
import { AotError, aotOptimizer, nop } from "../src/index.js";
import { maxRelDiff, recordingCompiler } from "./support.js";
import { optimizerSuite, trainStepSuite } from "./support-optimizer.js";

optimizerSuite({ name: "the interpreter", compiler: () => nop, tol: { float32: 0, float64: 0 } });
trainStepSuite({
  name: "the interpreter",
  compiler: () => nop,
  tol: { float32: 0, float64: 0 },
  trainTol: 1e-5,
});

/** p -= lr * (grad + last grad), keeping the grad itself (no copy) as state: it aliases the step's input. */
class LastGradSGD extends Optimizer<{ lr: number }> {
  override readonly elementwise = true;
  structure() {
    return {};
  }
  advance(_s: Record<string, unknown>, o: { lr: number }) {
    return { negLr: -o.lr };
  }
  update(p: Tensor, grad: Tensor, state: Record<string, unknown>, _s: unknown, c: Record<string, unknown>) {
    const last = state.last as Tensor | undefined;
    p.add_((last ? grad.add(last) : grad).mul(c.negLr as Tensor));
    state.last = grad;
  }
}

describe("aotOptimizer graphs", () => {
  test("a reused gradient vector is never handed to a bucket of another dtype", async () => {
    // Oracle: eager SGD. Step 0 flattens only the float64 pair, step 1 only the float32 pair, of equal length.
    const make = () => [
      new Parameter(randn([3], { dtype: "float64" })),
      new Parameter(randn([2], { dtype: "float64" })),
      new Parameter(randn([3])),
      new Parameter(randn([2])),
    ];
    const eagerPs = make();
    const compiledPs = eagerPs.map((p) => new Parameter(new Tensor(p.toData())));
    const eager = new SGD(eagerPs, { lr: 0.5 });
    const compiled = aotOptimizer(new SGD(compiledPs, { lr: 0.5 }));
    for (const [step, withGrad] of [
      [0, [0, 1]],
      [1, [2, 3]],
      [2, [0, 1, 2, 3]],
    ] as const) {
      eagerPs.forEach((p, i) => {
        p.grad = (withGrad as readonly number[]).includes(i) ? randn(p.shape, { dtype: p.dtype }) : null;
        compiledPs[i]!.grad = p.grad && new Tensor(p.grad.toData());
      });
      eager.step();
      await compiled.step();
      compiledPs.forEach((p, i) => {
        expect(p.dtype, `step ${step}: param ${i}`).toBe(eagerPs[i]!.dtype);
        expect(p.data().constructor, `step ${step}: param ${i}`).toBe(eagerPs[i]!.data().constructor);
        expect(maxRelDiff(p, eagerPs[i]!), `step ${step}: param ${i}`).toBe(0);
      });
    }
    await compiled.dispose();
  });

  test("gradients that already are views of one buffer are not written over by the next step", async () => {
    const ps = [
      new Parameter(tensor([1, 2, 3], { dtype: "float32" })),
      new Parameter(tensor([4, 5], { dtype: "float32" })),
    ];
    const opt = aotOptimizer(new SGD(ps, { lr: 0.5 }));
    const shared = new Float32Array([1, 1, 1, 1, 1]);
    const setGrads = () => {
      ps[0]!.grad = new Tensor(new TensorData("float32", [3], shared.subarray(0, 3)));
      ps[1]!.grad = new Tensor(new TensorData("float32", [2], shared.subarray(3, 5)));
    };
    setGrads();
    await opt.step();
    const other = [ps[0]!.grad!, ps[1]!.grad!];
    ps[0]!.grad = randn([3]);
    ps[1]!.grad = randn([2]);
    await opt.step();
    // The caller's shared buffer still holds its gradients.
    expect([...shared]).toEqual([1, 1, 1, 1, 1]);
    expect(other.map((g) => g.toArray())).toEqual([
      [1, 1, 1],
      [1, 1],
    ]);
    await opt.dispose();
  });

  test("a state that keeps the step's own (flattened) gradient is not overwritten by the next step's", async () => {
    const make = () => [
      new Parameter(tensor([1, 2, 3], { dtype: "float32" })),
      new Parameter(tensor([4, 5], { dtype: "float32" })),
    ];
    const [eagerPs, compiledPs] = [make(), make()];
    const eager = new LastGradSGD(eagerPs, { lr: 0.5 });
    const compiled = aotOptimizer(new LastGradSGD(compiledPs, { lr: 0.5 }));
    for (let step = 0; step < 4; step++) {
      eagerPs.forEach((p, i) => {
        p.grad = randn(p.shape);
        compiledPs[i]!.grad = new Tensor(p.grad.toData());
      });
      eager.step();
      await compiled.step();
      compiledPs.forEach((p, i) => {
        expect(maxRelDiff(p, eagerPs[i]!), `step ${step}: param ${i}`).toBe(0);
      });
    }
    await compiled.dispose();
  });

  const model = () => [new Parameter(randn([3, 2])), new Parameter(randn([4])), new Parameter(randn([5, 5]))];

  test("hyper-parameters are 0-d inputs, not constants", async () => {
    const ps = model();
    const compiler = recordingCompiler();
    const opt = aotOptimizer(new SGD(ps, { lr: 0.1 }), { compiler, flattenBelow: 0 });
    for (const p of ps) p.grad = randn(p.shape);
    await opt.step();
    const g = compiler.graphs[0]!;
    const negLr = g.inputs.find((v) => v.name.startsWith("negLr"));
    expect(negLr?.meta).toEqual({ shape: [], dtype: "float32" });
    // Nothing in the graph holds the value of lr.
    expect(g.code).not.toMatch(/0\.1\b/);
    // Per parameter: the parameter and its grad in, the new parameter out.
    expect(g.inputs.filter((v) => v.name.startsWith("param_")).map((v) => v.meta.shape)).toEqual([
      [3, 2],
      [4],
      [5, 5],
    ]);
    expect(g.mutations.length).toBe(3);
    await opt.dispose();
  });

  test("flattened: one vector per group, dtype and state layout, whatever the number of parameters", async () => {
    const ps = model();
    const compiler = recordingCompiler();
    const opt = aotOptimizer(new SGD(ps, { lr: 0.1, momentum: 0.9 }), {
      compiler,
      flattenBelow: Number.POSITIVE_INFINITY,
    });
    for (let s = 0; s < 2; s++) {
      for (const p of ps) p.grad = randn(p.shape);
      await opt.step();
    }
    expect(compiler.graphs.length).toBe(1); // the momentum buffers exist before step 1 traces
    const g = compiler.graphs[0]!;
    expect(g.inputs.filter((v) => v.name.startsWith("param_")).map((v) => v.meta.shape)).toEqual([
      [6 + 4 + 25],
    ]);
    expect(g.mutations.length).toBe(2); // the parameters and the momentum buffers
    // The parameters now are views of one buffer: the next step concatenates them without a copy.
    const buffers = new Set(ps.map((p) => p.data().buffer));
    expect(buffers.size).toBe(1);
    await opt.dispose();
  });

  test("concatenated vectors stop at 2^20 elements (larger buffers are mapped fresh every step)", async () => {
    const make = () => [
      new Parameter(randn([400, 1000])),
      new Parameter(randn([400, 1000])),
      new Parameter(randn([400, 1000])),
    ];
    const ps = make();
    const ref = ps.map((p) => new Parameter(new Tensor(p.toData())));
    const compiler = recordingCompiler();
    const opt = aotOptimizer(new SGD(ps, { lr: 0.1 }), { compiler, flattenBelow: Number.POSITIVE_INFINITY });
    const eager = new SGD(ref, { lr: 0.1 });
    ps.forEach((p, i) => {
      p.grad = randn(p.shape);
      ref[i]!.grad = p.grad;
    });
    await opt.step();
    eager.step();
    const g = compiler.graphs[0]!;
    expect(g.inputs.filter((v) => v.name.startsWith("param_")).map((v) => v.meta.shape)).toEqual([
      [800000],
      [400, 1000],
    ]);
    // Oracle: eager SGD on a copy.
    ps.forEach((p, i) => {
      expect(maxRelDiff(p, ref[i]!), `param ${i}`).toBe(0);
    });
  });

  test("no grads: nothing runs, nothing compiles", async () => {
    const ps = model();
    const opt = aotOptimizer(new SGD(ps, { lr: 0.1 }));
    await opt.step();
    expect(opt.stats()).toEqual({ steps: 0, compiles: 0, cacheHits: 0, cacheSize: 0 });
  });

  test("a failing compile leaves parameters and state as they were, and the next step works", async () => {
    const ps = model();
    const sgd = new SGD(ps, { lr: 0.1, momentum: 0.9 });
    let fail = true;
    const opt = aotOptimizer(sgd, {
      compiler: (g) => {
        if (fail) throw new Error("no session today");
        return g;
      },
    });
    for (const p of ps) p.grad = randn(p.shape);
    const before = ps.map((p) => p.toData());
    await expect(opt.step()).rejects.toThrow(/no session today/);
    expect(ps.map((p) => p.toData())).toEqual(before);
    expect(sgd.state.size).toBe(0);
    fail = false;
    await opt.step();
    expect(sgd.state.size).toBe(3);
  });

  test("bad arguments are AotErrors", () => {
    expect(() => aotOptimizer({} as never)).toThrow(AotError);
    expect(() =>
      aotOptimizer(new SGD([new Parameter(tensor([1], { dtype: "float32" }))], { lr: 1 }), {
        flattenBelow: -1,
      }),
    ).toThrow(/flattenBelow must be a number >= 0, got -1/);
  });
});

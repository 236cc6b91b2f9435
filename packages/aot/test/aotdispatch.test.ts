// Ports of the cases in PyTorch's test/functorch/test_aotdispatch.py (TestAOTAutograd,
// TestPartitioning, TestAOTModuleSimplified): what each checks, not its code. Every comparison runs
// AOT against eager on equal inputs, under both partitioners (see `verifyAot`).
import { gradAsync, gradSync, noGrad } from "@aotjs/autograd";
import type { Graph, TensorData } from "@aotjs/ir";
import { BatchNorm2d, F, GELU, LayerNorm, Linear, Module, ReLU, Sequential } from "@aotjs/nn";
import { defaultPartition, minCutRematerializationPartition, type PartitionResult } from "@aotjs/partitioner";
import { Interpreter, manualSeed, ones, rand, randn, type Tensor, zeros } from "@aotjs/tensor";
import { describe, expect, it } from "vitest";
import { aotFunction, aotModule, nop, type PartitionFn } from "../src/index.js";
import {
  cloneInput,
  expectClose,
  numInsOuts,
  partitioners,
  recordingCompiler,
  values,
  verifyAot,
} from "./support.js";

const rg = { requiresGrad: true } as const;

describe("TestAOTAutograd", () => {
  // test_non_tensor_and_none_inputs
  it("non-tensor and null inputs", async () => {
    const f = (a: number, _b: null, c: Tensor) => c.mul(a);
    await verifyAot(f, [2, null, ones([3, 3], rg)]);
    await verifyAot(f, [2, null, ones([3, 3])]);
  });

  // test_single_output
  it("single output", async () => {
    manualSeed(0);
    const f = (a: Tensor, b: Tensor) => a.add(b);
    await verifyAot(f, [randn([3, 3], rg), randn([3, 3])]);
    await verifyAot(f, [randn([3, 3]), randn([3, 3])]);
    await verifyAot(f, [randn([3, 3], { ...rg, dtype: "float64" }), randn([3, 3], { dtype: "float64" })]);
  });

  // test_multi_output
  it("multiple outputs", async () => {
    manualSeed(1);
    const f = (a: Tensor, b: Tensor) => [a.add(b), a.sub(b)];
    await verifyAot(f, [randn([3, 3], rg), randn([3, 3])]);
    await verifyAot(f, [randn([3, 3]), randn([3, 3])]);
  });

  // test_multi_output_list (a JS array is both the tuple and the list; nest one level too)
  it("multiple outputs in nested lists", async () => {
    manualSeed(2);
    const f = (a: Tensor, b: Tensor) => [[a.add(b)], [a.sub(b), [a.mul(b)]]];
    await verifyAot(f, [randn([3, 3], rg), randn([3, 3])]);
    await verifyAot(f, [randn([3, 3]), randn([3, 3])]);
  });

  // test_no_grad_input_output
  it("every mix of inputs that do and don't require grad", async () => {
    manualSeed(3);
    const f = (a: Tensor, b: Tensor) => [a.cos(), b.cos(), a.mul(b)];
    for (const ra of [true, false])
      for (const rb of [true, false]) {
        await verifyAot(f, [randn([5], { requiresGrad: ra }), randn([5], { requiresGrad: rb })]);
      }
  });

  // test_some_outputs_dont_require_grad
  it("some outputs don't require grad (detach, a returned input)", async () => {
    manualSeed(4);
    const f = (a: Tensor, b: Tensor) => [a.detach(), b];
    await verifyAot(f, [randn([3, 3], rg), randn([3, 3], rg)]);
  });

  // test_inner_grad: torch.autograd.grad inside the function (gradSync is its synchronous form;
  // its result does not require grad, as without create_graph)
  it("a gradient computed inside the function", async () => {
    manualSeed(5);
    const foo = (x: Tensor) => gradSync([x.exp()], [x]);
    await verifyAot(foo, [randn([], rg)]);
  });

  // test_grad_context
  it("grad mode off compiles only an inference graph; on, forward and backward", async () => {
    const foo = (x: Tensor) => x.mul(2);
    const bw = recordingCompiler();
    const f = aotFunction(foo, { fwCompiler: nop, bwCompiler: bw });
    await noGrad(() => f(randn([], rg)));
    expect(bw.graphs).toHaveLength(0);
    expect(f.lastGraphs.inference).toBeDefined();

    const g = aotFunction(foo, { fwCompiler: nop, bwCompiler: bw });
    const out = await g(randn([], rg));
    // aotjs compiles the backward with the forward (PyTorch 1.13 waited for the first backward).
    expect(bw.graphs).toHaveLength(1);
    await out.sum().backward();
    expect(bw.graphs[0]!.nodes.length).toBeGreaterThanOrEqual(1);
  });

  // test_output_dict
  it("dict outputs and dict inputs", async () => {
    manualSeed(6);
    await verifyAot((x: Tensor) => ({ a: x, b: x }), [randn([3, 3], rg)]);
    await verifyAot((x: Tensor, y: Tensor) => ({ a: x, b: y.add(x) }), [randn([3], rg), randn([3])]);
    const double = (d: Record<string, Tensor>) =>
      Object.fromEntries(Object.entries(d).map(([k, v]) => [k, v.mul(2)]));
    await verifyAot(double, [{ a: randn([3], rg), b: randn([3], rg) }]);
  });

  // test_module: compiled_module(Sequential(Linear(32, 32), ReLU())) matches eager, grads included
  it("module: output and parameter grads equal eager", async () => {
    manualSeed(7);
    const mod = new Sequential(new Linear(32, 32), new ReLU());
    const inp = randn([32, 32]);
    const ref = mod.forward(inp) as Tensor;
    await ref.sum().backward();
    const refGrads = mod.namedParameters().map(([n, p]) => [n, p.grad!] as const);
    mod.zeroGrad();
    const out = await aotModule(mod, { fwCompiler: nop, bwCompiler: nop }).forward(inp);
    await out.sum().backward();
    expectClose(out, ref, "output");
    const params = new Map(mod.namedParameters());
    for (const [n, g] of refGrads) expectClose(params.get(n)!.grad, g, n);
  });

  // test_batchnorm: compiled BatchNorm2d(4) on ones(1, 4, 2, 2) runs forward and backward
  it("batchnorm forward and backward run", async () => {
    const mod = aotModule(new BatchNorm2d(4), { fwCompiler: nop, bwCompiler: nop });
    const out = await mod.forward(ones([1, 4, 2, 2]));
    await out.sum().backward();
    expect(mod.parameters().every((p) => p.grad !== null)).toBe(true);
  });

  // test_list_codegen: a compiler returning a boxed callable (an Executable taking one input list)
  it("a compiler returning an Executable over the input list", async () => {
    manualSeed(8);
    let calls = 0;
    const listNop = (g: Graph) => {
      const interp = new Interpreter(g);
      return {
        run: (inputs: readonly TensorData[]) => {
          calls++;
          return interp.run(inputs);
        },
      };
    };
    const f = (a: Tensor, b: Tensor, c: Tensor) => a.sin().mul(b.cos()).mul(c.sin());
    await verifyAot(f, [randn([5], rg), randn([5], rg), randn([5], rg)], {
      fwCompiler: listNop,
      bwCompiler: listNop,
    });
    expect(calls).toBe(4); // forward and backward, under two partitioners
  });

  // test_compilation_context: each compiler learns which graph it gets (by the graph's name)
  it("compilers see graphs named forward, backward and inference", async () => {
    const seen: [string, number][] = [];
    const compiler = (g: Graph) => {
      seen.push([g.name, g.nodes.length]);
      return g;
    };
    const f = aotFunction((x: Tensor) => x.sin().sin(), { fwCompiler: compiler });
    const out = await f(randn([5], rg));
    await f(randn([5]));
    await out.sum().backward();
    expect(seen.map(([n]) => n)).toEqual(["forward", "backward", "inference"]);
    // forward and inference: two sins; backward: cos, mul, per sin.
    expect(seen[0]![1]).toBe(2);
    expect(seen[2]![1]).toBe(2);
    expect(seen[1]![1]).toBeGreaterThanOrEqual(4);
  });

  // test_dupe_arg: the same tensor passed twice gets both gradients
  it("the same tensor passed twice", async () => {
    manualSeed(9);
    const x = randn([3, 3], rg);
    const f = (a: Tensor, b: Tensor) => a.mul(b).add(a);
    for (const [name, partitionFn] of partitioners) {
      const ex = x.detach().requiresGrad_();
      await f(ex, ex).sum().backward();
      const ax = x.detach().requiresGrad_();
      await (await aotFunction(f, { partitionFn })(ax, ax)).sum().backward();
      expectClose(ax.grad, ex.grad, `${name}: grad`);
    }
  });

  // test_input_mutation_simple_with_none_and_nontensor
  it("tensor, null and number inputs in one call", async () => {
    const f = (a: Tensor, _b: null, c: number) => a.mul(c);
    await verifyAot(f, [ones([3, 3], rg), null, 3]);
  });

  // test_input_mutation_simple / test_input_mutation_multiple, for inputs that don't require grad
  it("in-place updates of inputs are written back, as eager does", async () => {
    manualSeed(10);
    const f = (a: Tensor, b: Tensor, c: Tensor) => {
      a.mul_(2);
      c.mul_(3);
      return a.add(b).add(c);
    };
    const inputs = [randn([3, 3]), randn([3, 3], rg), randn([3, 3])];
    for (const [name, partitionFn] of partitioners) {
      const ref = cloneInput(inputs);
      const test = cloneInput(inputs);
      const refOut = f(ref[0]!, ref[1]!, ref[2]!);
      const comp = aotFunction(f, { partitionFn });
      const out = await comp(test[0]!, test[1]!, test[2]!);
      expectClose(out, refOut, `${name}: output`);
      for (const i of [0, 2]) expectClose(test[i], ref[i], `${name}: mutated input ${i}`);
      expect(values(test[1]!)).toEqual(values(inputs[1]!));
      expect(comp.lastGraphs.forward!.mutations.map((m) => m.input)).toEqual([0, 2]);
      await out.sum().backward();
      await refOut.sum().backward();
      expectClose(test[1]!.grad, ref[1]!.grad, `${name}: grad`);
    }
  });

  // test_input_mutation_simple with an input that requires grad: PyTorch functionalizes it and
  // backprops through the mutation; aotjs traces inputs as leaves, so it refuses at trace time.
  it("an in-place update of an input that requires grad is an error (differs from PyTorch)", async () => {
    const f = aotFunction((a: Tensor) => a.mul_(2).add(1));
    await expect(f(randn([3], rg).add(0))).rejects.toThrow(
      /in-place update of a leaf tensor that requires grad/,
    );
    expect(f.stats().cacheSize).toBe(0);
  });

  // test_input_mutation_batchnorm: running stats are mutated inputs while x, weight, bias need grads
  it("batchNorm with running statistics: outputs, grads and updated stats", async () => {
    manualSeed(11);
    const f = (x: Tensor, w: Tensor, b: Tensor, rm: Tensor, rv: Tensor) =>
      F.batchNorm(x, rm, rv, w, b, true, 0.5, 1e-5);
    const inputs = [randn([2, 5, 5, 5], rg), randn([5], rg), randn([5], rg), randn([5]), rand([5]).add(0.5)];
    for (const [name, partitionFn] of partitioners) {
      const ref = cloneInput(inputs);
      const test = cloneInput(inputs);
      const refOut = f(...(ref as [Tensor, Tensor, Tensor, Tensor, Tensor]));
      const out = await aotFunction(f, { partitionFn })(
        ...(test as [Tensor, Tensor, Tensor, Tensor, Tensor]),
      );
      expectClose(out, refOut, `${name}: output`);
      expectClose(test[3], ref[3], `${name}: running mean`);
      expectClose(test[4], ref[4], `${name}: running var`);
      await refOut.mul(refOut).sum().backward();
      await out.mul(out).sum().backward();
      for (const i of [0, 1, 2]) expectClose(test[i]!.grad, ref[i]!.grad, `${name}: grad ${i}`, 1e-4);
    }
  });

  // test_view_detach: an output that is a detached copy of the input beside one that isn't
  it("a detached input and a computed output", async () => {
    manualSeed(12);
    await verifyAot((a: Tensor) => [a.mul(2), a.detach()], [randn([3, 3], rg)]);
  });
});

describe("TestPartitioning", () => {
  const graphsOf = async (
    f: (...xs: Tensor[]) => Tensor,
    inputs: Tensor[],
    partitionFn: PartitionFn = minCutRematerializationPartition,
  ) => {
    const compiled = aotFunction(f, { partitionFn });
    await (await compiled(...inputs)).sum().backward();
    return compiled.lastGraphs;
  };

  // test_recompute_partitioning
  it("min-cut recompute: sin(sin(a)) + b equals eager", async () => {
    manualSeed(20);
    await verifyAot((a: Tensor, b: Tensor) => a.sin().sin().add(b), [rand([10, 10], rg), rand([10, 10], rg)]);
  });

  // test_meta_tensor_inplace_op: every value a compiler sees carries its shape and dtype
  it("every graph value has a meta", async () => {
    manualSeed(21);
    const fw = recordingCompiler();
    const m = aotModule(new Sequential(new Linear(16, 32), new GELU()), { fwCompiler: fw });
    await m.forward(randn([4, 8, 16], rg));
    for (const v of fw.graphs[0]!.values) {
      expect(v.meta.dtype).toBeTypeOf("string");
      expect(Array.isArray(v.meta.shape)).toBe(true);
    }
  });

  // test_default_partitioner_getitem: layer norm with weight and bias under the default partition.
  // PyTorch (native_layer_norm, one node with three outputs: y, mean, rstd) gives fw (3, 6),
  // bw (6, 3). Here layerNorm is one node with one output whose rule recomputes the statistics
  // from x, so the default partition saves only x and weight: fw (3, 3), bw (3, 3).
  it("default partition of layer norm: fw (3, 3), bw (3, 3)", async () => {
    manualSeed(22);
    const mod = new LayerNorm([10]);
    const f = (x: Tensor, w: Tensor, b: Tensor) => F.layerNorm(x, [10], w, b, 1e-6);
    const inputs = [
      randn([3, 10], rg),
      mod.weight!.detach().requiresGrad_(),
      mod.bias!.detach().requiresGrad_(),
    ];
    const g = await graphsOf(f, cloneInput(inputs), defaultPartition);
    const [fwIn, fwOut] = numInsOuts(g.forward);
    const [bwIn, bwOut] = numInsOuts(g.backward);
    expect([fwIn, fwOut, bwIn, bwOut]).toEqual([3, 3, 3, 3]);
    expect(g.forward!.nodes.map((n) => n.op)).toEqual(["layerNorm"]);
    await verifyAot(f, inputs, { tol: 1e-4 });
  });

  // Not in PyTorch's file: training-mode batch norm with running statistics. batchNorm is one node
  // whose rule reads the centered x and weight and recomputes the batch statistics with the same
  // ops as the running-stat update, so after CSE the default partition saves the centered x,
  // weight and rstd [1, C, 1, 1]: one full-size tensor (the decomposition saved the normalized x too).
  it("default partition of training batch norm saves the centered x, weight and rstd", async () => {
    manualSeed(23);
    const f = (x: Tensor, w: Tensor, b: Tensor, rm: Tensor, rv: Tensor) =>
      F.batchNorm(x, rm, rv, w, b, true, 0.1, 1e-5);
    const inputs = [randn([4, 3, 5, 5], rg), rand([3], rg), randn([3], rg), zeros([3]), ones([3])];
    const g = await graphsOf(f, cloneInput(inputs), defaultPartition);
    expect(g.forward!.nodes.filter((n) => n.op === "batchNorm").length).toBe(1);
    const backwardInputs = g.backward!.inputs.map((v) => `${v.meta.shape}`);
    expect(backwardInputs.sort()).toEqual(["1,3,1,1", "3", "4,3,5,5", "4,3,5,5"]); // + the tangent
    expect(g.backward!.inputs.some((v) => v.name.startsWith("primals_1"))).toBe(false); // not x itself
    await verifyAot(f, inputs, { tol: 1e-4 });
  });

  // test_min_cut_partitioner_save_shape: sum's backward needs only the input's shape, which is
  // static here, so nothing at all is saved (PyTorch saves two symbolic sizes).
  it("min-cut saves nothing for a reduction whose backward needs only a shape", async () => {
    const g = await graphsOf((x: Tensor) => x.sum({ dim: 1 }), [ones([10, 10], rg)]);
    expect(numInsOuts(g.forward)).toEqual([1, 1]);
    expect(numInsOuts(g.backward)).toEqual([1, 1]);
    expect(g.forward!.outputs[0]!.name).toMatch(/^sum/);
  });

  // test_min_cut_partitioner
  it("min-cut: cos^3 and cos(cos(a+b+c+d)) save one value; mm(x, ones).tanh().tanh() saves the mm", async () => {
    manualSeed(23);
    let g = await graphsOf((x) => x.cos().cos().cos(), [randn([3], rg)]);
    expect(numInsOuts(g.forward)).toEqual([1, 2]);
    expect(numInsOuts(g.backward)).toEqual([2, 1]);

    g = await graphsOf(
      (a, b, c, d) => a.add(b).add(c).add(d).cos().cos(),
      [0, 1, 2, 3].map(() => randn([3], rg)),
    );
    expect(numInsOuts(g.forward)).toEqual([4, 2]);
    expect(numInsOuts(g.backward)).toEqual([2, 4]);

    // PyTorch saves the mm and the transposed ones (fw (1, 3)); here `ones` is a `full` node the
    // backward recomputes for free, so only the mm is saved: it is never recomputed.
    g = await graphsOf((x) => x.matmul(ones(x.shape)).tanh().tanh(), [randn([5, 5], rg)]);
    expect(numInsOuts(g.forward)).toEqual([1, 2]);
    expect(g.forward!.outputs[1]!.producer?.op).toBe("matmul");
    expect(g.backward!.nodes.filter((n) => n.op === "matmul")).toHaveLength(1); // only the grad's
  });

  // test_min_cut_partitioner_recomputable_ops
  it("min-cut with recomputable ops [] saves x*x; with [mul] recomputes it", async () => {
    manualSeed(24);
    const f = (x: Tensor) => x.mul(x).mul(x);
    const withOps =
      (ops: readonly ("mul" | "add")[]): PartitionFn =>
      (j, o): PartitionResult =>
        minCutRematerializationPartition(j, { ...o, recomputable: ops });
    let g = await graphsOf(f, [randn([3], rg)], withOps([]));
    expect(numInsOuts(g.forward)).toEqual([1, 3]);
    expect(numInsOuts(g.backward)).toEqual([3, 1]);
    g = await graphsOf(f, [randn([3], rg)], withOps(["mul"]));
    expect(numInsOuts(g.forward)).toEqual([1, 2]);
    expect(numInsOuts(g.backward)).toEqual([2, 1]);
    await verifyAot(f, [randn([3], rg)], { partitionFn: withOps(["mul"]) });
  });

  // test_contiguous: a view then a transpose, backprop with a given output gradient
  it("view then transpose, with an explicit output gradient", async () => {
    manualSeed(25);
    const f = (x: Tensor) => x.view([2, 3]).t();
    const inp = randn([6], rg);
    const g = randn([3, 2]);
    for (const [name, partitionFn] of partitioners) {
      const out = await aotFunction(f, { partitionFn })(inp);
      const [grad] = await gradAsync([out], [inp], { gradOutputs: [g] });
      const [ref] = await gradAsync([f(inp)], [inp], { gradOutputs: [g] });
      expectClose(grad, ref, `${name}: grad`);
    }
  });

  // test_preserve_random: dropout(x) + x with the same seed equals eager
  it("dropout with the same seed equals eager", async () => {
    const fn = (x: Tensor) => F.dropout(x, 0.5).add(x);
    manualSeed(26);
    const x = randn([4]);
    manualSeed(0);
    const ref = fn(x);
    manualSeed(0);
    const res = await aotFunction(fn, { fwCompiler: nop })(x);
    expect(values(res)).toEqual(values(ref));
  });
});

describe("TestAOTModuleSimplified", () => {
  // test_aot_module_simplified: input grads and parameter grads of a module with two inputs
  it("a module with two inputs that require grad", async () => {
    manualSeed(30);
    class MockModule extends Module {
      linear = new Linear(20, 30);
      override forward(x: Tensor, y: Tensor) {
        return [this.linear.forward(x).add(y)];
      }
    }
    const mod = new MockModule();
    const x = randn([128, 20], rg);
    const y = randn([128, 30], rg);
    const ref = mod.forward(x, y);
    await ref[0]!.sum().backward();
    const refW = mod.linear.weight.grad!;
    mod.zeroGrad();
    const [cx, cy] = cloneInput([x, y]);
    const res = await aotModule(mod).forward(cx!, cy!);
    await res[0]!.sum().backward();
    expectClose(res[0], ref[0], "output");
    expectClose(cx!.grad, x.grad, "x grad");
    expectClose(cy!.grad, y.grad, "y grad");
    expectClose(mod.linear.weight.grad, refW, "weight grad", 1e-4);
  });

  // test_real_weights_in_symbolic_mode: a module's real weights captured by a traced function are
  // not lifted to parameters: they are captured constants the runtime feeds, and get no gradient.
  it("captured real weights are constants, not parameters", async () => {
    manualSeed(31);
    const m = new Linear(5, 5).eval();
    const f = aotFunction((x: Tensor) => m.forward(x));
    const out = await f(ones([2, 5]));
    expectClose(
      out,
      noGrad(() => m.forward(ones([2, 5]))),
      "output",
    );
    const inputs = f.lastGraphs.inference!.inputs.map((v) => v.name);
    expect(inputs[0]).toBe("primals_1");
    expect(inputs.slice(1).every((n) => n.startsWith("_tensor_constant"))).toBe(true);
    expect(out.requiresGrad).toBe(false);
  });
});

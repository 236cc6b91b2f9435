// CompiledFunction: the calling convention computed once from the graphs' signatures (which leaf
// feeds each forward input, which forward output is each user output, which leaf each mutation
// and each gradient belongs to, where the backward's inputs come from), and a run through it
// against eager autograd. Oracles: the convention written out by hand from the function, and
// eager autograd on the same inputs.
import { GraphBuilder, meta, opNames, type PrimalRole } from "@aotjs/ir";
import { defaultPartition } from "@aotjs/partitioner";
import { defaultGenerator, manualSeed, randn, type Tensor, tensor } from "@aotjs/tensor";
import { describe, expect, it } from "vitest";
import { type Captured, capture } from "../src/capture.js";
import { CompiledFunction } from "../src/compiled-function.js";
import { callingConvention } from "../src/convention.js";
import { AotError, nop } from "../src/index.js";
import { expectClose } from "./support.js";

const options = (roles: readonly PrimalRole[]) => ({
  names: roles.map((_, i) => `in_${i}`),
  roles,
  supported: new Set(opNames),
  partitionFn: defaultPartition,
  who: "test",
});
const userInputs = (n: number): PrimalRole[] =>
  Array.from({ length: n }, (_, index) => ({ kind: "user_input", index }));

describe("the calling convention, from the signatures", () => {
  // A buffer updated in place, a captured constant, a random op, an output that takes no tangent,
  // and a weight that no output reaches; the result is an object.
  const c = tensor([1, 2, 3], { dtype: "float32" });
  const f = (x: Tensor, buf: Tensor, w: Tensor, _unused: Tensor) => {
    buf.mul_(0.5).add_(x.detach());
    const y = x
      .mul(w)
      .mul(c)
      .add(randn([3]));
    return { y, n: y.gt(0), s: y.sum() };
  };
  const leaves = [
    randn([3]).requiresGrad_(),
    randn([3]),
    randn([3]).requiresGrad_(),
    randn([3]).requiresGrad_(),
  ];
  const roles: PrimalRole[] = [
    { kind: "user_input", index: 0 },
    { kind: "buffer", path: "buf" },
    { kind: "parameter", path: "w" },
    { kind: "parameter", path: "unused" },
  ];
  const captured = capture(
    (...xs: Tensor[]) => f(xs[0]!, xs[1]!, xs[2]!, xs[3]!),
    leaves,
    true,
    options(roles),
  );
  const conv = callingConvention(captured);

  it("forward inputs: each leaf by its role, then the constant and the RNG state", () => {
    expect(captured.forward.signature.inputs).toEqual([
      ...roles,
      { kind: "constant", index: 0 },
      { kind: "rng_seed" },
      { kind: "rng_offset" },
    ]);
    expect(conv.inputs).toEqual([
      { kind: "leaf", leaf: 0 },
      { kind: "leaf", leaf: 1 },
      { kind: "leaf", leaf: 2 },
      { kind: "leaf", leaf: 3 },
      { kind: "constant", value: c.toData() },
      { kind: "rng_seed" },
      { kind: "rng_offset" },
    ]);
    // What eager randn([3]) takes from the generator.
    const start = defaultGenerator.offset;
    randn([3]);
    expect(conv.rngConsumed).toBe(defaultGenerator.offset - start);
  });

  it("forward outputs: user outputs 0..2 first, the buffer's new value, then what is saved", () => {
    expect(conv.userOutputs).toEqual([0, 1, 2]);
    expect(conv.mutations).toEqual([{ leaf: 1, output: 3 }]);
    expect([...conv.updatedLeaves]).toEqual([1]);
    const saved = captured.forward.signature.outputs.slice(4);
    expect(saved.length).toBeGreaterThan(0);
    expect(saved.every((r) => r.kind === "saved")).toBe(true);
  });

  it("backward: saved values by forward output, tangents of y and s (not of the bool n), one gradient per leaf that requires grad", () => {
    const bw = conv.backward!;
    expect(bw.differentiable).toEqual([0, 2]);
    const saved = bw.inputs.filter((s) => s.kind === "saved");
    expect(saved.map((s) => s.forwardOutput)).toEqual(captured.forward.outputs.slice(4).map((_, j) => 4 + j));
    expect(bw.inputs.slice(saved.length)).toEqual([
      { kind: "tangent", differentiable: 0 },
      { kind: "tangent", differentiable: 1 },
    ]);
    // x and w reach the outputs; `unused` does not, so its made-up zeros are not applied.
    expect(bw.gradients).toEqual([
      { leaf: 0, used: true },
      { leaf: 2, used: true },
      { leaf: 3, used: false },
    ]);
  });

  it("a graph input no call can feed is an AotError naming it", () => {
    const b = new GraphBuilder("forward");
    const x = b.input("x", meta([2]), { kind: "user_input", index: 5 });
    b.output([b.op("cos", [x])]);
    const bad: Captured = { ...captured, forward: b.build(), backward: undefined };
    expect(() => callingConvention(bad)).toThrow(AotError);
    expect(() => callingConvention(bad)).toThrow(
      "graph 'forward': input 0 'x' is the user input 5, which no argument is",
    );
  });
});

describe("a run through the convention", () => {
  it("equals eager: outputs in the function's structure, gradients on the right leaves, the buffer written back", async () => {
    manualSeed(3);
    const f = (w: Tensor, buf: Tensor, x: Tensor) => {
      buf.add_(1);
      return [x.mul(w).tanh(), { s: w.exp().sum() }];
    };
    const [w, buf, x] = [randn([4]).requiresGrad_(), randn([4]), randn([4])];
    const roles: PrimalRole[] = [
      { kind: "parameter", path: "tangents" },
      { kind: "buffer", path: "buf" },
      ...userInputs(1),
    ];
    const compiled = new CompiledFunction(
      capture((...xs: Tensor[]) => f(xs[0]!, xs[1]!, xs[2]!), [w, buf, x], true, options(roles)),
    );
    await compiled.compile({ forward: nop, backward: nop, inference: nop });
    const before = buf.clone();
    const out = (await compiled.run([w, buf, x], { seed: 0, offset: 0 })) as [Tensor, { s: Tensor }];
    await out[0].sum().add(out[1].s).backward();
    expectClose(buf, before.add(1), "buffer written back");
    // Eager on copies.
    const w2 = w.detach().requiresGrad_();
    const [e0, e1] = f(w2, before.clone(), x) as [Tensor, { s: Tensor }];
    await e0.sum().add(e1.s).backward();
    expectClose(out[0], e0, "user output 0");
    expectClose(out[1].s, e1.s, "user output 1");
    expectClose(w.grad, w2.grad, "gradient of the parameter named tangents");
  });

  it("run before compile is an AotError", async () => {
    const x = randn([2]);
    const compiled = new CompiledFunction(
      capture((a: Tensor) => a.cos(), [x], false, options(userInputs(1))),
    );
    await expect(compiled.run([x], { seed: 0, offset: 0 })).rejects.toThrow(
      /run\(\) before compile\(\) finished/,
    );
  });
});

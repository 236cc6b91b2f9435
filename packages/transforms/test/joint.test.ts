// jointGraph: the forward and backward traced together through the eager engine. Oracles: the
// structure PyTorch's AOT Autograd prints for the same function (the cos(cos(x)) seed example),
// the graph verifier (`lint`), and eager autograd on the same inputs for the numbers.

import { gradSync } from "@aotjs/autograd";
import { isFloating, meta } from "@aotjs/ir";
import { interpret, Tensor } from "@aotjs/tensor";
import { makeFx } from "@aotjs/tracer";
import { describe, expect, test } from "vitest";
import { jointGraph, jointGraphInfo } from "../src/index.js";
import { expectClose, positive, rng, uniform } from "./support.js";

const f32 = (shape: number[]) => Tensor.fake(meta(shape, "float32"));

/** Run a joint graph on real inputs and compare with eager gradSync on the same tangents. */
function checkAgainstEager(fn: (...xs: Tensor[]) => Tensor | Tensor[], inputs: Tensor[], needs: boolean[]) {
  const info = jointGraphInfo(fn, inputs, needs);
  info.graph.lint();
  const r = rng(5);
  const leaves = inputs.map((t, i) => (needs[i] ? t.detach().requiresGrad_() : t));
  const result = fn(...leaves);
  const outs = Array.isArray(result) ? result : [result];
  const roots = outs.filter((o) => o.requiresGrad && isFloating(o.dtype));
  expect(roots.length).toBe(info.numTangents);
  const tangents = roots.map((o) => uniform(r, o.shape));
  const wrt = leaves.filter((_, i) => needs[i]);
  const expected = gradSync(roots, wrt, { gradOutputs: tangents, allowUnused: true });
  const got = interpret(
    info.graph,
    [...inputs, ...tangents].map((t) => t.toData()).concat(info.constants.map((c) => c.value)),
  );
  expect(got.length).toBe(outs.length + wrt.length);
  outs.forEach((o, i) => {
    expectClose(got[i]!, o.detach().toData(), `forward output ${i}`, 0);
  });
  expected.forEach((g, i) => {
    expectClose(got[outs.length + i]!, g.toData(), `gradient ${i}`, 1e-12);
  });
}

describe("jointGraph", () => {
  test("cos(cos(x)) prints PyTorch's AOT joint structure: 2 cos forward, then sin, neg, mul per cos", () => {
    const g = jointGraph((x: Tensor) => x.cos().cos(), [f32([3])], [true]);
    expect(g.code).toMatchInlineSnapshot(`
      "function joint(primals_1: f32[3] /* user input 0 */, tangents_1: f32[3] /* tangent of output 0 */) {
        const cos: f32[3] = cos(primals_1);
        const cos_1: f32[3] = cos(cos);
        const sin: f32[3] = sin(cos);
        const neg: f32[3] = neg(sin);
        const mul: f32[3] = mul(tangents_1, neg);
        const sin_1: f32[3] = sin(primals_1);
        const neg_1: f32[3] = neg(sin_1);
        const mul_1: f32[3] = mul(mul, neg_1);
        return [cos_1 /* user output 0 */, mul_1 /* gradient of user input 0 */];
      }"
    `);
    expect(g.inputs.map((v) => v.name)).toEqual(["primals_1", "tangents_1"]);
    expect(g.outputs.map((v) => v.name)).toEqual(["cos_1", "mul_1"]);
    expect(g.nodes.map((n) => n.op)).toEqual(["cos", "cos", "sin", "neg", "mul", "sin", "neg", "mul"]);
    g.lint();
  });

  test("its numbers match eager autograd in float64", () => {
    checkAgainstEager((x) => x.cos().cos(), [uniform(rng(1), [3])], [true]);
  });

  test("an output that is not floating gets no tangent: [x.cos(), x.argmax()]", () => {
    const info = jointGraphInfo((x: Tensor) => [x.cos(), x.argmax()], [f32([4])], [true]);
    expect(info.numTangents).toBe(1);
    expect(info.outputRequiresGrad).toEqual([true, false]);
    expect(info.graph.inputs.map((v) => v.name)).toEqual(["primals_1", "tangents_1"]);
    expect(info.graph.outputs.map((v) => v.meta.dtype)).toEqual(["float32", "int64", "float32"]);
    info.graph.lint();
  });

  test("an output that does not depend on a primal requiring grad gets no tangent", () => {
    const fn = (x: Tensor, y: Tensor) => [y.sin(), x.cos(), y.exp()];
    const info = jointGraphInfo(fn, [f32([2]), f32([2])], [true, false]);
    expect(info.outputRequiresGrad).toEqual([false, true, false]);
    expect(info.numTangents).toBe(1);
    expect(info.graph.code).toMatchInlineSnapshot(`
      "function joint(primals_1: f32[2] /* user input 0 */, primals_2: f32[2] /* user input 1 */, tangents_1: f32[2] /* tangent of output 1 */) {
        const sin: f32[2] = sin(primals_2);
        const cos: f32[2] = cos(primals_1);
        const exp: f32[2] = exp(primals_2);
        const sin_1: f32[2] = sin(primals_1);
        const neg: f32[2] = neg(sin_1);
        const mul: f32[2] = mul(tangents_1, neg);
        return [sin /* user output 0 */, cos /* user output 1 */, exp /* user output 2 */, mul /* gradient of user input 0 */];
      }"
    `);
    checkAgainstEager(fn, [uniform(rng(2), [2]), uniform(rng(3), [2])], [true, false]);
  });

  test("inputs that do not require grad get no gradient output", () => {
    const fn = (a: Tensor, b: Tensor, c: Tensor) => a.mul(b).add(c).sum();
    for (const needs of [
      [true, false, false],
      [false, true, true],
      [true, true, true],
    ]) {
      const info = jointGraphInfo(fn, [f32([3]), f32([3]), f32([3])], needs);
      expect(info.graph.outputs.length, `${needs}`).toBe(1 + needs.filter(Boolean).length);
      expect(info.numPrimals).toBe(3);
      checkAgainstEager(
        fn,
        [1, 2, 3].map((s) => uniform(rng(s), [3])),
        needs,
      );
    }
  });

  test("no input requiring grad: no tangents, only the forward outputs", () => {
    const info = jointGraphInfo((x: Tensor) => x.exp(), [f32([2])], [false]);
    expect(info.numTangents).toBe(0);
    expect(info.graph.inputs.map((v) => v.name)).toEqual(["primals_1"]);
    expect(info.graph.outputs.length).toBe(1);
  });

  test("an unused input that requires grad gets a zero gradient", () => {
    const fn = (x: Tensor, _y: Tensor) => x.sin();
    const info = jointGraphInfo(fn, [f32([2]), f32([2, 2])], [true, true]);
    const last = info.graph.outputs.at(-1)!;
    expect(last.meta.shape).toEqual([2, 2]);
    expect(last.producer?.op).toBe("full");
    checkAgainstEager(fn, [uniform(rng(4), [2]), uniform(rng(5), [2, 2])], [true, true]);
  });

  test("returning a primal itself: its gradient is the tangent", () => {
    const fn = (x: Tensor) => [x, x.sin()];
    const info = jointGraphInfo(fn, [f32([2])], [true]);
    expect(info.numTangents).toBe(2);
    checkAgainstEager(fn, [uniform(rng(6), [2])], [true]);
  });

  test("the same value returned twice: its gradient sums both tangents", () => {
    // Oracle: hand-derived d/dx sin(sin x) = cos(sin x) cos x, times tangents_1 + tangents_2
    // (eager gradSync shares the engine, so it is not an independent oracle here).
    const fn = (x: Tensor) => {
      const v = x.sin().sin();
      return [v, v];
    };
    const r = rng(11);
    const x = uniform(r, [3]);
    const t1 = uniform(r, [3]);
    const t2 = uniform(r, [3]);
    const info = jointGraphInfo(fn, [x], [true]);
    expect(info.numTangents).toBe(2);
    info.graph.lint();
    const got = interpret(info.graph, [x.toData(), t1.toData(), t2.toData()]);
    expectClose(got[2]!, t1.add(t2).mul(x.sin().cos().mul(x.cos())).toData(), "gradient", 1e-12);
  });

  test("a multi-input function with broadcasting sums gradients back to each input's shape", () => {
    const fn = (a: Tensor, b: Tensor, c: Tensor) => a.mul(b).add(c.log()).div(b);
    const g = jointGraph(fn, [f32([2, 3]), f32([3]), f32([2, 1])], [true, true, true]);
    g.lint();
    expect(g.outputs.slice(1).map((v) => v.meta.shape)).toEqual([[2, 3], [3], [2, 1]]);
    expect(g.code).toMatchInlineSnapshot(`
      "function joint(
        primals_1: f32[2,3], // user input 0
        primals_2: f32[3], // user input 1
        primals_3: f32[2,1], // user input 2
        tangents_1: f32[2,3], // tangent of output 0
      ) {
        const mul: f32[2,3] = mul(primals_1, primals_2);
        const log: f32[2,1] = log(primals_3);
        const add: f32[2,3] = add(mul, log);
        const div: f32[2,3] = div(add, primals_2);
        const div_1: f32[2,3] = div(tangents_1, primals_2);
        const mul_1: f32[2,3] = mul(tangents_1, add);
        const mul_2: f32[3] = mul(primals_2, primals_2);
        const div_2: f32[2,3] = div(mul_1, mul_2);
        const neg: f32[2,3] = neg(div_2);
        const sum: f32[1,3] = sum(neg, {dims: [0], keepdim: true});
        const reshape: f32[3] = reshape(sum, {shape: [3]});
        const sum_1: f32[2,1] = sum(div_1, {dims: [1], keepdim: true});
        const div_3: f32[2,1] = div(sum_1, primals_3);
        const mul_3: f32[2,3] = mul(div_1, primals_2);
        const mul_4: f32[2,3] = mul(div_1, primals_1);
        const sum_2: f32[1,3] = sum(mul_4, {dims: [0], keepdim: true});
        const reshape_1: f32[3] = reshape(sum_2, {shape: [3]});
        const add_1: f32[3] = add(reshape, reshape_1);
        return [div /* user output 0 */, mul_3 /* gradient of user input 0 */, add_1 /* gradient of user input 1 */, div_3 /* gradient of user input 2 */];
      }"
    `);
    const r = rng(7);
    checkAgainstEager(fn, [uniform(r, [2, 3]), positive(r, [3]), positive(r, [2, 1])], [true, true, true]);
  });

  test("a linear weight shared over [B, T] rows gets its gradient from one 2-D matmul, no reduction", () => {
    // x [B, T, K] @ W^T: dW is x as [B*T, K] against the tangent as [B*T, N] (one GEMM), where the
    // batched product would be [B, K, N] followed by a sum over B.
    const fn = (x: Tensor, w: Tensor) => x.matmul(w.t());
    const g = jointGraph(fn, [f32([4, 6, 8]), f32([5, 8])], [true, true]);
    g.lint();
    expect(g.nodes.filter((n) => n.op === "sum")).toEqual([]);
    const matmuls = g.nodes
      .filter((n) => n.op === "matmul")
      .map((n) => n.inputs.map((v) => `${v.meta.shape}`));
    expect(matmuls).toEqual([
      ["4,6,8", "8,5"], // forward
      ["4,6,5", "5,8"], // dx
      ["8,24", "24,5"], // dW^T, transposed back to W's [5, 8] by the permute's rule
    ]);
    const r = rng(8);
    checkAgainstEager(fn, [uniform(r, [4, 6, 8]), uniform(r, [5, 8])], [true, true]);
  });

  test("of a forward Graph (from makeFx) equals that of the function", () => {
    const fns: [string, (...xs: Tensor[]) => Tensor, number[][]][] = [
      ["cos(cos(x))", (x) => x.cos().cos(), [[3]]],
      ["broadcasting", (a, b) => a.mul(b).sum({ dim: 1 }).exp(), [[2, 3], [3]]],
      [
        "matmul + relu",
        (a, b) => a.matmul(b).relu().mean(),
        [
          [2, 3],
          [3, 4],
        ],
      ],
    ];
    for (const [name, fn, shapes] of fns) {
      const inputs = shapes.map(f32);
      const graph = makeFx(fn)(...inputs);
      const needs = inputs.map(() => true);
      expect(jointGraph(graph, inputs, needs).code, name).toBe(jointGraph(fn, inputs, needs).code);
    }
  });

  test("example inputs may be metas; requiresGrad defaults to each tensor's flag", () => {
    const x = uniform(rng(8), [2]).requiresGrad_();
    const y = uniform(rng(9), [2]);
    expect(jointGraphInfo((a: Tensor, b: Tensor) => a.mul(b), [x, y]).numTangents).toBe(1);
    expect(jointGraph((a: Tensor, b: Tensor) => a.mul(b), [x, y]).outputs.length).toBe(2);
    expect(jointGraph((a: Tensor) => a.exp(), [meta([2], "float32")], [true]).outputs.length).toBe(2);
    expect(jointGraph((a: Tensor) => a.exp(), [meta([2], "float32")], [true], { name: "f" }).name).toBe("f");
  });

  test("bad arguments are named: flag count, and an integer input that requires grad", () => {
    expect(() => jointGraph((a: Tensor) => a, [f32([1])], [true, false])).toThrow(
      /2 requiresGrad flags for 1 inputs/,
    );
    expect(() => jointGraph((a: Tensor) => a, [meta([1], "int64")], [true])).toThrow(
      /int64 input cannot require grad/,
    );
  });

  test("the caller's tensors are not touched by tracing (no .grad, no history)", () => {
    const x = uniform(rng(10), [2]).requiresGrad_();
    jointGraph((a: Tensor) => a.mul(a).sum(), [x]);
    expect(x.grad).toBeNull();
    expect(x.isLeaf).toBe(true);
  });

  describe("the signature", () => {
    // Oracle: the roles written out from the function by hand.
    test("tangents belong to the outputs that take one; gradients to the primals that require grad", () => {
      const info = jointGraphInfo(
        (x: Tensor, y: Tensor) => [x.argmax(), x.cos().mul(y)],
        [f32([4]), f32([4])],
        [false, true],
      );
      expect(info.graph.signature).toEqual({
        inputs: [
          { kind: "user_input", index: 0 },
          { kind: "user_input", index: 1 },
          { kind: "tangent", output: 1 },
        ],
        outputs: [
          { kind: "user_output", index: 0 },
          { kind: "user_output", index: 1 },
          { kind: "gradient", of: { kind: "user_input", index: 1 } },
        ],
      });
      info.graph.lint();
    });

    test("primalRoles name parameters and buffers; an updated buffer is a mutation output before the gradients", () => {
      const fn = (w: Tensor, buf: Tensor, x: Tensor) => {
        buf.add_(x.detach());
        return x.mul(w).sum();
      };
      const info = jointGraphInfo(fn, [f32([3]), f32([3]), f32([3])], [true, false, true], {
        primalRoles: [
          { kind: "parameter", path: "tangents" },
          { kind: "buffer", path: "bn.running_mean" },
          { kind: "user_input", index: 0 },
        ],
      });
      expect(info.graph.signature.inputs.slice(0, 4)).toEqual([
        { kind: "parameter", path: "tangents" },
        { kind: "buffer", path: "bn.running_mean" },
        { kind: "user_input", index: 0 },
        { kind: "tangent", output: 0 },
      ]);
      expect(info.graph.signature.outputs).toEqual([
        { kind: "user_output", index: 0 },
        { kind: "mutation", input: 1 },
        { kind: "gradient", of: { kind: "parameter", path: "tangents" } },
        { kind: "gradient", of: { kind: "user_input", index: 0 } },
      ]);
      expect(info.numForwardOutputs).toBe(2);
      expect(info.graph.code).toContain("primals_1: f32[3] /* parameter tangents */");
      info.graph.lint();
    });

    test("as many primal roles as inputs", () => {
      expect(() => jointGraphInfo((x: Tensor) => x.cos(), [f32([2])], [true], { primalRoles: [] })).toThrow(
        "jointGraph: 0 primal roles for 1 inputs",
      );
    });
  });
});

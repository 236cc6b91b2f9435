// The joint graph over the whole op catalog. For every differentiable op and every sample (the
// shared table of @aotjs/op-samples, as Tensors: see support.ts), eager gradients (`.backward()` of
// `(op(...inputs) * w).sum()`) equal the gradients obtained by interpreting the joint graph with
// tangent `w` (oracle: the two paths through one rule table must agree to 1e-10 in float64; the
// forward outputs too), with all float inputs requiring grad and with one at a time.
// Non-differentiable ops get no tangent. (@aotjs/autograd's catalog test checks the rules
// themselves: gradcheck, shapes, PyTorch's conventions.)
import "@aotjs/autograd";
import { derivativeRules, notDifferentiable } from "@aotjs/autograd";
import { isFloating, type OpName, opNames } from "@aotjs/ir";
import { dispatch, interpret, Tensor } from "@aotjs/tensor";
import { describe, expect, test } from "vitest";
import { jointGraphInfo } from "../src/index.js";
import { expectClose, makeSamples, rng, type Sample, uniform, zerosOfMeta } from "./support.js";

const table = makeSamples();
const samplesOf = (op: OpName) => table[op] as readonly Sample[];
const run = (op: OpName, inputs: readonly Tensor[], attrs: unknown) => dispatch(op, inputs, attrs as never);

const differentiable = opNames.filter((op) => derivativeRules[op] !== notDifferentiable);
const notDifferentiableOps = opNames.filter((op) => derivativeRules[op] === notDifferentiable);

/** A deterministic seed per (op, sample) so each test's weights reproduce on their own. */
const seedOf = (op: string, i: number) => [...op].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 17) + i;

const weightsFor = (out: Tensor, seed: number): Tensor => uniform(rng(seed), out.shape).to(out.dtype);

interface Grads {
  readonly out: Tensor;
  /** One per input: the gradient, or null when the input does not need one (or got none). */
  readonly grads: readonly (Tensor | null)[];
}

/** Eager: fresh leaves for the inputs in `needs`, then `.backward()` of `(op(...) * w).sum()`. */
async function eagerGrads(
  op: OpName,
  s: Sample,
  needs: readonly boolean[],
  seed: number,
): Promise<Grads & { w: Tensor }> {
  const leaves = s.inputs.map((t, i) => (needs[i] ? t.detach().requiresGrad_() : t));
  const out = run(op, leaves, s.attrs);
  const w = weightsFor(out, seed);
  if (out.requiresGrad) await out.mul(w).sum().backward();
  return { out, w, grads: leaves.map((l, i) => (needs[i] ? l.grad : null)) };
}

/** Joint graph of the op, interpreted on the sample with tangent `w`. */
function jointGrads(op: OpName, s: Sample, needs: readonly boolean[], w: Tensor): Grads {
  const info = jointGraphInfo((...xs: Tensor[]) => run(op, xs, s.attrs), s.inputs, needs);
  info.graph.lint();
  const tangents = info.numTangents ? [w.toData()] : [];
  const results = interpret(info.graph, [
    ...s.inputs.map((t) => t.toData()),
    ...tangents,
    ...info.constants.map((c) => c.value),
  ]);
  expect(results.length).toBe(1 + needs.filter(Boolean).length);
  let next = 1;
  return {
    out: new Tensor(results[0]!),
    grads: needs.map((n) => (n ? new Tensor(results[next++]!) : null)),
  };
}

function expectSameGrads(actual: Grads, expected: Grads, what: string, tol = 1e-10) {
  expectClose(actual.out, expected.out, `${what}: forward output`, tol);
  expected.grads.forEach((e, i) => {
    const a = actual.grads[i];
    if (e === null && a === null) return;
    const ref = e ?? zerosOfMeta(a!);
    expectClose(a ?? zerosOfMeta(ref), ref, `${what}: gradient of input ${i}`, tol);
  });
}

const floatMask = (s: Sample) => s.inputs.map((t) => isFloating(t.dtype));

describe.each(notDifferentiableOps)("%s (not differentiable)", (op) => {
  test.each(samplesOf(op).map((s) => [s.name, s] as const))(
    "%s: no tangent, no output requires grad",
    (_, s) => {
      const info = jointGraphInfo((...xs: Tensor[]) => run(op, xs, s.attrs), s.inputs, floatMask(s));
      expect(info.numTangents).toBe(0);
      expect(info.outputRequiresGrad).toEqual([false]);
      expect(info.graph.signature.inputs.some((r) => r.kind === "tangent")).toBe(false);
    },
  );
});

describe.each(differentiable)("%s", (op) => {
  const samples = samplesOf(op).map((s, i) => [s.name, s, i] as const);
  test.each(samples)("%s: eager backward equals the interpreted joint graph", async (_, s, i) => {
    const needs = floatMask(s);
    const eager = await eagerGrads(op, s, needs, seedOf(op, i));
    if (!eager.out.requiresGrad) {
      // A non-float output (cast to int64, or an int input): nothing to compare but the forward.
      expect(jointGraphInfo((...xs: Tensor[]) => run(op, xs, s.attrs), s.inputs, needs).numTangents).toBe(0);
      return;
    }
    expectSameGrads(jointGrads(op, s, needs, eager.w), eager, `${op} ${s.name}`);
  });
});

const multiInput = differentiable.filter((op) =>
  samplesOf(op).some((s) => floatMask(s).filter(Boolean).length >= 2),
);

describe.each(multiInput)("%s with one input requiring grad", (op) => {
  const cases = samplesOf(op)
    .filter((s) => floatMask(s).filter(Boolean).length >= 2)
    .slice(0, 2)
    .flatMap((s, i) =>
      floatMask(s)
        .map((f, k) => [f, k] as const)
        .filter(([f]) => f)
        .map(([, k]) => [`${s.name}, only input ${k}`, s, k, i] as const),
    );
  test.each(cases)("%s: the joint graph's one gradient equals eager's", async (_, s, k, i) => {
    const only = floatMask(s).map((_, j) => j === k);
    const eager = await eagerGrads(op, s, only, seedOf(op, i));
    const joint = jointGrads(op, s, only, eager.w);
    expectSameGrads(joint, eager, `${op} joint`);
  });
});

describe("int and bool inputs get no gradient", () => {
  test("gather's index: the joint graph has one gradient output (x's), and the index cannot require grad", () => {
    const [x, index] = samplesOf("gather")[0]!.inputs as [Tensor, Tensor];
    const info = jointGraphInfo((a: Tensor, i: Tensor) => a.gather(0, i), [x, index], [true, false]);
    expect(info.graph.outputs.map((v) => v.meta.shape)).toEqual([index.shape, x.shape]);
    expect(() => jointGraphInfo((a: Tensor, i: Tensor) => a.gather(0, i), [x, index], [true, true])).toThrow(
      /int64 input cannot require grad/,
    );
  });

  test("scatterAdd's index: gradients for x and src only; a captured index becomes a joint-graph constant", () => {
    const [x, index, src] = samplesOf("scatterAdd")[0]!.inputs as [Tensor, Tensor, Tensor];
    const fn = (a: Tensor, s: Tensor) => a.scatterAdd(0, index, s);
    const info = jointGraphInfo(fn, [x, src], [true, true]);
    expect(info.constants.map((c) => c.value)).toEqual([index.toData()]);
    const w = uniform(rng(3), x.shape);
    const [, gx, gsrc] = interpret(info.graph, [
      x.toData(),
      src.toData(),
      w.toData(),
      ...info.constants.map((c) => c.value),
    ]);
    // Oracle: d/dx = w; d/dsrc[i][j] = w[index[i][j]][j].
    expectClose(gx!, w.toData(), "x gradient", 0);
    expectClose(gsrc!, w.gather(0, index).toData(), "src gradient", 0);
  });
});

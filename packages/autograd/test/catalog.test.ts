// An exhaustive walk of the op catalog. For every differentiable op and every sample (the shared
// table of @aotjs/op-samples, as Tensors: see support.ts):
//   - gradcheck in float64 (oracle: central finite differences of the op's reference kernel),
//     except samples marked `noGradcheck` (ties, float32 outputs) or `forwardOnly` (NaN, infinities,
//     empty tensors);
//   - the rule, called directly, gives one entry per input with the input's shape and dtype, and
//     null for integer and bool inputs.
// Non-differentiable ops: outputs never require grad, even from inputs that do. (The joint graph
// over the same samples, eager against traced, is @aotjs/transforms's catalog test.)
import { checkNode, isFloating, type OpName, opNames, Value } from "@aotjs/ir";
import { dispatch, type Tensor, zerosLike } from "@aotjs/tensor";
import { describe, expect, test } from "vitest";
import { type DerivativeRule, derivativeRules, gradcheck, noGrad, notDifferentiable } from "../src/index.js";
import {
  expectClose,
  fromValues,
  makeSamples,
  numbers,
  rng,
  type Sample,
  uniform,
  zerosOfMeta,
} from "./support.js";

const table = makeSamples();
const samplesOf = (op: OpName) => table[op] as readonly Sample[];
const run = (op: OpName, inputs: readonly Tensor[], attrs: unknown) => dispatch(op, inputs, attrs as never);

const NOT_DIFFERENTIABLE: readonly OpName[] = [
  "logicalNot",
  "eq",
  "ne",
  "lt",
  "le",
  "gt",
  "ge",
  "logicalAnd",
  "logicalOr", // bool results
  "argmax", // integer result
  "maxPool2dBackward", // see README: its derivative needs an argmax-select op the catalog lacks
  "full",
  "arange",
  "uniform",
  "bernoulli", // creation and random: no tensor inputs to differentiate
];
/**
 * Tighter than gradcheck's defaults (atol 1e-5, rtol 1e-3): in float64, central differences with
 * eps 1e-6 are accurate to about 1e-9 on these inputs, so a rule off by 1e-4 relative still fails.
 */
const TIGHT = { atol: 1e-7, rtol: 1e-6, raise: false } as const;

const differentiable = opNames.filter((op) => derivativeRules[op] !== notDifferentiable);

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
  const expected = isFloating(out.dtype) && needs.some(Boolean);
  expect(out.requiresGrad, "a float output of a differentiable op on a leaf that requires grad").toBe(
    expected,
  );
  if (out.requiresGrad) await out.mul(w).sum().backward();
  return { out, w, grads: leaves.map((l, i) => (needs[i] ? l.grad : null)) };
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

test("every op has samples, and every sample's inputs pass the op's shape rule", () => {
  for (const op of opNames) {
    expect(samplesOf(op).length, op).toBeGreaterThan(0);
    for (const s of samplesOf(op)) expect(() => run(op, s.inputs, s.attrs), `${op} ${s.name}`).not.toThrow();
  }
});

test("the non-differentiable ops are exactly the comparisons, logical ops, argmax, maxPool2dBackward, creation and random", () => {
  expect(opNames.filter((op) => derivativeRules[op] === notDifferentiable).sort()).toEqual(
    [...NOT_DIFFERENTIABLE].sort(),
  );
});

describe.each(NOT_DIFFERENTIABLE)("%s (not differentiable)", (op) => {
  test.each(samplesOf(op).map((s) => [s.name, s] as const))("%s: outputs never require grad", (_, s) => {
    const leaves = s.inputs.map((t) => (isFloating(t.dtype) ? t.detach().requiresGrad_() : t));
    const out = run(op, leaves, s.attrs);
    expect(out.requiresGrad).toBe(false);
    expect(out.gradFn).toBeNull();
  });
});

describe.each(differentiable)("%s", (op) => {
  const samples = samplesOf(op).map((s, i) => [s.name, s, i] as const);

  test.each(samples.filter(([, s]) => !s.noGradcheck && !s.forwardOnly))(
    "%s: gradcheck in float64",
    (_, s) => {
      const result = gradcheck((...xs) => run(op, xs, s.attrs), s.inputs, TIGHT);
      expect(result.passed, JSON.stringify(result.worst)).toBe(true);
    },
  );

  test.each(samples)(
    "%s: the rule gives one gradient per input, shaped like it, none for int/bool inputs",
    (_, s) => {
      const rule = derivativeRules[op] as DerivativeRule<OpName>;
      const attrs = checkNode(
        op,
        s.inputs.map((t, i) => new Value(`x${i}`, t.meta)),
        s.attrs,
        undefined,
      ).attrs;
      const output = noGrad(() => run(op, s.inputs, s.attrs));
      if (!isFloating(output.dtype)) return;
      const needsGrad = floatMask(s);
      const grads = noGrad(() =>
        rule(uniform(rng(1), output.shape).to(output.dtype), { inputs: s.inputs, output, attrs, needsGrad }),
      );
      expect(grads.length).toBe(s.inputs.length);
      grads.forEach((g, k) => {
        const x = s.inputs[k]!;
        if (!needsGrad[k]) expect(g, `input ${k} is ${x.dtype}`).toBeNull();
        else if (op === "sign")
          expect(g?.toArray(), "sign's derivative is zero, as PyTorch").toEqual(zerosLike(x).toArray());
        else expect(g?.meta, `input ${k}`).toEqual(x.meta);
      });
    },
  );
});

// ---- mixed needs-grad: only one input requires grad ----

const multiInput = differentiable.filter((op) =>
  samplesOf(op).some((s) => floatMask(s).filter(Boolean).length >= 2),
);

test("the ops with two or more float inputs are the binary, where, concat, scatterAdd, compute ops and the norms", () => {
  expect(multiInput).toEqual([
    "add",
    "sub",
    "mul",
    "div",
    "pow",
    "maximum",
    "minimum",
    "where",
    "concat",
    "scatterAdd",
    "matmul",
    "conv2d",
    "conv2dBackwardInput",
    "conv2dBackwardWeight",
    "batchNorm",
    "layerNorm",
  ]);
});

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

  test.each(cases)(
    "%s: same gradient as with all inputs, none for the others, and the rule skips them",
    async (_, s, k, i) => {
      const all = floatMask(s);
      const only = all.map((_, j) => j === k);
      const full = await eagerGrads(op, s, all, seedOf(op, i));
      const eager = await eagerGrads(op, s, only, seedOf(op, i));
      expect(eager.grads.filter((g) => g !== null).length).toBe(1);
      expectSameGrads(
        eager,
        { out: full.out, grads: full.grads.map((g, j) => (j === k ? g : null)) },
        `${op} eager`,
        0,
      );
      // The rule itself returns null for the inputs that do not need a gradient.
      const rule = derivativeRules[op] as DerivativeRule<OpName>;
      const attrs = checkNode(
        op,
        s.inputs.map((t, j) => new Value(`x${j}`, t.meta)),
        s.attrs,
        undefined,
      ).attrs;
      const grads = noGrad(() =>
        rule(eager.w, { inputs: s.inputs, output: eager.out.detach(), attrs, needsGrad: only }),
      );
      expect(grads.map((g) => g !== null)).toEqual(only);
    },
  );
});

// ---- integer and bool inputs ----

describe("int and bool inputs get no gradient", () => {
  const [gatherSample] = samplesOf("gather");
  const [whereSample] = samplesOf("where");

  test("gather's index cannot require grad", () => {
    const [, index] = gatherSample!.inputs as [Tensor, Tensor];
    expect(() => index.detach().requiresGrad_()).toThrow(/only floating tensors can require grad/);
  });

  test("where's condition: eager backward reaches only the two branches", async () => {
    const [c, a, b] = whereSample!.inputs as [Tensor, Tensor, Tensor];
    const [la, lb] = [a.detach().requiresGrad_(), b.detach().requiresGrad_()];
    const out = run("where", [c, la, lb], {});
    await out.sum().backward();
    // Oracle: d/da where(c, a, b) = c, d/db = !c (elementwise, same shapes here).
    expect(la.grad!.toArray()).toEqual(c.to("float64").toArray());
    expect(lb.grad!.toArray()).toEqual(c.logicalNot().to("float64").toArray());
    expect(c.grad).toBeNull();
  });

  test("gradcheck leaves integer and bool inputs alone (they are not perturbed or converted)", () => {
    const [c, a, b] = whereSample!.inputs as [Tensor, Tensor, Tensor];
    expect(gradcheck((cc, aa, bb) => run("where", [cc!, aa!, bb!], {}), [c, a, b]).passed).toBe(true);
  });
});

// ---- conventions where the derivative is not defined: PyTorch's values are the oracle ----

describe("conventions at kinks match PyTorch", () => {
  const grads = async (fn: (...xs: Tensor[]) => Tensor, ...values: number[][]) => {
    const leaves = values.map((v) => fromValues([v.length], v).requiresGrad_());
    await fn(...leaves)
      .sum()
      .backward();
    return leaves.map((l) => (l.grad ? numbers(l.grad) : null));
  };

  test("abs'(0) = 0 and relu'(0) = 0", async () => {
    expect(await grads((x) => x!.abs(), [-1, 0, 2])).toEqual([[-1, 0, 1]]);
    expect(await grads((x) => x!.relu(), [-1, 0, 2])).toEqual([[0, 0, 1]]);
  });

  test("maximum and minimum split ties evenly: d/dx max(x, x) = 1", async () => {
    expect(await grads((a, b) => a!.maximum(b!), [1, 2, 3], [1, 5, 0])).toEqual([
      [0.5, 0, 1],
      [0.5, 1, 0],
    ]);
    expect(await grads((a, b) => a!.minimum(b!), [1, 2, 3], [1, 5, 0])).toEqual([
      [0.5, 1, 0],
      [0.5, 0, 1],
    ]);
    expect(await grads((x) => x!.maximum(x!), [1, -2])).toEqual([[1, 1]]);
  });

  test("amax and amin share the gradient evenly among tied extremes", async () => {
    expect(await grads((x) => x!.amax(), [1, 3, 3, 0])).toEqual([[0, 0.5, 0.5, 0]]);
    expect(await grads((x) => x!.amin(), [0, 3, 0, 0])).toEqual([[1 / 3, 0, 1 / 3, 1 / 3]]);
  });

  test("pow at a zero base: d/da 0^0 = 0 and d/db 0^b = 0 for b >= 0", async () => {
    expect(await grads((a, b) => a!.pow(b!), [0, 0, 0, 2], [0, 1, 2, 0])).toEqual([
      [0, 1, 0, 0],
      [0, 0, 0, Math.log(2)],
    ]);
    expect(await grads((x) => x!.pow(0), [0, 3])).toEqual([[0, 0]]);
  });

  test("sqrt'(0) = inf and log'(0) = inf, as in PyTorch", async () => {
    expect(await grads((x) => x!.sqrt(), [0, 4])).toEqual([[Number.POSITIVE_INFINITY, 0.25]]);
    expect(await grads((x) => x!.log(), [0])).toEqual([[Number.POSITIVE_INFINITY]]);
  });
});

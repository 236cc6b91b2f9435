// The exact solver against brute force (the oracle: every saved subset of a small random graph
// tried, the least recompute cost within the cap, then the fewest bytes), and against the plan
// semantics worked out by hand.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { evaluatePlan, type Plan, type RecomputeProblem, solveBudget } from "../src/index.js";

interface Spec {
  numInputs: number;
  nodes: { inputs: number[]; bytes: number; cost: number; random: boolean; literal: boolean }[];
  /** Forward values the backward reads, by index modulo the value count: many, so that the
   * Lagrangian bound leaves gaps and the branching is exercised (without it this test fails). */
  needed: number[];
}

const spec: fc.Arbitrary<Spec> = fc.record({
  numInputs: fc.integer({ min: 1, max: 2 }),
  nodes: fc.array(
    fc.record({
      inputs: fc.array(fc.nat(40), { minLength: 1, maxLength: 3 }),
      bytes: fc.integer({ min: 1, max: 64 }),
      cost: fc.oneof(
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 1, max: 500 }).map((k) => k / 100),
      ),
      random: fc.integer({ min: 0, max: 9 }).map((k) => k < 2),
      literal: fc.integer({ min: 0, max: 9 }).map((k) => k === 0),
    }),
    { minLength: 1, maxLength: 12 },
  ),
  needed: fc.array(fc.nat(40), { minLength: 1, maxLength: 10 }),
});

function problemOf(s: Spec): RecomputeProblem {
  const n = s.numInputs + s.nodes.length;
  const inputsOf: number[][] = Array.from({ length: s.numInputs }, () => []);
  s.nodes.forEach((node, k) => {
    const i = s.numInputs + k;
    inputsOf.push([...new Set(node.inputs.map((x) => x % i))]);
  });
  const needed = new Uint8Array(n);
  for (const x of s.needed) needed[x % n] = 1;
  const bytes = new Float64Array(n);
  const cost = new Float64Array(n);
  s.nodes.forEach((node, k) => {
    bytes[s.numInputs + k] = node.bytes;
    cost[s.numInputs + k] = node.random ? Number.POSITIVE_INFINITY : node.cost;
  });
  return {
    numInputs: s.numInputs,
    inputsOf,
    backward: new Uint8Array(n),
    needed,
    bytes,
    cost,
    neverSave: Uint8Array.from({ length: n }, (_, i) =>
      i >= s.numInputs && s.nodes[i - s.numInputs]!.literal ? 1 : 0,
    ),
  };
}

function bruteForce(p: RecomputeProblem, cap: number): Plan | undefined {
  const n = p.backward.length;
  const free = Array.from({ length: n - p.numInputs }, (_, k) => p.numInputs + k).filter(
    (i) => !p.neverSave[i],
  );
  let best: Plan | undefined;
  for (let bits = 0; bits < 1 << free.length; bits++) {
    const mask = new Uint8Array(n);
    free.forEach((i, k) => {
      if (bits & (1 << k)) mask[i] = 1;
    });
    const plan = evaluatePlan(p, mask);
    if (!plan || plan.bytes > cap) continue;
    if (!best || plan.cost < best.cost - 1e-9 || (plan.cost <= best.cost + 1e-9 && plan.bytes < best.bytes))
      best = plan;
  }
  return best;
}

describe("solveBudget", () => {
  test("equals brute force on small random graphs, at every cap", () => {
    fc.assert(
      fc.property(spec, fc.double({ min: 0, max: 1, noNaN: true }), (s, fraction) => {
        const p = problemOf(s);
        const total = p.bytes.reduce((a, b) => a + b, 0);
        const cap = Math.floor(fraction * total);
        const exact = solveBudget(p, cap);
        const brute = bruteForce(p, cap);
        expect(exact === undefined).toBe(brute === undefined);
        if (!exact || !brute) return;
        expect(exact.bytes).toBeLessThanOrEqual(cap);
        expect(exact.cost).toBeCloseTo(brute.cost, 9);
        expect(exact.bytes).toBe(brute.bytes);
        // The plan is what its saved set implies.
        const mask = new Uint8Array(p.backward.length);
        for (const i of exact.saved) mask[i] = 1;
        expect(evaluatePlan(p, mask)).toEqual(exact);
      }),
      { numRuns: 400 },
    );
  });

  test("a chain: save the middle, or recompute it from the input", () => {
    // x -> a (cost 5, 8 B) -> b (cost 1, 8 B); the backward reads b.
    const p: RecomputeProblem = {
      numInputs: 1,
      inputsOf: [[], [0], [1]],
      backward: new Uint8Array(3),
      needed: Uint8Array.from([0, 0, 1]),
      bytes: Float64Array.from([0, 8, 8]),
      cost: Float64Array.from([0, 5, 1]),
      neverSave: new Uint8Array(3),
    };
    expect(solveBudget(p, 8)).toEqual({ saved: [2], recomputed: [], bytes: 8, cost: 0 });
    expect(solveBudget(p, 7)).toEqual({ saved: [], recomputed: [1, 2], bytes: 0, cost: 6 });
    // a may not be recomputed: with no room to save it or b, there is no plan.
    const banned = { ...p, cost: Float64Array.from([0, Number.POSITIVE_INFINITY, 1]) };
    expect(solveBudget(banned, 7)).toBeUndefined();
    expect(solveBudget(banned, 8)).toEqual({ saved: [2], recomputed: [], bytes: 8, cost: 0 });
  });
});

// Random chains of pointwise ops and reductions: whatever the program, both partitions must
// reproduce the joint graph exactly and the forward graph must never read a tangent.
import type { Tensor } from "@aotjs/tensor";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { defaultPartition, minCutRematerializationPartition } from "../src/index.js";
import { checkPartition, f32, joint } from "./support.js";

const UNARY = ["cos", "sin", "tanh", "sigmoid", "exp", "relu", "neg", "abs", "square"] as const;
const BINARY = ["add", "sub", "mul", "div", "maximum"] as const;
const REDUCE = ["sum", "mean", "amax"] as const;

type Step =
  | { kind: "unary"; op: (typeof UNARY)[number]; arg: number }
  | { kind: "binary"; op: (typeof BINARY)[number]; arg: number; other: number }
  | { kind: "reduce"; op: (typeof REDUCE)[number]; arg: number; dim: 0 | 1 }
  | { kind: "scalar"; arg: number; value: number };

// `arg` and `other` pick an earlier value by index modulo how many exist, so every program is valid.
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("unary" as const), op: fc.constantFrom(...UNARY), arg: fc.nat(20) }),
  fc.record({
    kind: fc.constant("binary" as const),
    op: fc.constantFrom(...BINARY),
    arg: fc.nat(20),
    other: fc.nat(20),
  }),
  fc.record({
    kind: fc.constant("reduce" as const),
    op: fc.constantFrom(...REDUCE),
    arg: fc.nat(20),
    dim: fc.constantFrom(0 as const, 1 as const),
  }),
  fc.record({ kind: fc.constant("scalar" as const), arg: fc.nat(20), value: fc.constantFrom(0.5, 2, -1, 3) }),
);

const program = fc.record({
  numInputs: fc.integer({ min: 1, max: 3 }),
  requiresGrad: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
  steps: fc.array(step, { minLength: 1, maxLength: 10 }),
  outputs: fc.array(fc.nat(20), { minLength: 1, maxLength: 3 }),
});

type Program = typeof program extends fc.Arbitrary<infer T> ? T : never;

function run(p: Program, xs: Tensor[]): Tensor[] {
  const vals = [...xs];
  const pick = (i: number) => vals[i % vals.length]!;
  for (const s of p.steps) {
    const a = pick(s.arg);
    if (s.kind === "unary") vals.push(a[s.op]());
    else if (s.kind === "binary") vals.push(a[s.op](pick(s.other)));
    else if (s.kind === "reduce") vals.push(a[s.op]({ dim: s.dim, keepdim: true }));
    else vals.push(a.mul(s.value));
  }
  // The last value is always an output, so the chain is never dead code.
  return [vals[vals.length - 1]!, ...p.outputs.map(pick)];
}

describe("random pointwise/reduction programs", () => {
  test("both partitions reproduce the joint graph exactly, and forward never reads a tangent", () => {
    fc.assert(
      fc.property(program, (p) => {
        const metas = Array.from({ length: p.numInputs }, () => f32(3, 4));
        const j = joint(
          (...xs) => run(p, xs) as unknown as Tensor,
          metas,
          p.requiresGrad.slice(0, p.numInputs),
        );
        const options = { numForwardOutputs: j.numForwardOutputs };
        const d = defaultPartition(j.graph, options);
        const m = minCutRematerializationPartition(j.graph, options);
        checkPartition(j, d);
        checkPartition(j, m);
        for (const r of [d, m]) {
          const tangents = new Set(
            j.graph.inputs
              .filter((_, i) => j.graph.signature.inputs[i]!.kind === "tangent")
              .map((v) => v.name),
          );
          expect(r.forward.inputs.some((v) => tangents.has(v.name))).toBe(false);
          expect(r.forward.nodes.some((n) => tangents.has(n.name))).toBe(false);
        }
      }),
      { numRuns: 150 },
    );
  });
});

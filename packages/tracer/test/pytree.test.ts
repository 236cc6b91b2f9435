import { randn, Tensor, tensor } from "@aotjs/tensor";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { countLeaves, flatten, PyTreeError, specKey, unflatten } from "../src/index.js";

describe("pytrees", () => {
  it("flattens depth-first, keeps non-tensors in the spec, and rebuilds the same tree", () => {
    const [a, b, c] = [randn([2]), randn([3]), randn([1])];
    const tree = { x: a, rest: [b, { y: c, lr: 0.1, name: "adam", skip: null }], flag: true };
    const { leaves, spec } = flatten(tree);
    expect(leaves).toEqual([a, b, c]);
    expect(countLeaves(spec)).toBe(3);
    const back = unflatten(spec, leaves) as typeof tree;
    expect(back).toEqual(tree);
    expect(back.rest[0]).toBe(b);
  });

  // Oracle: unflatten(flatten(t)) is structurally equal to t, for random trees.
  it("round-trips random trees", () => {
    const leaf = fc.oneof(
      fc.constant(null),
      fc.integer(),
      fc.boolean(),
      fc.string({ maxLength: 3 }),
      fc.nat(4).map((n) => tensor(new Float32Array(n))),
    );
    const { tree } = fc.letrec((tie) => ({
      tree: fc.oneof(
        { depthSize: "small" },
        leaf,
        fc.array(tie("tree"), { maxLength: 3 }),
        fc.dictionary(fc.string({ minLength: 1, maxLength: 2 }), tie("tree"), { maxKeys: 3 }),
      ),
    }));
    fc.assert(
      fc.property(tree, (t) => {
        const { leaves, spec } = flatten(t);
        expect(unflatten(spec, leaves)).toEqual(t);
        expect(leaves.every((l) => l instanceof Tensor)).toBe(true);
        expect(countLeaves(spec)).toBe(leaves.length);
      }),
      { numRuns: 200 },
    );
  });

  it("spec keys differ exactly when structure or non-tensor values differ", () => {
    const k = (t: unknown) => specKey(flatten(t).spec);
    expect(k([randn([2]), 1])).toBe(k([randn([5]), 1]));
    expect(k([randn([2]), 1])).not.toBe(k([randn([2]), 2]));
    expect(k({ a: randn([1]) })).not.toBe(k({ b: randn([1]) }));
    expect(k([randn([1])])).not.toBe(k([[randn([1])]]));
    expect(k([Number.NaN])).toBe(k([Number.NaN]));
  });

  it("rejects unsupported leaves and mismatched leaf counts with clear errors", () => {
    expect(() => flatten({ a: new Map() })).toThrow(PyTreeError);
    expect(() => flatten({ a: new Map() })).toThrow(/\.a is a Map/);
    const { spec } = flatten([randn([1]), randn([1])]);
    expect(() => unflatten(spec, [randn([1])])).toThrow(/more leaves/);
    expect(() => unflatten(spec, [randn([1]), randn([1]), randn([1])])).toThrow(/2 leaves but 3/);
  });
});

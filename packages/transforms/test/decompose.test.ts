// decompose(graph, supportedOps, table): oracles are the op set itself (every node of the result
// must be supported) and the reference interpreter (both graphs give the same numbers on random data).
import { type Graph, meta, type OpName, opNames, type TensorMeta } from "@aotjs/ir";
import { dispatch, interpret, Tensor, tensor, where } from "@aotjs/tensor";
import { makeFx } from "@aotjs/tracer";
import { describe, expect, test } from "vitest";
import { decompose, defaultDecompositions, jointGraph } from "../src/index.js";
import {
  awayFromZero,
  distinct,
  expectClose,
  fromValues,
  indices,
  positive,
  rng,
  uniform,
} from "./support.js";

const DECOMPOSABLE = Object.keys(defaultDecompositions) as OpName[];
const without = (...ops: OpName[]) => opNames.filter((op) => !ops.includes(op));
const fake = (shape: number[], dtype: TensorMeta["dtype"] = "float64") => Tensor.fake(meta(shape, dtype));

function expectOnly(g: Graph, supported: readonly OpName[]) {
  const allowed = new Set(supported);
  for (const n of g.nodes) expect(allowed.has(n.op), `node '${n.name}' is ${n.op}`).toBe(true);
  g.lint();
}

/** Interpret both graphs on the same inputs; every output must agree (`tol` relative, for floats). */
function expectSameResults(a: Graph, b: Graph, inputs: readonly Tensor[], tol = 1e-12) {
  expect(b.inputs.map((v) => v.meta)).toEqual(a.inputs.map((v) => v.meta));
  const data = inputs.map((t) => t.toData());
  const [ra, rb] = [interpret(a, data), interpret(b, data)];
  expect(rb.length).toBe(ra.length);
  ra.forEach((x, i) => {
    expectClose(rb[i]!, x, `output ${i}`, tol, tol);
  });
}

/** One function that uses every op with a default decomposition (plus some that have none). */
const everything = (x: Tensor, p: Tensor, i: Tensor) => [
  p.rsqrt(),
  x.reciprocal(),
  x.sigmoid(),
  x.relu(),
  x.sign(),
  x.logicalNot(),
  x.mean({ dim: 1 }),
  x.amin({ dim: [0, 1], keepdim: true }),
  x.unsqueeze(1).squeeze(1),
  x.sub(p).exp(),
  i.sign(),
  i.amin({ dim: 0 }),
  i.relu(),
  x.softmax(1),
  x.logSoftmax(0),
  dispatch("layerNorm", [x, p.select(0, 0), p.select(0, 1)], { normalizedRank: 1 }),
  dispatch("batchNorm", [x, p.select(0, 2), p.select(0, 1)], { eps: 1e-3 }),
];

describe("decompose", () => {
  const r = rng(11);
  const inputs = [awayFromZero(r, [3, 4]), positive(r, [3, 4]), indices(r, [3, 4], 9, "int32").sub(4)];
  const graph = makeFx(everything)(...inputs.map((t) => fake([...t.shape], t.dtype)));

  test("the sample graph uses every op that has a default decomposition", () => {
    const used = new Set(graph.nodes.map((n) => n.op));
    expect(DECOMPOSABLE.filter((op) => !used.has(op))).toEqual([]);
  });

  test("removing every decomposable op leaves only supported ops, and the same results", () => {
    const supported = without(...DECOMPOSABLE);
    const d = decompose(graph, supported);
    expectOnly(d, supported);
    expectSameResults(graph, d, inputs);
  });

  test.each(DECOMPOSABLE)("removing only %s: every other op is left alone", (op) => {
    const supported = without(op);
    const d = decompose(graph, supported);
    expectOnly(d, supported);
    expect(d.nodes.some((n) => n.op === op)).toBe(false);
    expectSameResults(graph, d, inputs);
  });

  test("decompositions nest: rsqrt -> sqrt + reciprocal -> sqrt + div when reciprocal is unsupported too", () => {
    const g = makeFx((x: Tensor) => x.rsqrt())(fake([4]));
    expect(decompose(g, without("rsqrt")).nodes.map((n) => n.op)).toEqual(["sqrt", "reciprocal"]);
    expect(decompose(g, without("rsqrt", "reciprocal")).nodes.map((n) => n.op)).toEqual([
      "sqrt",
      "full",
      "div",
    ]);
    expectSameResults(g, decompose(g, without("rsqrt", "reciprocal")), [positive(rng(1), [4])]);
  });

  test("sign: NaN stays NaN and 0 stays 0 on floats; ints exactly", () => {
    const g = makeFx((x: Tensor) => x.sign())(fake([5]));
    expectSameResults(g, decompose(g, without("sign")), [fromValues([5], [Number.NaN, 0, -3, 2, -0])]);
    const gi = makeFx((x: Tensor) => x.sign())(fake([4], "int64"));
    expectSameResults(gi, decompose(gi, without("sign")), [indices(rng(2), [4], 9).sub(4)]);
  });

  test("a graph that only uses supported ops is returned as it is", () => {
    expect(decompose(graph, opNames)).toBe(graph);
  });

  test("a table entry overrides the default", () => {
    const g = makeFx((x: Tensor) => x.relu())(fake([4]));
    expect(decompose(g, without("relu")).nodes.map((n) => n.op)).toContain("maximum");
    const mine = decompose(g, without("relu", "maximum"), { relu: ([x]) => where(x!.gt(0), x!, 0) });
    expectOnly(mine, without("relu", "maximum"));
    expect(mine.nodes.map((n) => n.op)).toContain("where");
    expectSameResults(g, mine, [awayFromZero(rng(3), [4])]);
  });

  test("a table entry can add a decomposition for an op with no default", () => {
    const g = makeFx((x: Tensor) => x.tanh())(fake([4]));
    const d = decompose(g, without("tanh"), { tanh: ([x]) => x!.mul(2).sigmoid().mul(2).sub(1) });
    expectOnly(d, without("tanh"));
    expectSameResults(g, d, [uniform(rng(4), [4])], 1e-14);
  });

  test("a missing decomposition throws, naming the op", () => {
    const g = makeFx((x: Tensor) => x.exp().cos())(fake([2]));
    expect(() => decompose(g, without("exp"))).toThrow(
      /op 'exp' is not supported by the target and has no decomposition/,
    );
    // The op a decomposition needs counts too: sigmoid needs exp.
    expect(() => decompose(makeFx((x: Tensor) => x.sigmoid())(fake([2])), without("sigmoid", "exp"))).toThrow(
      /'exp'/,
    );
  });

  test("a decomposition that produces its own op again throws instead of looping", () => {
    const g = makeFx((x: Tensor) => x.neg())(fake([2]));
    expect(() => decompose(g, without("neg"), { neg: ([x]) => x!.neg() })).toThrow(
      /'neg' keeps decomposing into itself/,
    );
  });

  test("a decomposition that captures a tensor constant is refused (it would add a graph input)", () => {
    const g = makeFx((x: Tensor) => x.tanh())(fake([3]));
    const table = { tanh: ([x]: readonly Tensor[]) => x!.mul(tensor([1, 2, 3], { dtype: "float64" })) };
    expect(() => decompose(g, without("tanh"), table)).toThrow(
      /captured a tensor constant \(_tensor_constant_0: f64\[3\]\)/,
    );
  });

  test("input mutations are preserved: same signature, same updated values", () => {
    const g = makeFx((x: Tensor, y: Tensor) => {
      x.sub_(y.sigmoid());
      return x.relu().mean();
    })(fake([3]), fake([3]));
    expect(g.mutations.length).toBe(1);
    const d = decompose(g, without("sub", "sigmoid", "relu", "mean"));
    expectOnly(d, without("sub", "sigmoid", "relu", "mean"));
    expect(d.mutations).toEqual(g.mutations);
    expect(d.signature).toEqual(g.signature);
    expect(d.outputs.length).toBe(g.outputs.length);
    expectSameResults(g, d, [uniform(rng(5), [3]), uniform(rng(6), [3])]);
  });

  test("a joint graph decomposes too, with the same gradients", () => {
    const joint = jointGraph((x: Tensor) => x.sigmoid().amin({ dim: 1 }).mean(), [fake([2, 3])], [true]);
    const supported = without("sigmoid", "amin", "mean", "reciprocal");
    const d = decompose(joint, supported);
    expectOnly(d, supported);
    expect(d.inputs.map((v) => v.name)).toEqual(["primals_1", "tangents_1"]);
    expect(d.signature).toEqual(joint.signature);
    expectSameResults(joint, d, [distinct(rng(7), [2, 3]), uniform(rng(8), [])]);
  });
});

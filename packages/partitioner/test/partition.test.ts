import { GraphBuilder, meta } from "@aotjs/ir";
import { partitionCases as cases, MiB } from "@aotjs/op-samples";
import { bernoulli, randn, type Tensor } from "@aotjs/tensor";
import { describe, expect, test } from "vitest";
import {
  defaultPartition,
  type MinCutOptions,
  minCutRematerializationPartition,
  PartitionError,
  partitionReport,
} from "../src/index.js";
import { checkPartition, f32, type Joint, joint, savedNames, signature } from "./support.js";

const minCut = (j: Joint, options: Omit<MinCutOptions, "numForwardOutputs"> = {}) =>
  minCutRematerializationPartition(j.graph, { numForwardOutputs: j.numForwardOutputs, ...options });
const byDefault = (j: Joint) => defaultPartition(j.graph, { numForwardOutputs: j.numForwardOutputs });

describe.each(cases)("$name", (c) => {
  const j = joint(c.fn, c.inputs);

  test("default partition saves what PyTorch's default_partition saves, and reproduces the joint", () => {
    const r = byDefault(j);
    expect(savedNames(r)).toEqual(c.defaultSaved);
    checkPartition(j, r);
  });

  test(`min-cut saves ${c.minCutSaved.join(", ")}, no more bytes than PyTorch 1.13 (${c.torch113.saves})`, () => {
    const r = minCut(j);
    expect(savedNames(r)).toEqual(c.minCutSaved);
    expect(partitionReport(r).savedBytes).toBeLessThanOrEqual(c.torch113.bytes);
    checkPartition(j, r);
  });
});

describe("the issue's shapes", () => {
  test("cos(cos(x)): the default forward is the design's example, with its roles", () => {
    const r = byDefault(joint((x) => x.cos().cos(), [f32(3)]));
    expect(savedNames(r)).toEqual(["primals_1", "cos"]);
    // Oracle: DESIGN.md's forward graph, plus the role comments.
    expect(r.forward.code).toBe(
      [
        "function forward(primals_1: f32[3] /* user input 0 */) {",
        "  const cos: f32[3] = cos(primals_1);",
        "  const cos_1: f32[3] = cos(cos);",
        "  return [cos_1 /* user output 0 */, primals_1 /* saved */, cos /* saved */];",
        "}",
      ].join("\n"),
    );
    expect(r.backward.signature.inputs).toEqual([
      { kind: "saved", forwardOutput: 1 },
      { kind: "saved", forwardOutput: 2 },
      { kind: "tangent", output: 0 },
    ]);
    expect(r.backward.signature.outputs).toEqual([
      { kind: "gradient", of: { kind: "user_input", index: 0 } },
    ]);
  });

  test("cos^3 under min-cut: forward (1 in, 2 out), backward (2 in, 1 out)", () => {
    const r = minCut(joint((x) => x.cos().cos().cos(), [f32(3)]));
    expect(signature(r.forward)).toEqual([1, 2]);
    expect(signature(r.backward)).toEqual([2, 1]);
  });

  test("cos(cos(a+b+c+d)) under min-cut: forward (4, 2), backward (2, 4)", () => {
    const r = minCut(
      joint((a, b, c, d) => a.add(b).add(c).add(d).cos().cos(), [f32(3), f32(3), f32(3), f32(3)]),
    );
    expect(signature(r.forward)).toEqual([4, 2]);
    expect(signature(r.backward)).toEqual([2, 4]);
  });

  test("x*x*x: forward (1, 3) with nothing recomputable, (1, 2) with mul recomputable", () => {
    const j = joint((x) => x.mul(x).mul(x), [f32(3)]);
    const none = minCut(j, { recomputable: [] });
    expect(signature(none.forward)).toEqual([1, 3]);
    expect(savedNames(none)).toEqual(["primals_1", "mul"]);
    checkPartition(j, none);
    const mul = minCut(j, { recomputable: ["mul"] });
    expect(signature(mul.forward)).toEqual([1, 2]);
    checkPartition(j, mul);
  });
});

describe("memory accounting beyond PyTorch", () => {
  const j = joint((a, b) => a.add(b).cos(), [f32(1024, 1024), f32(1024, 1024)]);

  test("inputs are cheap to save: (a+b).cos() keeps a and b, not a new 4 MiB sum", () => {
    expect(savedNames(minCut(j))).toEqual(["primals_1", "primals_2"]);
    expect(partitionReport(minCut(j)).savedBytesExcludingInputs).toBe(0);
  });

  test("with inputWeight 1 (PyTorch's accounting) the sum is saved instead", () => {
    expect(savedNames(minCut(j, { inputWeight: 1 }))).toEqual(["add"]);
  });

  test("a layout op on an input is recomputed, not saved", () => {
    const mm = joint((x, w) => x.matmul(w.t()).relu(), [f32(64, 128), f32(256, 128)]);
    const r = minCut(mm);
    expect(savedNames(r)).toEqual(["primals_1", "primals_2", "gt"]);
    expect(partitionReport(r).recomputed).toContain("permute");
    checkPartition(mm, r);

    const ex = joint((x, b) => x.add(b.reshape([1, 128]).expand([64, 128])).cos(), [f32(64, 128), f32(128)]);
    const re = minCut(ex);
    expect(savedNames(re)).toEqual(["primals_1", "primals_2"]);
    checkPartition(ex, re);
  });

  test("a bool mask beats the float it came from", () => {
    const r = minCut(joint((a, b, r) => a.add(b).relu().add(r), [f32(64), f32(64), f32(64)]));
    expect(r.savedValues.map((v) => v.meta.dtype)).toEqual(["bool"]);
  });
});

describe("recompute policy", () => {
  const dropoutLike = (x: Tensor) =>
    x
      .mul(bernoulli([256], 0.5).float())
      .mul(2)
      .sin();

  test("random ops are saved (as their 1-byte mask), not redrawn, by default", () => {
    const j = joint(dropoutLike, [f32(256)]);
    const r = minCut(j);
    expect(savedNames(r)).toEqual(["primals_1", "bernoulli"]);
    expect(r.backward.nodes.some((n) => n.op === "bernoulli")).toBe(false);
    checkPartition(j, r);
  });

  test("a predicate can allow them", () => {
    const j = joint(dropoutLike, [f32(256)]);
    const r = minCut(j, { recomputable: (n) => n.category !== "compute-heavy" });
    expect(savedNames(r)).toEqual(["primals_1"]);
    expect(r.backward.nodes.some((n) => n.op === "bernoulli")).toBe(true);
    checkPartition(j, r);
  });

  test("compute-heavy ops are saved by default, recomputed when included", () => {
    const j = joint((x, w) => x.matmul(w).cos(), [f32(8, 16), f32(16, 32)]);
    expect(savedNames(minCut(j))).toEqual(["primals_1", "primals_2", "matmul"]);
    const r = minCut(j, { recomputable: { include: ["matmul"] } });
    expect(savedNames(r)).toEqual(["primals_1", "primals_2"]);
    checkPartition(j, r);
  });

  test("excluding an op bans it", () => {
    const j = joint((x) => x.cos().cos().cos(), [f32(16)]);
    const r = minCut(j, { recomputable: { exclude: ["cos"] } });
    expect(savedNames(r)).toEqual(["primals_1", "cos", "cos_1"]);
    checkPartition(j, r);
  });

  test("a set of op names works like PyTorch's recomputable_ops", () => {
    const j = joint((x) => x.cos().cos().cos(), [f32(16)]);
    expect(savedNames(minCut(j, { recomputable: new Set(["cos"] as const) }))).toEqual(["primals_1"]);
  });
});

describe("joint graphs of every shape", () => {
  test("several forward outputs, one without grad", () => {
    const j = joint(
      (x, y) => [x.sin(), x.mul(y).sum()] as unknown as Tensor,
      [f32(4, 5), f32(5)],
      [true, false],
    );
    for (const r of [byDefault(j), minCut(j)]) checkPartition(j, r);
  });

  test("no output needs grad: an empty backward", () => {
    const j = joint((x) => x.cos().sum(), [f32(4)], [false]);
    for (const r of [byDefault(j), minCut(j)]) {
      expect(r.savedValues).toEqual([]);
      expect(signature(r.backward)).toEqual([0, 0]);
      checkPartition(j, r);
    }
  });

  test("a gradient that is a tangent as-is, and an unused input's zero gradient", () => {
    const j = joint((a, b, _c) => a.mul(b).add(b), [f32(6), f32(6), f32(6)]);
    for (const r of [byDefault(j), minCut(j)]) checkPartition(j, r);
  });

  test("captured constants are forward inputs after the tangents", () => {
    const c = randn([5]);
    const j = joint((x) => x.mul(c).sin(), [f32(5)]);
    expect(j.graph.inputs.length).toBe(3);
    for (const r of [byDefault(j), minCut(j)]) {
      expect(r.forward.inputs.map((v) => v.name)).toEqual(
        [j.graph.inputs[0]!, j.graph.inputs[2]!].map((v) => v.name),
      );
      checkPartition(j, r);
    }
  });

  test("input mutations carry over to the forward graph, renumbered past the tangent", () => {
    // A joint by hand: y = x * s; the buffer s is updated to s + x; d(y)/dx = t * s. The tangent
    // comes before the buffer, so the buffer is joint input 2 and forward input 1.
    const b = new GraphBuilder("joint");
    const x = b.input("primals_1", meta([4]));
    const t = b.input("tangents_1", meta([4]), { kind: "tangent", output: 0 });
    const s = b.input("primals_2", meta([4]), { kind: "buffer", path: "s" });
    const y = b.op("mul", [x, s]);
    const s2 = b.op("add", [s, x]);
    const g = b.op("mul", [t, s]);
    b.output(
      [y, s2, g],
      [
        { kind: "user_output", index: 0 },
        { kind: "mutation", input: 2 },
        { kind: "gradient", of: { kind: "user_input", index: 0 } },
      ],
    );
    const j = { graph: b.build(), numForwardOutputs: 2 };
    for (const r of [byDefault(j), minCut(j)]) {
      expect(r.forward.mutations).toEqual([{ input: 1, output: 1 }]);
      checkPartition(j, r);
    }
  });

  test("roles, not names, pick the tangents: a parameter named tangents is a forward input", () => {
    // Oracle: the roles; an input named like a tangent that is a parameter stays in the forward.
    const b = new GraphBuilder("joint");
    const w = b.input("tangents", meta([4]), { kind: "parameter", path: "tangents" });
    const g = b.input("g", meta([4]), { kind: "tangent", output: 0 });
    b.output(
      [b.op("cos", [w]), b.op("mul", [g, b.op("neg", [b.op("sin", [w])])])],
      [
        { kind: "user_output", index: 0 },
        { kind: "gradient", of: { kind: "parameter", path: "tangents" } },
      ],
    );
    const graph = b.build();
    for (const r of [defaultPartition(graph), minCutRematerializationPartition(graph)]) {
      expect(r.forward.inputs.map((v) => v.name)).toEqual(["tangents"]);
      expect(r.backward.inputs.map((v) => v.name)).toEqual(["tangents", "g"]);
      expect(r.backward.signature.inputs).toEqual([
        { kind: "saved", forwardOutput: 1 },
        { kind: "tangent", output: 0 },
      ]);
      expect(r.backward.signature.outputs).toEqual([
        { kind: "gradient", of: { kind: "parameter", path: "tangents" } },
      ]);
      r.forward.lint();
      r.backward.lint();
    }
  });

  test("duplicate nodes are merged before the cut; saved values are the merged graph's, named as the joint's", () => {
    const j = joint((x) => x.mul(x).mul(x), [f32(7)]);
    const r = minCut(j);
    const names = new Set(j.graph.values.map((v) => v.name));
    for (const v of r.savedValues) expect(names).toContain(v.name);
    checkPartition(j, r);
    checkPartition(j, minCut(j, { cse: false }));
  });
});

describe("errors name the problem", () => {
  const j = joint((x) => x.cos(), [f32(3)]);

  test("a numForwardOutputs the signature disagrees with", () => {
    expect(() => defaultPartition(j.graph, { numForwardOutputs: 2 })).toThrow(
      "partition 'joint': numForwardOutputs is 2, but the signature has 1 forward outputs (user outputs and mutations) and 1 gradients",
    );
    expect(() => minCutRematerializationPartition(j.graph, { numForwardOutputs: -1 })).toThrow(
      PartitionError,
    );
  });

  test("a forward output computed from a tangent", () => {
    // A hand-built joint whose user output reads the tangent.
    const b = new GraphBuilder("joint");
    const x = b.input("x", meta([3]));
    const t = b.input("t", meta([3]), { kind: "tangent", output: 0 });
    b.output([b.op("mul", [x, t])]);
    expect(() => defaultPartition(b.build())).toThrow(
      /forward output 0 'mul: f32\[3\]' \(user output 0\) depends on a tangent/,
    );
  });

  test("a joint graph returns user outputs, mutations, then gradients", () => {
    const b = new GraphBuilder("joint");
    const x = b.input("x", meta([3]));
    b.output(
      [x, b.op("cos", [x])],
      [
        { kind: "gradient", of: { kind: "user_input", index: 0 } },
        { kind: "user_output", index: 0 },
      ],
    );
    expect(() => defaultPartition(b.build())).toThrow(
      "partition 'joint': output 1 'cos' (user output 0) comes after a gradient; a joint graph returns its forward outputs first",
    );
    const c = new GraphBuilder("joint");
    const y = c.input("y", meta([3]));
    c.output([y], [{ kind: "saved" }]);
    expect(() => minCutRematerializationPartition(c.build())).toThrow(
      "output 0 'y' is saved; a joint graph returns user outputs, mutations and gradients",
    );
  });

  test("bad options", () => {
    expect(() => minCut(j, { inputWeight: -1 })).toThrow(/inputWeight must be a number >= 0/);
    expect(() => minCut(j, { distanceBase: Number.NaN })).toThrow(/distanceBase/);
  });
});

describe("partitionReport", () => {
  test("counts bytes, inputs, ops and recomputed nodes, and prints a table", () => {
    const j = joint((a, b, r) => a.add(b).relu().add(r), [f32(1024, 1024), f32(1024, 1024), f32(1024, 1024)]);
    const rep = partitionReport(minCut(j));
    expect(rep.saved).toEqual([
      { name: "gt", meta: { shape: [1024, 1024], dtype: "bool" }, bytes: MiB, isInput: false },
    ]);
    expect(rep.savedBytes).toBe(MiB);
    expect(rep.savedBytesExcludingInputs).toBe(MiB);
    expect(rep.forward.numInputs).toBe(3);
    expect(rep.forward.numOutputs).toBe(2);
    expect(rep.backward.opCounts).toEqual({ full: 1, where: 1 });
    expect(rep.recomputed).toEqual(["full"]);
    expect(rep.format()).toBe(
      [
        "saved values: 1, 1 MiB (1 MiB beyond the inputs)",
        "  name  type             bytes  kind",
        "  ----  ---------------  -----  ----",
        "  gt    bool[1024,1024]  1 MiB",
        "forward:  3 inputs, 2 outputs, 5 nodes: add x2, full x1, gt x1, relu x1",
        "backward: 2 inputs, 3 outputs, 2 nodes: full x1, where x1",
        "recomputed in backward: full",
        "recompute cost: 0.000 ms (estimated)",
        "peak memory: 21 MiB (forward 21 MiB, backward 21 MiB, inputs 12 MiB; at forward gt)",
      ].join("\n"),
    );
    // By hand, in node order (add, relu, add_1, full, gt): the three inputs (12 MiB); add dies
    // at relu (the mask reads relu's output), so relu, add_1 and gt's 1 MiB mask are alive
    // together = 21 MiB; the backward starts from the inputs, the 1 MiB mask and the 4 MiB tangent
    // (17 MiB) and adds where's 4 MiB result.
    expect(rep.forward.opCounts).toEqual({ add: 2, full: 1, gt: 1, relu: 1 });
    expect(rep.peak).toEqual({
      peakBytes: 21 * MiB + 4,
      forwardPeakBytes: 21 * MiB + 4,
      backwardPeakBytes: 21 * MiB + 4,
      inputBytes: 12 * MiB,
      savedBytes: MiB,
      peakAt: "forward gt",
    });
    expect(String(rep)).toBe(rep.format());
  });

  test("marks inputs", () => {
    const rep = partitionReport(byDefault(joint((x) => x.cos().cos(), [f32(3)])));
    expect(rep.saved.map((s) => [s.name, s.isInput])).toEqual([
      ["primals_1", true],
      ["cos", false],
    ]);
    expect(rep.savedBytes).toBe(24);
    expect(rep.savedBytesExcludingInputs).toBe(12);
  });
});

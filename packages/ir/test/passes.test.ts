// DCE, CSE, topologicalSort, graphStats, and lint() on hand-constructed broken graphs.
// Expected node lists and byte counts are hand-computed.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  cse,
  dce,
  Graph,
  GraphBuilder,
  graphStats,
  IRError,
  lint,
  meta,
  Node,
  padSumsToConcat,
  ShapeError,
  topologicalSort,
  Value,
} from "../src/index.js";

const names = (g: Graph | readonly { name: string }[]) => ("nodes" in g ? g.nodes : g).map((n) => n.name);

describe("dce", () => {
  test("removes dead chains, keeps every input and the live nodes", () => {
    const b = new GraphBuilder("g");
    const x = b.input("x", meta([3]));
    const unused = b.input("unused", meta([2], "int64"));
    const a = b.op("exp", [x], {}, "a");
    b.op("log", [a], {}, "dead1"); // dead chain: a -> dead1 -> dead2
    b.op("neg", [b.op("sin", [x], {}, "dead2")], {}, "dead3");
    const live = b.op("add", [a, x], {}, "live");
    b.output([live]);
    const g = dce(b.build()).lint();
    expect(names(g)).toEqual(["a", "live"]);
    expect(g.inputs).toEqual([x, unused]);
    expect(g.outputs).toEqual([live]);
  });
  test("returns the same graph when nothing is dead", () => {
    const b = new GraphBuilder("g");
    const x = b.input("x", meta([3]));
    b.output([b.op("cos", [x])]);
    const g = b.build();
    expect(dce(g)).toBe(g);
  });
  test("an output that aliases an input leaves no nodes", () => {
    const b = new GraphBuilder("g");
    const x = b.input("x", meta([3]));
    b.op("cos", [b.op("cos", [x])]);
    b.output([x, x]);
    const g = dce(b.build()).lint();
    expect(g.nodes).toHaveLength(0);
    expect(g.code).toBe("function g(x: f32[3]) {\n  return [x, x];\n}");
  });
});

describe("cse", () => {
  test("cos(x), cos(x), add(both) -> one cos, add reads it twice", () => {
    const b = new GraphBuilder("g");
    const x = b.input("x", meta([3]));
    b.output([b.op("add", [b.op("cos", [x]), b.op("cos", [x])])]);
    const g = cse(b.build()).lint();
    expect(names(g)).toEqual(["cos", "add"]);
    expect(g.nodes[1]!.inputs).toEqual([g.nodes[0]!.output, g.nodes[0]!.output]);
    expect(g.code).toMatchInlineSnapshot(`
      "function g(x: f32[3]) {
        const cos: f32[3] = cos(x);
        const add: f32[3] = add(cos, cos);
        return [add];
      }"
    `);
  });
  test("merges duplicate subtrees transitively", () => {
    const b = new GraphBuilder("g");
    const x = b.input("x", meta([3]));
    const t1 = b.op("sum", [b.op("sin", [b.op("cos", [x])])], { dims: [0] });
    const t2 = b.op("sum", [b.op("sin", [b.op("cos", [x])])], { dims: [0] });
    b.output([b.op("mul", [t1, t2]), t2]);
    const g = cse(b.build()).lint();
    expect(names(g)).toEqual(["cos", "sin", "sum", "mul"]);
    expect(g.outputs[1]).toBe(g.nodes[2]!.output);
  });
  test("different attributes, inputs or input order are not merged", () => {
    const b = new GraphBuilder("g");
    const x = b.input("x", meta([2, 3]));
    const y = b.input("y", meta([2, 3]));
    const outs = [
      b.op("sum", [x], { dims: [0] }),
      b.op("sum", [x], { dims: [1] }),
      b.op("sum", [x], { dims: [1], keepdim: true }),
      b.op("cast", [x], { dtype: "int32" }),
      b.op("cast", [x], { dtype: "int64" }),
      b.op("full", [], { shape: [], value: 0 }),
      b.op("full", [], { shape: [], value: -0 }),
      b.op("full", [], { shape: [], value: 1 }),
      b.op("cos", [x]),
      b.op("cos", [y]),
      b.op("sub", [x, y]),
      b.op("sub", [y, x]),
    ];
    b.output(outs);
    const g = b.build();
    expect(cse(g)).toBe(g);
  });
  test("NaN attributes are equal for CSE, and so are equal infinities", () => {
    const b = new GraphBuilder("g");
    const full = (value: number) => b.op("full", [], { shape: [2], value });
    b.output([
      full(Number.NaN),
      full(Number.NaN),
      full(Number.POSITIVE_INFINITY),
      full(Number.POSITIVE_INFINITY),
    ]);
    const g = cse(b.build()).lint();
    expect(names(g)).toEqual(["full", "full_2"]);
    expect(g.outputs.map((v) => v.name)).toEqual(["full", "full", "full_2", "full_2"]);
  });
  test("random ops with the same seed and offset are merged: they are pure", () => {
    const b = new GraphBuilder("g");
    const seed = b.input("seed", meta([], "int64"));
    const offset = b.input("offset", meta([], "int64"));
    const u1 = b.op("uniform", [seed, offset], { shape: [4] });
    const u2 = b.op("uniform", [seed, offset], { shape: [4] });
    b.output([b.op("sub", [u1, u2])]);
    expect(names(cse(b.build()))).toEqual(["uniform", "sub"]);
  });
});

describe("topologicalSort", () => {
  const diamond = () => {
    const b = new GraphBuilder("g");
    const x = b.input("x", meta([3]));
    const a = b.op("exp", [x], {}, "a");
    const l = b.op("sin", [a], {}, "l");
    const r = b.op("cos", [a], {}, "r");
    const j = b.op("add", [l, r], {}, "j");
    b.output([b.op("neg", [j], {}, "out"), b.op("tanh", [x], {}, "side")]);
    return b.build();
  };
  const isTopological = (nodes: readonly Node[]) => {
    const seen = new Set<Value>();
    for (const n of nodes) {
      if (!n.inputs.every((v) => v.isInput || seen.has(v))) return false;
      seen.add(n.output);
    }
    return true;
  };
  test("keeps an order that is already topological", () => {
    const g = diamond();
    expect(names(topologicalSort(g.nodes))).toEqual(names(g));
  });
  test("sorts every shuffle into a topological order of the same nodes", () => {
    const g = diamond();
    fc.assert(
      fc.property(fc.shuffledSubarray([...g.nodes], { minLength: g.nodes.length }), (shuffled) => {
        const sorted = topologicalSort(shuffled);
        expect(isTopological(sorted)).toBe(true);
        expect(new Set(sorted)).toEqual(new Set(g.nodes));
      }),
      { numRuns: 200 },
    );
  });
  test("reversed: depth first from each node in the given order, inputs in order", () => {
    // given [side, out, j, r, l, a]: side has no node inputs; out pulls j, which pulls l (and a), then r
    expect(names(topologicalSort([...diamond().nodes].reverse()))).toEqual([
      "side",
      "a",
      "l",
      "r",
      "j",
      "out",
    ]);
  });
  test("throws on a cycle, naming the nodes on it", () => {
    const m = meta([3]);
    const x = new Value("x", m);
    const aInputs: Value[] = [];
    const a = new Node("cos", aInputs, {}, "a", m);
    const b = new Node("sin", [a.output], {}, "b", m);
    aInputs.push(b.output); // a reads b, b reads a
    const c = new Node("neg", [x], {}, "c", m);
    expect(() => topologicalSort([c, a, b])).toThrow("topologicalSort: cycle through a -> b -> a");
    expect(() => topologicalSort([b, a])).toThrow("topologicalSort: cycle through b -> a -> b");
  });
  test("a 10000-node chain in reverse order does not exhaust the stack", () => {
    const b = new GraphBuilder("chain");
    let v = b.input("x", meta([1]));
    for (let i = 0; i < 10_000; i++) v = b.op("neg", [v]);
    b.output([v]);
    const g = b.build();
    expect(topologicalSort([...g.nodes].reverse())).toEqual(g.nodes);
  });
});

describe("graphStats", () => {
  test("counts ops, categories and bytes per dtype (hand-computed)", () => {
    const b = new GraphBuilder("g");
    const x = b.input("x", meta([2, 3])); // 6 * 4 = 24
    const y = b.input("y", meta([3], "float64")); // 3 * 8 = 24
    const i = b.input("i", meta([4], "int64")); // 4 * 8 = 32
    const mask = b.input("mask", meta([5], "bool")); // 5 * 1 = 5
    const seed = b.input("seed", meta([], "int64")); // 8
    const offset = b.input("offset", meta([], "int64")); // 8
    const e = b.op("exp", [x]); // f32[2,3] 24
    const n = b.op("neg", [y]); // f64[3] 24
    const s = b.op("sum", [e], { dims: [0, 1] }); // f32[] 4
    const c = b.op("cast", [mask], { dtype: "int64" }); // i64[5] 40
    const a = b.op("argmax", [c], { dim: 0 }); // i64[] 8
    const r = b.op("reshape", [x], { shape: [3, 2] }); // f32[3,2] 24
    const mm = b.op("matmul", [x, r]); // f32[2,2] 16
    b.op("exp", [r]); // f32[3,2] 24, dead but counted
    const f = b.op("full", [], { shape: [2], value: 1, dtype: "bool" }); // bool[2] 2
    const u = b.op("uniform", [seed, offset], { shape: [4], dtype: "float64" }); // f64[4] 32
    b.output([s, n, a, mm, f, i, u]);
    const st = graphStats(b.build());
    expect(st.numInputs).toBe(6);
    expect(st.numNodes).toBe(10);
    expect(st.numOutputs).toBe(7);
    expect(st.opCounts).toEqual({
      exp: 2,
      neg: 1,
      sum: 1,
      cast: 1,
      argmax: 1,
      reshape: 1,
      matmul: 1,
      full: 1,
      uniform: 1,
    });
    expect(st.categoryCounts).toEqual({
      pointwise: 4,
      reduction: 2,
      layout: 1,
      "compute-heavy": 1,
      creation: 1,
      random: 1,
    });
    expect(st.inputBytes).toBe(24 + 24 + 32 + 5 + 8 + 8);
    expect(st.nodeBytes).toBe(24 + 24 + 4 + 40 + 8 + 24 + 16 + 24 + 2 + 32);
    expect(st.outputBytes).toBe(4 + 24 + 8 + 16 + 2 + 32 + 32);
    expect(st.totalBytes).toBe(101 + 198);
    expect(st.valueBytes.slice(0, 4).map((v) => [v.name, v.bytes])).toEqual([
      ["x", 24],
      ["y", 24],
      ["i", 32],
      ["mask", 5],
    ]);
    expect(st.valueBytes).toHaveLength(16);
  });
});

describe("lint on hand-constructed graphs", () => {
  const m = meta([2, 3]);
  const x = new Value("x", m);
  const errorOf = (g: Graph) => {
    try {
      lint(g);
    } catch (e) {
      expect(e).toBeInstanceOf(IRError);
      return (e as Error).message;
    }
    throw new Error("lint passed a broken graph");
  };
  const graph = (nodes: Node[], outputs: Value[], inputs: Value[] = [x]) =>
    new Graph("g", inputs, nodes, outputs);

  test("a well-formed hand-built graph passes and lint() returns it", () => {
    const a = new Node("cos", [x], {}, "a", m);
    const g = graph([a], [a.output]);
    expect(g.lint()).toBe(g);
  });
  test("a node whose input is defined later", () => {
    const a = new Node("cos", [x], {}, "a", m);
    const b = new Node("sin", [a.output], {}, "b", m);
    expect(errorOf(graph([b, a], [b.output]))).toBe(
      "lint 'g': sin (node 'b') uses 'a' as input 0 before it is defined (not in topological order)",
    );
  });
  test("a node whose input is not in the graph", () => {
    const stray = new Node("cos", [x], {}, "stray", m);
    const b = new Node("sin", [stray.output], {}, "b", m);
    expect(errorOf(graph([b], [b.output]))).toBe(
      "lint 'g': sin (node 'b') uses 'stray' as input 0 but it is not defined in this graph",
    );
  });
  test("an output not in the graph", () => {
    const a = new Node("cos", [x], {}, "a", m);
    expect(errorOf(graph([a], [a.output, new Value("z", m)]))).toBe(
      "lint 'g': output 1 'z' is not defined in this graph",
    );
  });
  test("duplicate names: node vs node and node vs input", () => {
    const a1 = new Node("cos", [x], {}, "a", m);
    const a2 = new Node("sin", [x], {}, "a", m);
    expect(errorOf(graph([a1, a2], [a2.output]))).toBe("lint 'g': name 'a' is defined twice");
    const shadow = new Node("cos", [x], {}, "x", m);
    expect(errorOf(graph([shadow], [shadow.output]))).toBe("lint 'g': name 'x' is defined twice");
  });
  test("a node whose recorded meta disagrees with its rule", () => {
    const c = new Node("cos", [x], {}, "c", meta([3, 2]));
    expect(errorOf(graph([c], [c.output]))).toBe(
      "lint 'g': cos (node 'c') records f32[3,2] but its rule gives f32[2,3]",
    );
    const d = new Node("eq", [x, x], {}, "d", m);
    expect(errorOf(graph([d], [d.output]))).toBe(
      "lint 'g': eq (node 'd') records f32[2,3] but its rule gives bool[2,3]",
    );
  });
  test("a node whose shape rule or attributes fail", () => {
    const mm = new Node("matmul", [x, x], {}, "mm", meta([2, 2]));
    expect(() => lint(graph([mm], [mm.output]))).toThrow(ShapeError);
    expect(errorOf(graph([mm], [mm.output]))).toContain(
      "matmul (node 'mm'): inner dims differ: f32[2,3] @ f32[2,3] (3 vs 2)",
    );
    const s = new Node("sum", [x], { dims: [5], keepdim: false }, "s", m);
    expect(errorOf(graph([s], [s.output]))).toContain("sum (node 's'): dims 5 is out of range for rank 2");
    const t = new Node("slice", [x], { dim: 0, start: 0, end: 1, step: 0 }, "t", meta([1, 3]));
    expect(errorOf(graph([t], [t.output]))).toContain(
      "slice (node 't'): attribute 'step' must be an integer >= 1, got 0",
    );
  });
  test("a name that is not an identifier, and an input that has a producer", () => {
    const bad = new Node("cos", [x], {}, "a-b", m);
    expect(errorOf(graph([bad], [bad.output]))).toBe("lint 'g': node name 'a-b' is not an identifier");
    const c = new Node("cos", [x], {}, "c", m);
    expect(errorOf(graph([], [x], [x, c.output]))).toBe("lint 'g': input 'c' has a producer node");
  });
});

test("passes keep checkpoint regions (Node.region); CSE merges within a region, never across", () => {
  const b = new GraphBuilder("g");
  const x = b.input("x", meta([2]));
  b.region = 1;
  const a = b.op("exp", [x]);
  const a2 = b.op("exp", [x]);
  b.region = undefined;
  const c = b.op("exp", [x]);
  b.output([b.op("add", [b.op("add", [a, a2]), c])]);
  const g = cse(b.build());
  expect(g.nodes.map((n) => [n.op, n.region])).toEqual([
    ["exp", 1],
    ["exp", undefined],
    ["add", undefined],
    ["add", undefined],
  ]);
  expect(g.code).toContain("exp(x); // checkpoint region 1");
});

describe("padSumsToConcat", () => {
  /** add(add(pad(a), pad(b)), pad(c)) over [2, 6] with the pieces at the given columns. */
  const summed = (pieces: { at: number; width: number; value?: number }[], total = 6) => {
    const b = new GraphBuilder("g");
    const xs = pieces.map((p, i) => b.input(`x${i}`, meta([2, p.width])));
    const pads = pieces.map((p, i) =>
      b.op(
        "pad",
        [xs[i]!],
        { before: [0, p.at], after: [0, total - p.at - p.width], value: p.value ?? 0 },
        `pad${i}`,
      ),
    );
    b.output([pads.slice(1).reduce((acc, p, i) => b.op("add", [acc, p], {}, `add${i}`), pads[0]!)]);
    return { g: b.build(), xs };
  };

  test("zero-pads that tile one dim become one concat of what they pad, in order along the dim", () => {
    const { g, xs } = summed([
      { at: 4, width: 2 },
      { at: 1, width: 3 },
      { at: 0, width: 1 },
    ]);
    const out = padSumsToConcat(g).lint();
    expect(out.nodes.map((n) => n.op)).toEqual(["concat"]);
    const concat = out.nodes[0]!;
    expect(concat.inputs.map((v) => v.name)).toEqual([xs[2]!.name, xs[1]!.name, xs[0]!.name]);
    expect(concat.attrs).toEqual({ dim: 1 });
    expect(out.outputs[0]!.meta).toEqual(g.outputs[0]!.meta);
  });

  test.each([
    [
      "a gap",
      [
        { at: 0, width: 2 },
        { at: 3, width: 3 },
      ],
    ],
    [
      "an overlap",
      [
        { at: 0, width: 3 },
        { at: 2, width: 4 },
      ],
    ],
    [
      "a pad value other than 0",
      [
        { at: 0, width: 2, value: 1 },
        { at: 2, width: 4 },
      ],
    ],
  ])("leaves the graph alone with %s", (_, pieces) => {
    const { g } = summed(pieces);
    expect(padSumsToConcat(g)).toBe(g);
  });

  test("an add tree that shares its subtrees is read once per value, not once per path", () => {
    // 60 levels of s = add(s, s) over a pad: 2^60 paths, 60 values.
    const b = new GraphBuilder("g");
    let s = b.op("pad", [b.input("x", meta([2, 1]))], { before: [0, 1], after: [0, 0] });
    for (let i = 0; i < 60; i++) s = b.op("add", [s, s]);
    b.output([s]);
    const g = b.build();
    expect(padSumsToConcat(g)).toBe(g);
  });

  test("leaves pads along two dims, and adds that broadcast, alone", () => {
    const b = new GraphBuilder("g");
    const x = b.input("x", meta([1, 1]));
    const corner = b.op("pad", [x], { before: [1, 1], after: [0, 0] });
    b.output([b.op("add", [corner, b.op("pad", [x], { before: [0, 0], after: [1, 1] })])]);
    const twoDims = b.build();
    expect(padSumsToConcat(twoDims)).toBe(twoDims);
    // A [2, 1] column padded to [2, 2] plus a [1, 1] one padded to a [1, 2] row that broadcasts:
    // the pieces cover dim 1, but they are not one tiling (their concat would not even infer).
    const c = new GraphBuilder("g");
    const left = c.op("pad", [c.input("u", meta([2, 1]))], { before: [0, 0], after: [0, 1] });
    const row = c.op("pad", [c.input("w", meta([1, 1]))], { before: [0, 1], after: [0, 0] });
    c.output([c.op("add", [left, row])]);
    const broadcast = c.build();
    expect(padSumsToConcat(broadcast)).toBe(broadcast);
  });
});

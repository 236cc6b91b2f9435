// Expands read only by broadcasting pointwise ops are not materialized: the ONNX model has no
// Expand node for them, and ORT's results still equal the reference interpreter's (checkGraph
// from @aotjs/conformance). Where dropping one would change a reader's shape, it stays.
import { checkGraph, rng, uniform } from "@aotjs/conformance";
import { type Graph, GraphBuilder, meta, type TensorData } from "@aotjs/ir";
import { describe, expect, test } from "vitest";
import { lowerGraph, onnxCompiler } from "../src/node.js";

const compiler = onnxCompiler({ intraOpNumThreads: 1 });
const expandsIn = (g: Graph) => lowerGraph(g).model.graph!.node.filter((n) => n.opType === "Expand").length;
const inputsFor = (g: Graph): TensorData[] => {
  const r = rng(5);
  return g.inputs.map((v) => uniform(r, v.meta.shape));
};

/** a: [4, 1] expanded to [4, 5], then `op` with b; `extra` builds more readers. */
function graph(
  aShape: number[],
  bShape: number[],
  op: "mul" | "add" | "sub" | "sum",
  asOutput = false,
): Graph {
  const b = new GraphBuilder("g");
  const a = b.input("a", meta(aShape, "float64"));
  const other = b.input("b", meta(bShape, "float64"));
  const e = b.op("expand", [a], { shape: [4, 5] });
  const y = op === "sum" ? b.op("sum", [e], { dims: [1], keepdim: false }) : b.op(op, [e, other]);
  b.output(asOutput ? [y, e] : [y]);
  return b.build();
}

describe("expand feeding a broadcasting op", () => {
  test("dropped when the other operand has the full shape (sum's gradient times x)", async () => {
    const g = graph([4, 1], [4, 5], "mul");
    expect(expandsIn(g)).toBe(0);
    expect(await checkGraph(compiler, g, inputsFor(g))).toEqual([]);
  });

  test("dropped when the other operand broadcasts the rest: [4,1] + [1,5] is [4,5] anyway", async () => {
    const g = graph([4, 1], [1, 5], "add");
    expect(expandsIn(g)).toBe(0);
    expect(await checkGraph(compiler, g, inputsFor(g))).toEqual([]);
  });

  test("kept when the reader's shape would shrink: [1,1] - [4,1] is only [4,1]", async () => {
    const g = graph([1, 1], [4, 1], "sub");
    expect(expandsIn(g)).toBe(1);
    expect(await checkGraph(compiler, g, inputsFor(g))).toEqual([]);
  });

  test("kept for a reader that does not broadcast, and for a graph output", async () => {
    for (const g of [graph([4, 1], [4, 5], "sum"), graph([4, 1], [4, 5], "mul", true)]) {
      expect(expandsIn(g)).toBe(1);
      expect(await checkGraph(compiler, g, inputsFor(g))).toEqual([]);
    }
  });

  test("two expands into one op: each dropped only while the result keeps its shape", async () => {
    const build = (aShape: number[], bShape: number[]) => {
      const b = new GraphBuilder("g");
      const a = b.input("a", meta(aShape, "float64"));
      const c = b.input("c", meta(bShape, "float64"));
      const ea = b.op("expand", [a], { shape: [4, 5] });
      const ec = b.op("expand", [c], { shape: [4, 5] });
      b.output([b.op("where", [b.op("gt", [ea, ec]), ea, ec])]);
      return b.build();
    };
    // [4,1] against [1,5] still broadcasts to [4,5]: both go (gt and where read them).
    const both = build([4, 1], [1, 5]);
    expect(expandsIn(both)).toBe(0);
    expect(await checkGraph(compiler, both, inputsFor(both))).toEqual([]);
    // [1,1] against [1,1] would be [1,1]: the first goes, the second must stay.
    const one = build([1, 1], [1, 1]);
    expect(expandsIn(one)).toBe(1);
    expect(await checkGraph(compiler, one, inputsFor(one))).toEqual([]);
  });
});

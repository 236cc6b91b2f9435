// gather and scatterAdd whose index is one index per slice, expanded (an embedding and its
// gradient), lower to ONNX's slice-wise Gather and ScatterND from the unexpanded index. Oracle:
// the reference interpreter (checkGraph from @aotjs/conformance); the checks still raise.
import { checkGraph, convert, rng, uniform as uniform64 } from "@aotjs/conformance";
import { type Graph, GraphBuilder, meta, TensorData } from "@aotjs/ir";
import { describe, expect, test } from "vitest";
import { lowerGraph, onnxCompiler } from "../src/node.js";

const compiler = onnxCompiler({ intraOpNumThreads: 1 });
const uniform = (r: ReturnType<typeof rng>, shape: number[]) => convert(uniform64(r, shape), "float32");
const opTypes = (g: Graph) => lowerGraph(g).model.graph!.node.map((n) => n.opType);
const ids = (values: number[], dtype: "int64" | "int32" = "int64") =>
  new TensorData(
    dtype,
    [values.length],
    dtype === "int64" ? BigInt64Array.from(values.map(BigInt)) : Int32Array.from(values),
  );

/** rows of w [V, D] picked by idx [n] (F.embedding's form), and that gradient's scatterAdd into zeros. */
function embedding(n: number, v = 7, d = 5, dtype: "int64" | "int32" = "int64"): Graph {
  const b = new GraphBuilder("embedding");
  const w = b.input("w", meta([v, d]));
  const idx = b.input("idx", meta([n], dtype));
  const g = b.input("g", meta([n, d]));
  const index = b.op("expand", [b.op("unsqueeze", [idx], { dims: [1] })], { shape: [n, d] });
  const rows = b.op("gather", [w, index], { dim: 0 });
  const zeros = b.op("full", [], { shape: [v, d], value: 0 });
  b.output([rows, b.op("scatterAdd", [zeros, index, g], { dim: 0 })]);
  return b.build();
}

describe("slice-indexed gather and scatterAdd", () => {
  test.each([
    ["int64", [3, 0, 6, 3, 3, 1]],
    ["int32", [2, 2, 5]],
    ["int64", []],
  ] as const)(
    "%s indices %j: Gather and ScatterND, no per-element index, equal to the reference",
    async (dtype, values) => {
      const g = embedding(values.length, 7, 5, dtype);
      const types = opTypes(g);
      expect(types).toContain("Gather");
      expect(types).toContain("ScatterND");
      expect(types).not.toContain("GatherElements");
      expect(types).not.toContain("ScatterElements");
      expect(types).not.toContain("Expand");
      const r = rng(3);
      const inputs = [uniform(r, [7, 5]), ids([...values], dtype), uniform(r, [values.length, 5])];
      expect(await checkGraph(compiler, g, inputs, { rtol: 1e-6 })).toEqual([]);
    },
  );

  test("a negative index raises the check; one past the end is ORT's own error; both name the node", async () => {
    const g = embedding(3);
    const exe = await compiler(g, g.inputMetas);
    const r = rng(4);
    const run = (bad: number[]) => exe.run([uniform(r, [7, 5]), ids(bad), uniform(r, [3, 5])]);
    await expect(run([0, -1, 2])).rejects.toThrow(
      /gather \(node 'gather'\).*failed: an index is out of range for dim 0 of x \[7,5\] \(valid: 0 to 6\)/,
    );
    await expect(run([1, 7, 2])).rejects.toThrow(/at scatterAdd \(node 'scatterAdd'\).*invalid indice/);
    await exe.dispose();
  });

  test("along dim 1 gather takes whole columns; an index narrower than x keeps GatherElements", async () => {
    const b = new GraphBuilder("columns");
    const x = b.input("x", meta([4, 6]));
    const idx = b.input("idx", meta([1, 3], "int64"));
    const wide = b.op("gather", [x, b.op("expand", [idx], { shape: [4, 3] })], { dim: 1 });
    const narrow = b.op("gather", [x, b.op("expand", [idx], { shape: [2, 3] })], { dim: 1 });
    b.output([wide, narrow]);
    const g = b.build();
    const types = opTypes(g);
    expect(types.filter((t) => t === "Gather")).toHaveLength(1);
    expect(types.filter((t) => t === "GatherElements")).toHaveLength(1);
    const index = new TensorData("int64", [1, 3], BigInt64Array.of(5n, 0n, 5n));
    expect(await checkGraph(compiler, g, [uniform(rng(6), [4, 6]), index], { rtol: 1e-6 })).toEqual([]);
  });
});

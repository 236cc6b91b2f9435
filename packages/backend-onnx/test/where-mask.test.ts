// A large float32 where(c, a, 0) (ReLU's backward) on ORT: a * cast(c) while a is finite, ORT's
// Where (one thread) when a's sum says a holds an inf or NaN, so a masked-out inf or NaN still
// gives 0. Oracle: the reference interpreter, value for value (a masked-out negative comes back
// as -0 rather than 0: equal under ===, which is what the comparison asks).
import { type Graph, GraphBuilder, meta, TensorData } from "@aotjs/ir";
import { interpret } from "@aotjs/tensor";
import { describe, expect, test } from "vitest";
import { lowerGraph, onnxCompiler } from "../src/node.js";

const compile = onnxCompiler({ intraOpNumThreads: 1 });
const LARGE = [4, 256, 256]; // 2^18 elements: the smallest that takes the Mul

function maskGraph(shape: number[], zeroFirst = false): Graph {
  const b = new GraphBuilder("mask");
  const c = b.input("c", meta(shape, "bool"));
  const a = b.input("a", meta(shape));
  const zero = b.op("full", [], { shape: [], value: 0 });
  b.output([zeroFirst ? b.op("where", [c, zero, a]) : b.op("where", [c, a, zero])]);
  return b.build();
}

function inputs(shape: number[], overrides: Record<number, number> = {}): TensorData[] {
  const n = shape.reduce((x, d) => x * d, 1);
  let seed = 5;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const c = Uint8Array.from({ length: n }, () => (next() < 0.5 ? 1 : 0));
  const a = Float32Array.from({ length: n }, () => next() * 4 - 2);
  for (const [i, v] of Object.entries(overrides)) a[+i] = v;
  return [new TensorData("bool", shape, c), new TensorData("float32", shape, a)];
}

async function matchesReference(graph: Graph, data: TensorData[]) {
  const exe = await compile(graph, graph.inputMetas);
  const [got] = await exe.run(data);
  await exe.dispose?.();
  const [want] = interpret(graph, data);
  const g = got!.data as Float32Array;
  const w = want!.data as Float32Array;
  const bad = [...w.keys()].filter((i) => !(g[i] === w[i] || (Number.isNaN(g[i]) && Number.isNaN(w[i]))));
  expect(bad.slice(0, 5).map((i) => `${i}: ${g[i]} vs ${w[i]}`)).toEqual([]);
}

const opTypes = (graph: Graph) => {
  const nodes = lowerGraph(graph).model.graph!.node;
  const branch = nodes.find((n) => n.opType === "If");
  const inElse = branch?.attribute.find((a) => a.name === "else_branch")?.g?.node.map((n) => n.opType);
  return { main: nodes.map((n) => n.opType), inElse };
};

describe("where(c, a, 0), float32, 2^18 elements", () => {
  test.each([false, true])(
    "zero first: %s; finite a matches the reference, and multiplies",
    async (zeroFirst) => {
      const graph = maskGraph(LARGE, zeroFirst);
      await matchesReference(graph, inputs(LARGE));
      const { main, inElse } = opTypes(graph);
      expect(main).toContain("If");
      expect(inElse).toEqual(["Cast", "Mul"]);
    },
  );

  test.each([
    ["+inf", Number.POSITIVE_INFINITY],
    ["-inf", Number.NEGATIVE_INFINITY],
    ["NaN", Number.NaN],
  ])("%s in a (kept and masked out) gives the reference's values, 0 where masked", async (_, v) => {
    // Several positions, so both a kept and a masked-out one hold the value.
    const overrides = Object.fromEntries([3, 10, 77, 1000, 65_000].map((i) => [i, v]));
    for (const zeroFirst of [false, true])
      await matchesReference(maskGraph(LARGE, zeroFirst), inputs(LARGE, overrides));
  });

  test("a smaller where keeps ORT's Where", () => {
    const { main } = opTypes(maskGraph([4, 256, 255]));
    expect(main).toContain("Where");
    expect(main).not.toContain("If");
  });
});

// Reshapes that need not run are left out of the model: a reshape to its input's own shape, and a
// reshape read only by reshapes (the next one reshapes its input). Oracle: the reference
// interpreter, on the same graph; the ONNX checker's shape rules run when ORT loads the model.
import { type Executable, GraphBuilder, meta, TensorData } from "@aotjs/ir";
import { interpret } from "@aotjs/tensor";
import { afterAll, describe, expect, test } from "vitest";
import { lowerGraph, onnxCompiler } from "../src/node.js";

const live: Executable[] = [];
afterAll(async () => {
  await Promise.all(live.map((e) => e.dispose?.()));
});

const input = (shape: number[]) => {
  const n = shape.reduce((a, d) => a * d, 1);
  return new TensorData(
    "float32",
    shape,
    Float32Array.from({ length: n }, (_, i) => ((i * 7) % 11) - 5),
  );
};

async function check(build: (b: GraphBuilder) => void, shape: number[], reshapes: number) {
  const b = new GraphBuilder("reshapes");
  build(b);
  const graph = b.build();
  const ops = lowerGraph(graph).model.graph!.node.map((n) => n.opType);
  expect(ops.filter((o) => o === "Reshape")).toHaveLength(reshapes);
  const exe = (await onnxCompiler()(graph, graph.inputMetas)) as Executable;
  live.push(exe);
  const x = input(shape);
  const got = await exe.run([x]);
  const want = interpret(graph, [x]);
  got.forEach((g, i) => {
    expect(g.shape).toEqual(want[i]!.shape);
    expect([...g.data]).toEqual([...want[i]!.data]);
  });
}

describe("reshapes that need not run", () => {
  test("a chain of reshapes is one Reshape", async () => {
    await check(
      (b) => {
        const x = b.input("x", meta([4, 6]));
        const flat = b.op("reshape", [x], { shape: [24] });
        const grid = b.op("reshape", [flat], { shape: [3, 8] });
        const back = b.op("reshape", [grid], { shape: [2, 12] });
        b.output([b.op("relu", [back])]);
      },
      [4, 6],
      1,
    );
  });

  test("a reshape to its input's shape is no node; back to the input's shape after a chain is none", async () => {
    await check(
      (b) => {
        const x = b.input("x", meta([4, 6]));
        const same = b.op("reshape", [x], { shape: [4, 6] });
        const there = b.op("reshape", [b.op("reshape", [x], { shape: [24] })], { shape: [4, 6] });
        b.output([b.op("add", [same, there])]);
      },
      [4, 6],
      0,
    );
  });

  test("a reshape also read by another op, or a graph output, stays", async () => {
    await check(
      (b) => {
        const x = b.input("x", meta([4, 6]));
        const flat = b.op("reshape", [x], { shape: [24] });
        const grid = b.op("reshape", [flat], { shape: [3, 8] });
        const out = b.op("reshape", [b.op("exp", [x])], { shape: [24] });
        b.output([b.op("relu", [flat]), grid, out]);
      },
      [4, 6],
      3,
    );
  });
});

// Empty tensors inside a graph, where ORT's optimizer or kernels went wrong (found by @aotjs/fuzz):
// each graph is checked against the reference interpreter (the oracle).
import { type Executable, type Graph, GraphBuilder, meta, TensorData } from "@aotjs/ir";
import { interpret } from "@aotjs/tensor";
import { describe, expect, test } from "vitest";
import { onnxCompiler } from "../src/node.js";

const compiler = onnxCompiler({ intraOpNumThreads: 1 });
const f32 = (shape: number[], values: number[]) =>
  new TensorData("float32", shape, Float32Array.from(values));

async function againstReference(graph: Graph, inputs: TensorData[]) {
  const exe = (await compiler(graph, graph.inputMetas)) as Executable;
  try {
    const got = await exe.run(inputs);
    const want = interpret(graph, inputs);
    expect(
      got.map((t) => [t.dtype, t.shape, Array.from(t.data as ArrayLike<number | bigint>, Number)]),
    ).toEqual(want.map((t) => [t.dtype, t.shape, Array.from(t.data as ArrayLike<number | bigint>, Number)]));
  } finally {
    await exe.dispose?.();
  }
}

describe("empty tensors", () => {
  test("an expand from [1] to [0] inside a graph stays empty: the sum after it is 0, not the element", async () => {
    // The backward of sum over an empty dim: ORT's ExpandElimination dropped the Expand, so neg and
    // ReduceSum saw the tangent itself (-0.375 instead of 0).
    const b = new GraphBuilder("g");
    const t = b.input("t", meta([]));
    const e = b.op("expand", [b.op("unsqueeze", [t], { dims: [0] })], { shape: [0] });
    b.output([b.op("sum", [b.op("neg", [e])], { dims: [0], keepdim: true })]);
    await againstReference(b.build(), [f32([], [0.375])]);
  });

  test("an empty expand before pad and reshape keeps its shape (ORT saw {1,3} and failed the Reshape)", async () => {
    const b = new GraphBuilder("g");
    const t = b.input("t", meta([]));
    const e = b.op("expand", [b.op("unsqueeze", [t], { dims: [0] })], { shape: [0] });
    const padded = b.op("pad", [b.op("unsqueeze", [e], { dims: [1] })], { before: [0, 0], after: [0, 2] });
    b.output([b.op("reshape", [padded], { shape: [0] })]);
    await againstReference(b.build(), [f32([], [0.5])]);
  });

  test("a batched matmul with inner dim 0 is zeros, also when its transpose is fused (ORT left it uninitialized)", async () => {
    const b = new GraphBuilder("g");
    const x = b.input("x", meta([4, 0]));
    const y = b.input("y", meta([2, 0, 2]));
    const m = b.op("matmul", [x, y]);
    const m2 = b.op("matmul", [x, y]);
    b.output([m, b.op("permute", [m2], { dims: [0, 2, 1] })]);
    await againstReference(b.build(), [f32([4, 0], []), f32([2, 0, 2], [])]);
  });

  test("bernoulli and uniform of an empty shape load (Reshape with allowzero) and give empty tensors", async () => {
    const b = new GraphBuilder("g");
    const seed = b.input("seed", { shape: [], dtype: "int64" });
    const offset = b.input("offset", { shape: [], dtype: "int64" });
    b.output([
      b.op("bernoulli", [seed, offset], { shape: [3, 0, 1], p: 0.5 }),
      b.op("uniform", [seed, offset], { shape: [0, 2], dtype: "float32" }),
    ]);
    const i64 = (v: number) => new TensorData("int64", [], BigInt64Array.of(BigInt(v)));
    await againstReference(b.build(), [i64(7), i64(0)]);
  });
});

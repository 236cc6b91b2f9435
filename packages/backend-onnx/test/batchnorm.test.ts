// The batchNorm composite on ORT: statistics as accurate as the reference's however many values a
// channel holds, and shared with the graph's own mean of the same tensor. Oracle: the reference
// interpreter (statistics in float64).
import { type Graph, GraphBuilder, meta, TensorData } from "@aotjs/ir";
import { interpret } from "@aotjs/tensor";
import { describe, expect, test } from "vitest";
import { lowerGraph, onnxCompiler } from "../src/node.js";

const compiler = onnxCompiler({ intraOpNumThreads: 2 });

/** batchNorm(x, w, b) and, beside it, the running-statistics mean F.batchNorm emits. */
function graph(shape: number[]): Graph {
  const b = new GraphBuilder("bn");
  const x = b.input("x", meta(shape));
  const w = b.input("w", meta([shape[1]!]));
  const bias = b.input("b", meta([shape[1]!]));
  const dims = shape.map((_, i) => i).filter((i) => i !== 1);
  b.output([b.op("batchNorm", [x, w, bias], { eps: 1e-5 }), b.op("mean", [x], { dims, keepdim: true })]);
  return b.build();
}

const worst = (got: TensorData, want: TensorData) => {
  let w = 0;
  got.data.forEach((v, i) => {
    w = Math.max(w, Math.abs(Number(v) - Number(want.data[i])));
  });
  return w;
};

describe("batchNorm on ORT", () => {
  test("a channel of 2^22 contiguous values, mean 0.1 and std 0.01: output within 1e-4 of the reference", async () => {
    // ORT's own ReduceMean over one contiguous run of 2^22 float32 values drifts (it accumulates
    // almost sequentially), and BN scales the error up by 1/std: its output was 4.9e-4 off.
    const shape = [1, 2, 1 << 22];
    const n = shape.reduce((a, b) => a * b, 1);
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return (seed / 2 ** 31 - 0.5) * 0.0346; // uniform with std 0.01
    };
    const x = new TensorData(
      "float32",
      shape,
      Float32Array.from({ length: n }, () => 0.1 + rand()),
    );
    const w = new TensorData("float32", [2], Float32Array.of(1, 0.5));
    const b = new TensorData("float32", [2], Float32Array.of(0, 1));
    const g = graph(shape);
    const exe = await compiler(g, g.inputMetas);
    const [y, mean] = await exe.run([x, w, b]);
    const [yRef, meanRef] = interpret(g, [x, w, b]);
    expect(worst(mean!, meanRef!)).toBeLessThan(1e-7);
    expect(worst(y!, yRef!)).toBeLessThan(1e-4);
    await exe.dispose();
  });

  test("its mean and the graph's own mean of the same tensor are one computation in the model", () => {
    const reductions = (g: Graph) =>
      lowerGraph(g).model.graph!.node.filter((n) => n.opType.startsWith("Reduce")).length;
    const alone = new GraphBuilder("alone");
    const x = alone.input("x", meta([4, 3, 40, 40]));
    const w = alone.input("w", meta([3]));
    const bias = alone.input("b", meta([3]));
    alone.output([alone.op("batchNorm", [x, w, bias], { eps: 1e-5 })]);
    // The mean beside it (a graph output, where ORT's own CSE would not merge) adds no reduction.
    expect(reductions(graph([4, 3, 40, 40]))).toBe(reductions(alone.build()));
  });
});

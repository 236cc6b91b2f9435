// A symbolic model compiled for sizes near its hints: a float sum whose length at the hints is
// short lowers to one ReduceSum, as a static model's does, and the model records the sizes that
// choice holds for. Past them onnxCompiler runs a second model whose sums are blocked and finished
// in float64. Oracle: the sums computed in float64 in JS; the model's ops read from its proto.
import { formatDim, GraphBuilder, MARKER_SETS, meta, symbolize, TensorData } from "@aotjs/ir";
import { fromBinary } from "@bufbuild/protobuf";
import { ModelProtoSchema } from "onnx-buf";
import * as ort from "onnxruntime-node";
import { describe, expect, test } from "vitest";
import { lowerGraph } from "../src/model.js";
import { onnxCompiler } from "../src/node.js";

/** Column sums and means of x: [B, 3], as a trace at batch size `b` builds them. */
const buildAt = (b: number, cols = 3) => {
  const g = new GraphBuilder("colsum");
  const x = g.input("x", meta([b, cols]));
  g.output([g.op("sum", [x], { dims: [0] }), g.op("mean", [x], { dims: [0, 1] })]);
  return g.build();
};
const markers = MARKER_SETS.map((set) => new Map([["B", set[0]!]])) as [
  Map<string, number>,
  Map<string, number>,
];
const symbolicAt = (hint: number, cols = 3) =>
  symbolize([buildAt(markers[0].get("B")!, cols), buildAt(markers[1].get("B")!, cols)], markers, [
    { name: "B", hint, min: 1 },
  ]);
const opTypes = (model: { graph?: { node: { opType: string }[] } }) => model.graph!.node.map((n) => n.opType);

describe("symbolic sums near the hints", () => {
  test("short at the hints: one ReduceSum each, and the limits they hold for", () => {
    const near = lowerGraph(symbolicAt(8), { symbolic: true, nearHints: true });
    expect(near.symbolic).toBe(true);
    expect(near.sizeLimits.map((l) => [formatDim(l.size), l.atMost])).toEqual([
      ["B", 1024],
      ["3*B", 1024],
    ]);
    expect(opTypes(near.model)).not.toContain("Cast");
    // Without nearHints every sum over B holds at every size: blocked, finished in float64.
    const every = lowerGraph(symbolicAt(8), { symbolic: true });
    expect(every.sizeLimits).toEqual([]);
    expect(opTypes(every.model).filter((t) => t === "Cast").length).toBeGreaterThanOrEqual(2);
  });

  test("long at the hints: blocked, no limit", () => {
    const near = lowerGraph(symbolicAt(8, 512), { symbolic: true, nearHints: true });
    // The column sum (8 values) is short; the mean (8 * 512) is long at the hints.
    expect(near.sizeLimits.map((l) => formatDim(l.size))).toEqual(["B"]);
    expect(opTypes(near.model)).toContain("Cast");
  });

  test("onnxCompiler runs calls past a limit on a second model, and disposes both", async () => {
    let created = 0;
    let released = 0;
    const models: string[][] = [];
    const counting = {
      ...ort,
      InferenceSession: {
        create: async (bytes: Uint8Array, options?: ort.InferenceSession.SessionOptions) => {
          created++;
          const s = await ort.InferenceSession.create(bytes, options);
          const release = s.release.bind(s);
          return Object.assign(s, {
            release: () => {
              released++;
              return release();
            },
          });
        },
      },
    };
    const exe = await onnxCompiler({
      ort: counting as never,
      onModel: (bytes) => models.push(opTypes(fromBinary(ModelProtoSchema, bytes))),
    })(symbolicAt(8));
    expect(exe.symbolic).toBe(true);
    const check = async (b: number) => {
      // Values whose float32 running sum drifts: 0.1 plus a little noise.
      const x = new Float32Array(b * 3).map((_, i) => 0.1 + ((i * 7919) % 13) * 1e-3);
      const [sum, mean] = await exe.run([new TensorData("float32", [b, 3], x)]);
      const want = [0, 1, 2].map((c) => {
        let s = 0;
        for (let r = 0; r < b; r++) s += x[r * 3 + c]!;
        return s;
      });
      expect(sum!.shape).toEqual([3]);
      want.forEach((w, c) => {
        expect(Math.abs((sum!.data as Float32Array)[c]! - w) / w, `B=${b} col ${c}`).toBeLessThan(2e-7);
      });
      const m = (want[0]! + want[1]! + want[2]!) / (3 * b);
      expect(Math.abs((mean!.data as Float32Array)[0]! - m) / m, `B=${b} mean`).toBeLessThan(2e-7);
    };
    await check(8);
    await check(300); // 3 * 300 values in the mean: still within 3*B <= 1024
    expect(created).toBe(1);
    await check(5000);
    expect(created).toBe(2);
    expect(models[1]).toContain("Cast");
    await check(5001);
    await check(3);
    expect(created).toBe(2);
    // A size the guards refuse is an error naming the graph, the guard and the input, once.
    await expect(exe.run([new TensorData("float32", [0, 3], new Float32Array(0))])).rejects.toThrow(
      /^graph 'colsum': guard B >= 1 failed: B = 0 \(from input 0 'x' dim 0\)$/,
    );
    await exe.dispose();
    expect(released).toBe(2);
  });
});

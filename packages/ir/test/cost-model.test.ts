// estimateCost. Oracle: hand-computed FLOPs/bytes and the roofline and scaling rules applied by hand.
import { describe, expect, test } from "vitest";
import { estimateCost, GraphBuilder, IRError, meta, nodeBytes } from "../src/index.js";

function graph() {
  const b = new GraphBuilder("g");
  const a = b.input("a", meta([64, 128]));
  const w = b.input("w", meta([128, 32]));
  const mm = b.op("matmul", [a, w]); // [64, 32]
  const r = b.op("relu", [mm]);
  const t = b.op("reshape", [r], { shape: [32, 64] });
  b.output([t]);
  return b.build();
}

describe("estimateCost", () => {
  test("FLOPs and bytes from shapes; roofline ms is the slower of compute and traffic", () => {
    const g = graph();
    const c = estimateCost(g, { roofline: { flopsPerMs: 1e6, bytesPerMs: 1e5 } });
    const [mm, relu, reshape] = c.nodes;
    expect(mm!.flops).toBe(2 * 64 * 32 * 128);
    expect(mm!.bytes).toBe(4 * (64 * 128 + 128 * 32 + 64 * 32));
    expect(nodeBytes(g.nodes[0]!)).toBe(mm!.bytes);
    expect(mm!.ms).toBeCloseTo(Math.max(mm!.flops / 1e6, mm!.bytes / 1e5), 12);
    expect(relu!.flops).toBe(64 * 32);
    expect(relu!.ms).toBeCloseTo((2 * 4 * 64 * 32) / 1e5, 12);
    expect(reshape!.flops).toBe(0);
    expect(reshape!.source).toBe("roofline");
    expect(c.ms).toBeCloseTo(mm!.ms + relu!.ms + reshape!.ms, 12);
    expect(c.byName.get(g.nodes[1]!.name)).toBe(relu);
  });

  test("a measured node wins, then a measured op scaled by FLOPs (or bytes), then the roofline", () => {
    const g = graph();
    const [mmNode, reluNode, reshapeNode] = g.nodes;
    const c = estimateCost(g, {
      measured: {
        nodes: { [mmNode!.name]: 0.25 },
        ops: {
          relu: { ms: 1, flops: 2 * 64 * 32, bytes: 1 },
          reshape: { ms: 3, flops: 0, bytes: 4 * 2 * 64 * 32 * 3 },
        },
      },
    });
    expect(c.byName.get(mmNode!.name)).toMatchObject({ ms: 0.25, source: "measured node" });
    // relu here does half the profiled relu work.
    expect(c.byName.get(reluNode!.name)).toMatchObject({ ms: 0.5, source: "measured op" });
    expect(c.byName.get(reshapeNode!.name)!.ms).toBeCloseTo(1, 12);
  });

  test("a negative or NaN measurement is an IRError naming the node", () => {
    const g = graph();
    expect(() => estimateCost(g, { measured: { nodes: { [g.nodes[0]!.name]: -1 } } })).toThrow(IRError);
    expect(() => estimateCost(g, { measured: { nodes: { [g.nodes[0]!.name]: Number.NaN } } })).toThrow(
      /matmul/,
    );
  });
});

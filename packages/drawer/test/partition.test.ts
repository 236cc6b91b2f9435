import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { aotFunction, type PartitionFn } from "@aotjs/aot";
import { GraphBuilder, meta } from "@aotjs/ir";
import {
  defaultPartition,
  minCutRematerializationPartition,
  type PartitionResult,
  partitionReport,
} from "@aotjs/partitioner";
import { randn, type Tensor } from "@aotjs/tensor";
import { describe, expect, it } from "vitest";
import { drawPartition, partitionSummary, partitionToDot, renderPartitionSvg } from "../src/node.js";
import { groupsWithClass, legendLabels, parseSvg, textLines, valueGroups } from "./support.js";

/** Run `fn` through aotFunction with `partitionFn`, and keep what the partitioner returned. */
async function partitionOf(
  fn: (...xs: Tensor[]) => Tensor,
  shapes: number[][],
  partitionFn: PartitionFn,
): Promise<PartitionResult> {
  let result: PartitionResult | undefined;
  const f = aotFunction(fn, {
    partitionFn: (joint, options) => {
      result = partitionFn(joint, options);
      return result;
    },
  });
  const out = await f(...shapes.map((s) => randn(s, { requiresGrad: true })));
  await out.sum().backward();
  return result!;
}

const gelu = (x: Tensor, w: Tensor) => {
  const h = x.matmul(w);
  return h.mul(0.5).mul(h.add(h.mul(h).mul(h).mul(0.044715)).mul(0.7978845608).tanh().add(1));
};

const names = (groups: ReturnType<typeof valueGroups>) => groups.map((g) => textLines(g)[0]).sort();

describe("drawPartition", () => {
  for (const [label, partitionFn] of [
    ["min-cut", minCutRematerializationPartition],
    ["default", defaultPartition],
  ] as const) {
    it(`${label}: forward and backward regions, saved values with bytes, recomputed nodes marked`, async () => {
      const result = await partitionOf(
        gelu,
        [
          [8, 16],
          [16, 32],
        ],
        partitionFn,
      );
      const report = partitionReport(result);
      const root = parseSvg(await renderPartitionSvg(result));

      const regions = groupsWithClass(root, "aot-region");
      expect(regions.map((g) => textLines(g)[0]).sort()).toEqual(["backward", "forward"]);

      // Backward inputs that are saved values are drawn once, in the forward region.
      const { forward, backward } = result;
      const savedInBackward = backward.inputs.filter((v) => report.saved.some((s) => s.name === v.name));
      expect(savedInBackward).toHaveLength(report.saved.length);
      const boxes = valueGroups(root);
      expect(boxes).toHaveLength(forward.values.length + backward.values.length - savedInBackward.length);

      const saved = groupsWithClass(root, "aot-saved").filter((g) => g.attrs.class!.includes("aot-value"));
      expect(names(saved)).toEqual(report.saved.map((s) => s.name).sort());
      for (const g of saved) {
        const info = report.saved.find((s) => s.name === textLines(g)[0])!;
        expect(textLines(g)).toContain(
          `saved ${info.bytes >= 1024 ? `${Number((info.bytes / 1024).toFixed(2))} KiB` : `${info.bytes} B`}`,
        );
      }

      const recomputed = groupsWithClass(root, "aot-recomputed").filter((g) =>
        g.attrs.class!.includes("aot-value"),
      );
      expect(names(recomputed)).toEqual([...report.recomputed].sort());
      expect(partitionSummary(result).recomputed).toEqual(report.recomputed);
      expect(partitionSummary(result).savedBytes).toBe(report.savedBytes);
      if (label === "min-cut") expect(report.recomputed.length).toBeGreaterThan(0);

      // Arrows from saved values: one per backward read of a saved value.
      const reads = backward.nodes.reduce(
        (n, node) => n + node.inputs.filter((v) => savedInBackward.includes(v)).length,
        0,
      );
      expect(partitionToDot(result).match(/ -> \S+ \[color="#6a3d9a"/g) ?? []).toHaveLength(reads);

      const legend = legendLabels(root);
      expect(legend).toContain("saved for the backward");
      if (report.recomputed.length) expect(legend).toContain("recomputed in the backward");
      expect(textLines(root).join(" ")).toContain(`saved ${report.saved.length} value`);
    });
  }

  it("writes SVG or DOT by file name", async () => {
    const result = await partitionOf((x) => x.cos().cos(), [[4]], minCutRematerializationPartition);
    const dir = await mkdtemp(join(tmpdir(), "aotjs-drawer-partition-"));
    parseSvg(await readFile(await drawPartition(result, join(dir, "p.svg")), "utf8"));
    expect(await readFile(await drawPartition(result, join(dir, "p.dot")), "utf8")).toBe(
      partitionToDot(result),
    );
    // cos(cos(x)) under min-cut: x is saved (16 bytes, an input), the first cos is recomputed.
    expect(partitionSummary(result)).toMatchObject({
      savedBytes: 16,
      savedBytesBeyondInputs: 0,
      recomputed: ["cos"],
    });
  });

  it("finds saved values by role: a backward input named unlike its forward value still joins it", () => {
    // Oracle: the roles. The backward's saved input is called `kept`, the forward value `c`.
    const fb = new GraphBuilder("forward");
    const x = fb.input("x", meta([2]));
    const c = fb.op("cos", [x], undefined, "c");
    fb.output([fb.op("exp", [c], undefined, "y"), c], [{ kind: "user_output", index: 0 }, { kind: "saved" }]);
    const bb = new GraphBuilder("backward");
    const kept = bb.input("kept", meta([2]), { kind: "saved", forwardOutput: 1 });
    const t = bb.input("g", meta([2]), { kind: "tangent", output: 0 });
    bb.output(
      [bb.op("mul", [t, bb.op("neg", [bb.op("sin", [kept])])], undefined, "dx")],
      [{ kind: "gradient", of: { kind: "user_input", index: 0 } }],
    );
    const forward = fb.build();
    const result = {
      forward,
      backward: bb.build(),
      savedValues: [forward.outputs[1]!],
      numForwardOutputs: 1,
    };
    const dot = partitionToDot(result);
    // One saved arrow, from the forward's `c` box (f1: after x) into the backward's sin.
    expect(dot.match(/ -> \S+ \[color="#6a3d9a"/g)).toHaveLength(1);
    expect(dot).toMatch(/f1 -> b\d+ \[color="#6a3d9a"/);
    expect(dot).not.toMatch(/<B>kept<\/B>/);
    expect(dot).toContain("saved 8 B");
  });
});

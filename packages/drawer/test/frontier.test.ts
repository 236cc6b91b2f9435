// renderFrontierSvg. Oracles: a real XML parser (the document is well-formed), the input (one
// circle per point, in order of saved bytes, with recompute time falling as saved bytes rise
// on a real frontier), and paretoFrontier's own points for a real joint graph.
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { aotFunction } from "@aotjs/aot";
import { minCutRematerializationPartition, paretoFrontier } from "@aotjs/partitioner";
import { randn, type Tensor } from "@aotjs/tensor";
import { describe, expect, test } from "vitest";
import { DrawError, drawFrontier, niceTicks, renderFrontierSvg } from "../src/node.js";
import { type Element, parseSvg, textLines, walk } from "./support.js";

const circles = (root: Element) => [...walk(root)].filter((e) => e.name === "circle");

describe("renderFrontierSvg", () => {
  const points = [
    { budget: 1, savedBytes: 3 * 1024 * 1024, recomputeMs: 0.2 },
    { budget: 0, savedBytes: 512 * 1024, recomputeMs: 2.5 },
    { budget: 0.5, savedBytes: 1.5 * 1024 * 1024, recomputeMs: 0.9 },
  ];

  test("one circle per point, ordered by saved bytes, higher recompute drawn higher", () => {
    const root = parseSvg(renderFrontierSvg(points, { title: "gptMini" }));
    const cs = circles(root);
    expect(cs.length).toBe(3);
    const xs = cs.map((c) => Number(c.attrs.cx));
    const ys = cs.map((c) => Number(c.attrs.cy));
    expect([...xs].sort((a, b) => a - b)).toEqual(xs);
    // SVG y grows downwards: less recompute (more saved) sits lower on the chart.
    expect([...ys].sort((a, b) => a - b)).toEqual(ys);
    // Each circle's <title> (its tooltip) names its budget.
    const tips = cs.map(
      (c) => (c.children.find((e) => typeof e !== "string") as Element).children[0] as string,
    );
    expect(tips.map((t) => t.split(":")[0])).toEqual(["budget 0", "budget 0.5", "budget 1"]);
    const text = textLines(root);
    expect(text).toContain("gptMini");
    expect(text).toContain("saved activations (MiB)");
    expect(text).toContain("estimated recompute (ms)");
    // Axes have round ticks.
    expect(text).toContain("1");
    expect(text).toContain("2");
  });

  test("text is escaped, bad points are refused by index", () => {
    const root = parseSvg(renderFrontierSvg(points.slice(0, 1), { title: `<&"x"'\u0001>` }));
    expect(textLines(root)).toContain(`<&"x"'\\u{1}>`);
    expect(() => renderFrontierSvg([])).toThrow(DrawError);
    expect(() => renderFrontierSvg([{ savedBytes: 1, recomputeMs: Number.NaN }])).toThrow(
      /point 0 has recomputeMs NaN/,
    );
  });

  test("niceTicks are round and cover the range", () => {
    expect(niceTicks(0, 10)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(0.13, 0.92)).toEqual([0.2, 0.4, 0.6, 0.8]);
    expect(niceTicks(3, 3)).toEqual([3]);
  });

  test("a real frontier (paretoFrontier of an MLP's joint graph) draws, and drawFrontier writes it", async () => {
    let joint: Parameters<typeof paretoFrontier>[0] | undefined;
    const f = aotFunction(
      (x: Tensor, w1: Tensor, w2: Tensor) => x.matmul(w1).tanh().matmul(w2).sigmoid().sum(),
      {
        partitionFn: (j, o) => {
          joint = j;
          return minCutRematerializationPartition(j, o);
        },
      },
    );
    await f(
      randn([8, 16], { requiresGrad: true }),
      randn([16, 32], { requiresGrad: true }),
      randn([32, 4], { requiresGrad: true }),
    );
    const frontier = paretoFrontier(joint!, { budgets: [1, 0.5, 0] });
    const root = parseSvg(renderFrontierSvg(frontier));
    expect(circles(root).length).toBe(3);
    const file = await drawFrontier(frontier, join(await mkdtemp(join(tmpdir(), "frontier-")), "f.svg"));
    expect(await readFile(file, "utf8")).toContain("<circle");
  });
});

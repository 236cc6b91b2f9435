// Renders the README's pictures: docs/drawer-forward.png, docs/drawer-backward.png and
// docs/drawer-partition.png. It needs Debian's chromium (`apt-get install -y --no-install-recommends
// chromium`), so it is a maintainer's script, not part of CI:
//
//   pnpm --filter @aotjs/drawer render-pngs [outDir]
//
// The SVGs are written next to the PNGs' sources in a temporary folder and screenshotted at 1x,
// so the PNGs show what a browser shows for the SVG, fonts and all.
import { mkdir, mkdtemp, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { aotFunction, aotModule } from "@aotjs/aot";
import type { Graph } from "@aotjs/ir";
import { BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from "@aotjs/nn";
import { minCutRematerializationPartition, type PartitionResult } from "@aotjs/partitioner";
import { manualSeed, randn, type Tensor } from "@aotjs/tensor";
import { chromium } from "playwright-core";
import { drawGraph, drawPartition } from "../src/node.js";

const outDir = resolve(process.argv[2] ?? join(import.meta.dirname, "../../../docs"));
const work = await mkdtemp(join(tmpdir(), "aotjs-drawer-"));

// A small CNN step: conv, batch norm (whose running stats are updated in place), relu, pool and a
// linear layer show every category but random, parameters, mutated buffers and abbreviated attributes.
manualSeed(0);
const model = new Sequential(
  new Conv2d(3, 8, 3, { stride: 2, padding: 1, bias: false }),
  new BatchNorm2d(8),
  new ReLU(),
  new MaxPool2d(2),
  new Flatten(),
  new Linear(8 * 4 * 4, 10),
);
const graphs: Graph[] = [];
const keep = (g: Graph) => {
  graphs.push(g);
  return g;
};
const compiled = aotModule(model, { fwCompiler: keep, bwCompiler: keep });
const out = await compiled.forward(randn([2, 3, 16, 16]));
await out.sum().backward();
const [forward, backward] = graphs as [Graph, Graph];

// min-cut on x @ w followed by a tanh-gelu: the matmul's output is saved, the gelu recomputed.
let partition: PartitionResult | undefined;
const gelu = (x: Tensor, w: Tensor) => {
  const h = x.matmul(w);
  const inner = h.add(h.mul(h).mul(h).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
  return h.mul(0.5).mul(inner.tanh().add(1));
};
const f = aotFunction(gelu, {
  partitionFn: (joint, options) => {
    partition = minCutRematerializationPartition(joint, options);
    return partition;
  },
});
const y = await f(randn([64, 128], { requiresGrad: true }), randn([128, 256], { requiresGrad: true }));
await y.sum().backward();

const svgs = {
  "drawer-forward": await drawGraph(forward, join(work, "forward.svg"), {
    title: "forward: a small CNN, training mode",
  }),
  "drawer-backward": await drawGraph(backward, join(work, "backward.svg"), {
    title: "backward: a small CNN",
  }),
  "drawer-partition": await drawPartition(partition!, join(work, "partition.svg"), {
    title: "min-cut partition of gelu(x @ w)",
  }),
};

await mkdir(outDir, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
});
try {
  const page = await browser.newPage({ deviceScaleFactor: 1 });
  for (const [name, svgFile] of Object.entries(svgs)) {
    // Inline the SVG in a page (rather than navigating to the file) so nothing is fetched.
    const svg = await readFile(svgFile, "utf8");
    await page.setContent(
      `<!doctype html><html><body style="margin:0;background:white">${svg}</body></html>`,
    );
    const box = await page.locator("svg").first().boundingBox();
    if (!box) throw new Error(`${name}: the SVG did not render`);
    await page.setViewportSize({ width: Math.ceil(box.width), height: Math.ceil(box.height) });
    const png = join(outDir, `${name}.png`);
    await page.locator("svg").first().screenshot({ path: png });
    console.log(
      `${png}: ${Math.ceil(box.width)}x${Math.ceil(box.height)}, ${((await stat(png)).size / 1024).toFixed(0)} KiB`,
    );
  }
} finally {
  await browser.close();
}

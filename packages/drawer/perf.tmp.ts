import { aotFunction, aotModule } from "@aotjs/aot";
import type { Graph } from "@aotjs/ir";
import { gptMini, resnet18 } from "@aotjs/nn";
import { minCutRematerializationPartition, type PartitionResult } from "@aotjs/partitioner";
import { manualSeed, randn, randint } from "@aotjs/tensor";
import { renderSvg, renderPartitionSvg, toDot, partitionToDot } from "./src/index.js";
import { writeFileSync } from "node:fs";
manualSeed(0);
const timed = async (label: string, f: () => Promise<string>) => {
  const t = performance.now();
  const svg = await f();
  console.log(label.padEnd(30), (performance.now() - t).toFixed(0), "ms", (svg.length / 1e6).toFixed(2), "MB");
};
await timed("warm-up (wasm load)", () => renderSvg({ name: "x", inputs: [], nodes: [], outputs: [], mutations: [] } as unknown as Graph));
for (const [name, model, input] of [["resnet18", resnet18(), randn([2, 3, 32, 32])]] as const) {
  const graphs: Graph[] = [];
  let part: PartitionResult | undefined;
  const keep = (g: Graph) => { graphs.push(g); return g; };
  const m = aotModule(model, { fwCompiler: keep, bwCompiler: keep, partitionFn: (j, o) => (part = minCutRematerializationPartition(j, o)) });
  const o = await m.forward(input);
  await o.sum().backward();

  await timed(`${name} forward ${graphs[0]!.nodes.length}`, () => renderSvg(graphs[0]!));
  await timed(`${name} backward ${graphs[1]!.nodes.length}`, async () => { const s = await renderSvg(graphs[1]!); writeFileSync("/tmp/dr/resnet-bw.svg", s); return s; });
  await timed(`${name} partition`, () => renderPartitionSvg(part!));
}

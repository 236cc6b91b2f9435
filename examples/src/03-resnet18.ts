// Seed example 3: aotModule(resnet18) prints its forward and backward graphs and a summary.
import { aotModule, printGraph } from "@aotjs/aot";
import { graphStats } from "@aotjs/ir";
import { resnet18 } from "@aotjs/nn";
import { manualSeed, randn } from "@aotjs/tensor";

manualSeed(0);
const model = resnet18();
const printed: string[] = [];
const keep = (text: string) => printed.push(text);
const compiled = aotModule(model, {
  fwCompiler: printGraph("forward", keep),
  bwCompiler: printGraph("backward", keep),
});

const t0 = performance.now();
const out = await compiled.forward(randn([1, 3, 200, 200]));
await out.sum().backward();
const seconds = ((performance.now() - t0) / 1000).toFixed(1);

// The full graphs are long; show their heads and tails.
for (const text of printed) {
  const lines = text.split("\n");
  console.log(
    [...lines.slice(0, 12), `  ... ${lines.length - 18} more lines ...`, ...lines.slice(-6)].join("\n"),
  );
  console.log();
}
const { forward, backward } = compiled.lastGraphs;
const fw = graphStats(forward!);
const bw = graphStats(backward!);
const top = (s: typeof fw) =>
  Object.entries(s.opCounts)
    .sort((a, b) => b[1]! - a[1]!)
    .slice(0, 6)
    .map(([op, n]) => `${op} ${n}`)
    .join(", ");
console.log("summary:");
console.log(`  output ${out.shape.join("x")}, forward+backward in ${seconds} s on the reference interpreter`);
console.log(
  `  forward:  ${fw.numInputs} inputs, ${fw.numNodes} nodes, ${fw.numOutputs} outputs (${top(fw)})`,
);
console.log(
  `  backward: ${bw.numInputs} inputs, ${bw.numNodes} nodes, ${bw.numOutputs} outputs (${top(bw)})`,
);
console.log(
  `  parameters with .grad: ${model.parameters().filter((p) => p.grad).length} of ${model.parameters().length}`,
);

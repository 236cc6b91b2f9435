// Seed example 8: draw the forward and backward graphs of x.cos().cos() with the graphDrawer
// compiler (functorch's draw_graph), then draw what min-cut saves and recomputes for
// cos(cos(a + b + c + d)). The SVGs go to examples/out/ (git-ignored); open them in a browser.
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { aotFunction } from "@aotjs/aot";
import { drawPartition, graphDrawer, partitionSummary } from "@aotjs/drawer/node";
import { minCutRematerializationPartition, type PartitionResult } from "@aotjs/partitioner";
import { manualSeed, randn, type Tensor } from "@aotjs/tensor";

const out = fileURLToPath(new URL("../out/", import.meta.url));
manualSeed(0);

const f = (x: Tensor) => x.cos().cos();
const nf = aotFunction(f, {
  fwCompiler: graphDrawer("forward", { dir: out }),
  bwCompiler: graphDrawer("backward", { dir: out }),
});
const inp = randn([3], { requiresGrad: true });
await (await nf(inp)).sum().backward();

// The partitioner's result is what drawPartition draws: capture it through partitionFn.
let partition: PartitionResult | undefined;
const g = aotFunction((a: Tensor, b: Tensor, c: Tensor, d: Tensor) => a.add(b).add(c).add(d).cos().cos(), {
  partitionFn: (joint, options) => {
    partition = minCutRematerializationPartition(joint, options);
    return partition;
  },
});
const xs = [0, 1, 2, 3].map(() => randn([1000, 1000], { requiresGrad: true })) as [
  Tensor,
  Tensor,
  Tensor,
  Tensor,
];
await (await g(...xs)).sum().backward();
await drawPartition(partition!, join(out, "partition.svg"), { title: "min-cut: cos(cos(a + b + c + d))" });

for (const name of ["forward.svg", "backward.svg", "partition.svg"]) {
  const file = join(out, name);
  console.log(`wrote ${file} (${((await stat(file)).size / 1024).toFixed(1)} KiB)`);
}
const s = partitionSummary(partition!);
console.log(
  `min-cut saves ${s.saved.map((v) => v.name).join(", ")} and recomputes ${s.recomputed.join(", ") || "nothing"}`,
);
console.log(`grad of x (the drawn graphs ran on the interpreter): ${inp.grad}`);

// Seed example 4: what the default and min-cut partitioners save for cos(cos(a+b+c+d)), as in
// functorch's "aot_autograd_optimizations" tutorial.
import { aotFunction, printGraph } from "@aotjs/aot";
import { defaultPartition, minCutRematerializationPartition } from "@aotjs/partitioner";
import { randn, type Tensor } from "@aotjs/tensor";

const fn = (a: Tensor, b: Tensor, c: Tensor, d: Tensor) => a.add(b).add(c).add(d).cos().cos();
const inputs = () =>
  [0, 1, 2, 3].map(() => randn([1000, 1000], { requiresGrad: true })) as [Tensor, Tensor, Tensor, Tensor];

for (const [label, partitionFn] of [
  ["default partition", defaultPartition],
  ["min-cut rematerialization", minCutRematerializationPartition],
] as const) {
  console.log(`\n### ${label}\n`);
  const f = aotFunction(fn, {
    fwCompiler: printGraph("forward"),
    bwCompiler: printGraph("backward"),
    partitionFn,
  });
  const out = await f(...inputs());
  await out.sum().backward();
  const { forward } = f.lastGraphs;
  const saved = forward!.outputs.slice(1);
  console.log(
    `saves ${saved.length}: ${saved.map((v) => `${v.name} (${v.meta.dtype}[${v.meta.shape}])`).join(", ")}`,
  );
}

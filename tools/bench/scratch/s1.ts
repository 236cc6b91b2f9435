import { aotFunction, aotModule, printGraph } from "@aotjs/aot";
import { minCutRematerializationPartition } from "@aotjs/partitioner";
import { manualSeed, randn, type Tensor } from "@aotjs/tensor";
import { Linear, ReLU, Sequential, F } from "@aotjs/nn";

manualSeed(0);
const f = (x: Tensor) => x.cos().cos();
const nf = aotFunction(f, { fwCompiler: printGraph("forward"), bwCompiler: printGraph("backward") });
const inp = randn([3], { requiresGrad: true });
const out = await nf(inp.cos());
await out.sin().sum().backward();
console.log(inp.grad!.toString());

// inf output tangent
const g = aotFunction((a: Tensor) => [a.add(Infinity), a.mul(2)]);
const a = randn([3], { requiresGrad: true });
const [o1, o2] = await g(a);
await o2!.sum().backward();
console.log("grad with unused inf output:", a.grad!.toString());

try {
  const m = aotModule(new Sequential(new Linear(4, 4), new ReLU()));
  const y = await m.forward(randn([2, 4]));
  console.log("seq ok", y.shape);
} catch (e) { console.log("seq error:", (e as Error).message); }

manualSeed(1);
const d = aotFunction((x: Tensor) => F.dropout(x, 0.5, true), { partitionFn: minCutRematerializationPartition, fwCompiler: printGraph() });
const x = randn([8], { requiresGrad: true });
manualSeed(5);
const r1 = await d(x);
manualSeed(5);
const e1 = F.dropout(x, 0.5, true);
console.log(r1.toString(), e1.toString());

// Seed example 1: capture the forward and backward graphs of x.cos().cos() and print them.
import { aotFunction, printGraph } from "@aotjs/aot";
import { manualSeed, randn, type Tensor } from "@aotjs/tensor";

manualSeed(0);
const f = (x: Tensor) => x.cos().cos();
const nf = aotFunction(f, { fwCompiler: printGraph("forward"), bwCompiler: printGraph("backward") });
const out = await nf(randn([3], { requiresGrad: true }));
await out.sum().backward();

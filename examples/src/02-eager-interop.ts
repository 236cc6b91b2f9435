// Seed example 2: a compiled function between eager code; backward runs through all of it.
import { aotFunction } from "@aotjs/aot";
import { manualSeed, randn, type Tensor } from "@aotjs/tensor";

manualSeed(0);
const f = (x: Tensor) => x.cos().cos();
const nf = aotFunction(f);

const inp = randn([3], { requiresGrad: true });
const out = await nf(inp.cos()); // eager before ...
await out.sin().sum().backward(); // ... eager after, backprop through nf
console.log("inp.grad (aot):  ", inp.grad!.toString());

// The same computation, all eager.
const ref = inp.detach().requiresGrad_();
await f(ref.cos()).sin().sum().backward();
console.log("inp.grad (eager):", ref.grad!.toString());

const diff = inp.grad!.sub(ref.grad!).abs().amax().item() as number;
if (diff > 1e-6) throw new Error(`aot and eager gradients differ by ${diff}`);
console.log(`max difference: ${diff}`);

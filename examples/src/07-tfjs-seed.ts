// Seed example 7: the same function compiled to TensorFlow.js ops, between eager code, with
// backward through it; then a few MLP training steps with every forward and backward graph on
// TF.js. The backend is picked at the first compile: tensorflow (tfjs-node) if it is installed,
// else wasm, else cpu.
import { aotFunction, aotModule } from "@aotjs/aot";
import { resolveBackend, tfjsCompiler } from "@aotjs/backend-tfjs";
import { F, mlp, SGD } from "@aotjs/nn";
import { manualSeed, randint, randn, type Tensor } from "@aotjs/tensor";

manualSeed(0);
const f = (x: Tensor) => x.cos().cos();
const nf = aotFunction(f, { fwCompiler: tfjsCompiler(), bwCompiler: tfjsCompiler() });
await nf(randn([3], { requiresGrad: true }));
console.log(`TF.js backend: ${await resolveBackend()}`);

const inp = randn([3], { requiresGrad: true });
const out = await nf(inp.cos()); // eager before ...
await out.sin().sum().backward(); // ... eager after, backprop through the TF.js graphs
console.log("inp.grad (tfjs): ", inp.grad!.toString());
const ref = inp.detach().requiresGrad_();
await f(ref.cos()).sin().sum().backward();
console.log("inp.grad (eager):", ref.grad!.toString());
const diff = inp.grad!.sub(ref.grad!).abs().amax().item() as number;
if (diff > 1e-5) throw new Error(`tfjs and eager gradients differ by ${diff}`);
console.log(`max difference: ${diff.toExponential(2)}\n`);
await nf.dispose();

// An MLP classifier trained for a few steps: forward and backward graphs on TF.js, the loss and
// the SGD update eager.
const model = mlp([64, 128, 10]);
const compiled = aotModule(model, { fwCompiler: tfjsCompiler(), bwCompiler: tfjsCompiler() });
const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
const x = randn([32, 64]);
const target = randint(0, 10, [32]);
const losses: number[] = [];
for (let step = 0; step < 8; step++) {
  opt.zeroGrad();
  const loss = F.crossEntropy((await compiled.forward(x)) as Tensor, target);
  await loss.backward();
  opt.step();
  losses.push(loss.item() as number);
}
console.log(`MLP losses: ${losses.map((l) => l.toFixed(4)).join(", ")}`);
if (!(losses.at(-1)! < losses[0]!)) throw new Error(`the loss did not go down: ${losses.join(", ")}`);
await compiled.dispose();

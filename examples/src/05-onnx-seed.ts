// Seed example 5, the "ts_compiler" analog: the same function compiled to ONNX and run on ONNX
// Runtime, between eager code, with backward through it; then resnet18 training steps with SGD,
// every forward and backward graph running on ORT.
import { aotFunction, aotModule } from "@aotjs/aot";
import { onnxCompiler } from "@aotjs/backend-onnx/node";
import { F, resnet18, SGD } from "@aotjs/nn";
import { manualSeed, randint, randn, type Tensor } from "@aotjs/tensor";

manualSeed(0);
const f = (x: Tensor) => x.cos().cos();
const nf = aotFunction(f, { fwCompiler: onnxCompiler(), bwCompiler: onnxCompiler() });
await nf(randn([3], { requiresGrad: true }));

const inp = randn([3], { requiresGrad: true });
const out = await nf(inp.cos()); // eager before ...
await out.sin().sum().backward(); // ... eager after, backprop through the ONNX graphs
console.log("inp.grad (onnx): ", inp.grad!.toString());
const ref = inp.detach().requiresGrad_();
await f(ref.cos()).sin().sum().backward();
console.log("inp.grad (eager):", ref.grad!.toString());
const diff = inp.grad!.sub(ref.grad!).abs().amax().item() as number;
if (diff > 1e-5) throw new Error(`onnx and eager gradients differ by ${diff}`);
console.log(`max difference: ${diff.toExponential(2)}\n`);
await nf.dispose();

// resnet18 training steps: a small batch of 64x64 images, 10 classes, plain SGD.
const model = resnet18({ numClasses: 10 });
const compiled = aotModule(model, { fwCompiler: onnxCompiler(), bwCompiler: onnxCompiler() });
const opt = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
const x = randn([4, 3, 64, 64]);
const target = randint(0, 10, [4]);
const losses: number[] = [];
for (let step = 0; step < 6; step++) {
  const t0 = performance.now();
  opt.zeroGrad();
  const loss = F.crossEntropy((await compiled.forward(x)) as Tensor, target);
  await loss.backward();
  opt.step();
  losses.push(loss.item() as number);
  const note = step === 0 ? " (includes tracing and ORT session creation)" : "";
  console.log(
    `resnet18 step ${step}: loss ${losses[step]!.toFixed(4)}, ${(performance.now() - t0).toFixed(0)} ms${note}`,
  );
}
const { forward, backward } = compiled.lastGraphs;
console.log(
  `forward graph: ${forward!.nodes.length} nodes, backward graph: ${backward!.nodes.length} nodes, both on ORT`,
);
if (!(losses[losses.length - 1]! < losses[0]!))
  throw new Error(`the loss did not go down: ${losses.join(", ")}`);
await compiled.dispose();

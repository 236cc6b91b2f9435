// Real training: a character-level gptMini learns a short text. Every step's forward and backward
// graphs were captured once by aotModule, partitioned by min-cut, and run on ONNX Runtime; the
// optimizer (AdamW) and the data pipeline are ordinary eager code around them.
import { aotModule } from "@aotjs/aot";
import { onnxCompiler } from "@aotjs/backend-onnx/node";
import { AdamW, F, gptMini } from "@aotjs/nn";
import { minCutRematerializationPartition } from "@aotjs/partitioner";
import { manualSeed, noGrad, randint, type Tensor, tensor } from "@aotjs/tensor";
import { trainingBar } from "./progress.js";

const text =
  "a graph is captured once and compiled once; the forward runs now, the backward runs later. " +
  "what the backward needs is saved or recomputed, whichever costs less memory. ";
const chars = [...new Set(text)].sort();
const encode = (s: string) => [...s].map((c) => chars.indexOf(c));
const data = encode(text);

manualSeed(0);
const seqLen = 32;
const batch = 16;
const model = gptMini({ vocab: chars.length, dModel: 64, nHead: 4, nLayer: 2, seqLen });
const compiled = aotModule(model, {
  fwCompiler: onnxCompiler(),
  bwCompiler: onnxCompiler(),
  partitionFn: minCutRematerializationPartition,
});
const opt = new AdamW(model.parameters(), { lr: 3e-3, weightDecay: 0.01 });

/** Random windows of the text: inputs and the same windows shifted by one character. */
function sampleBatch(): [Tensor, Tensor] {
  const starts = randint(0, data.length - seqLen - 1, [batch]).toArray() as number[];
  const x = starts.map((s) => data.slice(s, s + seqLen));
  const y = starts.map((s) => data.slice(s + 1, s + seqLen + 1));
  return [tensor(x, { dtype: "int64" }), tensor(y, { dtype: "int64" })];
}

const steps = 150;
const losses: number[] = [];
const t0 = performance.now();
const bar = trainingBar(steps);
try {
  for (let step = 0; step < steps; step++) {
    const [x, y] = sampleBatch();
    const logits = await compiled(x); // as model(x) in PyTorch; compiled.forward(x) is the same
    const loss = F.crossEntropy(logits.reshape([-1, chars.length]), y.reshape([-1]));
    opt.zeroGrad();
    await loss.backward();
    opt.step();
    losses.push(loss.item());
    bar.update(step + 1, losses[step]!);
  }
} finally {
  bar.stop();
}
const ms = (performance.now() - t0) / steps;
console.log(`${ms.toFixed(1)} ms per step (capture, ORT sessions and the first step included)`);

// Greedy generation in eval mode: no input requires grad, so one inference graph is compiled.
model.eval();
let context = encode("a graph is captured once and com");
let generated = "";
for (let i = 0; i < 40; i++) {
  const logits = (await noGrad(() =>
    compiled.forward(tensor([context.slice(-seqLen)], { dtype: "int64" })),
  )) as Tensor;
  const next = logits.select(1, -1).argmax({ dim: -1 }).item();
  generated += chars[next];
  context = [...context, next];
}
console.log(`generated: "a graph is captured once and com${generated}"`);

const first = losses.slice(0, 10).reduce((a, b) => a + b) / 10;
const last = losses.slice(-10).reduce((a, b) => a + b) / 10;
console.log(`mean loss over the first 10 steps ${first.toFixed(3)}, over the last 10 ${last.toFixed(3)}`);
if (!(last < first * 0.5)) throw new Error(`training did not converge: ${first} -> ${last}`);
console.log(`compiles: ${compiled.stats().compiles} (train + eval), calls: ${compiled.stats().calls}`);
await compiled.dispose();

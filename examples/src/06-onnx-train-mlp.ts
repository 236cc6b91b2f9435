// Train an MLP with nothing but ONNX Runtime. Part 1 uses aotjs once, ahead of time, to export a
// training step: forward.onnx (loss and the values backward needs), backward.onnx (gradients),
// manifest.json (which output feeds which input) and weights.bin (initial parameters). Part 2
// trains from those files with plain onnxruntime-node sessions: no aotjs at run time, so the same
// loop would run in a browser on onnxruntime-web.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { aotExport } from "@aotjs/aot";
import { writeArtifacts } from "@aotjs/backend-onnx/node";
import { F, mlp } from "@aotjs/nn";
import { manualSeed, randn } from "@aotjs/tensor";
import * as ort from "onnxruntime-node";

const IN = 16;
const OUT = 4;
const BATCH = 32;
const dir = mkdtempSync(join(tmpdir(), "aotjs-mlp-"));

// ---- Part 1: export (aotjs) ----
{
  manualSeed(0);
  const net = mlp([IN, 64, 64, OUT], { activation: "tanh" });
  const exported = aotExport(net, [randn([BATCH, IN]), randn([BATCH, OUT])], {
    call: (m, x, y) => F.mseLoss(m.forward(x!), y!),
  });
  const byName = new Map(net.namedParameters());
  const weights = Object.fromEntries(
    exported.signature.inputs
      .filter((i) => i.kind === "parameter")
      .map((i) => [i.name, byName.get(i.target!)!.toData()]),
  );
  await writeArtifacts(exported, dir, { weights });
  console.log(`exported forward.onnx, backward.onnx, manifest.json and weights.bin to ${dir}`);
}

// ---- Part 2: train with onnxruntime-node and the manifest only ----
interface Spec {
  name: string;
  dtype: string;
  shape: number[];
}
interface Manifest {
  forward: { file: string; outputs: (Spec & { value: string })[] };
  backward: { file: string; outputs: (Spec & { value: string })[] };
  weights: { file: string; tensors: (Spec & { byteOffset: number; byteLength: number })[] };
  signature: {
    inputs: (Spec & { kind: string })[];
    userInputs: string[];
    backward: {
      inputs: (Spec & { kind: "saved" | "tangent"; forwardOutput?: number })[];
      outputs: (Spec & { input: string })[];
    };
  };
}

const manifest: Manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
const forward = await ort.InferenceSession.create(join(dir, manifest.forward.file));
const backward = await ort.InferenceSession.create(join(dir, manifest.backward.file));
const blob = readFileSync(join(dir, manifest.weights.file));
const params = new Map<string, Float32Array>(
  manifest.weights.tensors.map((t) => [
    t.name,
    new Float32Array(
      blob.buffer.slice(blob.byteOffset + t.byteOffset, blob.byteOffset + t.byteOffset + t.byteLength),
    ),
  ]),
);
const shapes = new Map(manifest.signature.inputs.map((i) => [i.name, i.shape]));

// A fixed "teacher" the MLP learns to imitate: y = tanh(x A) B, in plain JS with a seeded PRNG.
let seed = 12345;
const random = () => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return (seed / 2 ** 32) * 2 - 1;
};
const A = Float32Array.from({ length: IN * 8 }, random);
const B = Float32Array.from({ length: 8 * OUT }, random);
function batch(): [Float32Array, Float32Array] {
  const x = Float32Array.from({ length: BATCH * IN }, random);
  const y = new Float32Array(BATCH * OUT);
  for (let n = 0; n < BATCH; n++)
    for (let h = 0; h < 8; h++) {
      let s = 0;
      for (let i = 0; i < IN; i++) s += x[n * IN + i]! * A[i * 8 + h]!;
      const t = Math.tanh(s);
      for (let o = 0; o < OUT; o++) y[n * OUT + o]! += t * B[h * OUT + o]!;
    }
  return [x, y];
}

const [xName, yName] = manifest.signature.userInputs;
const lr = 0.05;
const losses: number[] = [];
for (let step = 0; step <= 300; step++) {
  const [x, y] = batch();
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, value] of params) feeds[name] = new ort.Tensor("float32", value, shapes.get(name)!);
  feeds[xName!] = new ort.Tensor("float32", x, shapes.get(xName!)!);
  feeds[yName!] = new ort.Tensor("float32", y, shapes.get(yName!)!);
  const fwOut = await forward.run(feeds);
  const loss = fwOut[manifest.forward.outputs[0]!.name]!.data[0] as number;
  losses.push(loss);

  // Backward: the values forward saved, then d(loss)/d(loss) = 1 for the loss's tangent.
  const bwFeeds: Record<string, ort.Tensor> = {};
  for (const input of manifest.signature.backward.inputs) {
    bwFeeds[input.name] =
      input.kind === "saved"
        ? fwOut[manifest.forward.outputs[input.forwardOutput!]!.name]!
        : new ort.Tensor("float32", Float32Array.of(1), []);
  }
  const grads = await backward.run(bwFeeds);
  manifest.backward.outputs.forEach((out, i) => {
    const p = params.get(manifest.signature.backward.outputs[i]!.input)!;
    const g = grads[out.name]!.data as Float32Array;
    for (let k = 0; k < p.length; k++) p[k]! -= lr * g[k]!;
  });
  if (step % 50 === 0) console.log(`step ${String(step).padStart(3)}: loss ${loss.toFixed(5)}`);
}
await forward.release();
await backward.release();
rmSync(dir, { recursive: true, force: true });

const first = losses.slice(0, 10).reduce((a, b) => a + b) / 10;
const last = losses.slice(-10).reduce((a, b) => a + b) / 10;
console.log(`mean loss over the first 10 steps ${first.toFixed(5)}, over the last 10 ${last.toFixed(5)}`);
if (!(last < first * 0.5)) throw new Error("the loss did not go down");

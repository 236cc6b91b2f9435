// aotjs on TF.js's wasm backend against TF.js's own eager training, side by side in one run: an
// MLP 784-512-512-10 (ReLU), MSE loss, batch 128, one SGD step (forward, loss, backward, update).
//
// - aotjs: aotModule(mlp) with tfjsCompiler({ backend: "wasm" }) for the forward and backward
//   graphs; the loss and the SGD update run eagerly on the host (the same for every compiler).
// - TF.js eager: the same weights as tf.variables in TF.js's own layout (kernel [in, out], as
//   tf.layers.dense), tf.variableGrads over the same loss, then an SGD update on wasm.
import { aotModule } from "@aotjs/aot";
import { tfjsCompiler } from "@aotjs/backend-tfjs";
import { F, mlp, SGD } from "@aotjs/nn";
import { manualSeed, randn, type Tensor } from "@aotjs/tensor";
import * as tf from "@tensorflow/tfjs";
import { table } from "./measure.js";

const SIZES = [784, 512, 512, 10];
const BATCH = 128;
const LR = 1e-3;

export async function tfjs(): Promise<void> {
  manualSeed(0);
  const model = mlp(SIZES);
  const x = randn([BATCH, SIZES[0]!]);
  const y = randn([BATCH, SIZES.at(-1)!]);

  // The TF.js model starts from the same weights: Linear's weight is [out, in], TF.js's kernel [in, out].
  await tf.setBackend("wasm");
  const params = model.parameters();
  const vars: tf.Variable[] = [];
  for (let i = 0; i < params.length; i += 2) {
    const w = params[i]!;
    vars.push(tf.variable(tf.tensor(w.toData().data as Float32Array, [...w.shape]).transpose()));
    vars.push(tf.variable(tf.tensor(params[i + 1]!.toData().data as Float32Array)));
  }
  const tx = tf.tensor(x.toData().data as Float32Array, [BATCH, SIZES[0]!]);
  const ty = tf.tensor(y.toData().data as Float32Array, [BATCH, SIZES.at(-1)!]);
  const tfLoss = () => {
    let h: tf.Tensor = tx;
    for (let l = 0; l < vars.length; l += 2) {
      h = tf.add(tf.matMul(h, vars[l]!), vars[l + 1]!);
      if (l + 2 < vars.length) h = tf.relu(h);
    }
    return tf.losses.meanSquaredError(ty, h) as tf.Scalar;
  };
  const tfOptimizer = tf.train.sgd(LR);
  let tfFirstLoss = Number.NaN;
  const tfStep = () => {
    const { value, grads } = tf.variableGrads(tfLoss);
    if (Number.isNaN(tfFirstLoss)) tfFirstLoss = value.dataSync()[0]!;
    tfOptimizer.applyGradients(grads);
    value.dispose();
    tf.dispose(Object.values(grads));
  };

  const compiled = aotModule(model, {
    fwCompiler: tfjsCompiler({ backend: "wasm" }),
    bwCompiler: tfjsCompiler({ backend: "wasm" }),
  });
  const optimizer = new SGD(model.parameters(), { lr: LR });
  let aotFirstLoss = Number.NaN;
  const aotStep = async () => {
    const loss = F.mseLoss((await compiled.forward(x)) as Tensor, y);
    if (Number.isNaN(aotFirstLoss)) aotFirstLoss = Number(loss.toData().data[0]);
    await loss.backward();
    optimizer.step();
    optimizer.zeroGrad();
  };

  // Both start from the same weights: their first losses agree (each then trains its own copy).
  await aotStep();
  tfStep();
  const agree = Math.abs(aotFirstLoss - tfFirstLoss) <= 1e-4 * Math.abs(tfFirstLoss);

  // The machines are shared and their load changes by the second: the cases take turns, one run
  // each per round, so a busy spell slows all of them alike.
  const tensorsBefore = tf.memory().numTensors;
  const dy = tf.randomNormal([BATCH, SIZES[1]!]);
  const [aotMs, tfMs, flagged, explicit] = await interleavedMedians(
    [
      aotStep,
      tfStep,
      // Where the difference comes from: eager TF.js's MatMul gradient multiplies with transpose
      // flags, which TF.js's wasm backend runs outside XNNPACK's fast path; the compiled graphs
      // carry transposes as explicit permutes, and the backend keeps them explicit on wasm.
      // (tidy's callback returns nothing: tidy walks a returned value looking for tensors.)
      () => tf.tidy(() => void tf.matMul(tx, dy, true, false).dataSync()),
      () => tf.tidy(() => void tf.matMul(tf.transpose(tx), dy).dataSync()),
    ],
    15,
    3,
  );
  dy.dispose();
  const leaked = tf.memory().numTensors - tensorsBefore;
  const col = "MLP 784-512-512-10, batch 128, MSE + SGD";
  table([
    { [col]: "aotjs aotModule -> tfjsCompiler (wasm)", "median ms": aotMs!.toFixed(1) },
    { [col]: "TF.js eager tf.variableGrads (wasm)", "median ms": tfMs!.toFixed(1) },
    {
      [col]: "one product of eager's backward: matMul(x, dy, transposeA) [784x128 @ 128x512]",
      "median ms": flagged!.toFixed(1),
    },
    {
      [col]: "the same product as the compiled graph runs it: matMul(transpose(x), dy)",
      "median ms": explicit!.toFixed(1),
    },
  ]);
  console.log(
    `\naotjs is ${(tfMs! / aotMs!).toFixed(2)}x faster than eager TF.js (goal 1.5x). First-step loss: ` +
      `aotjs ${aotFirstLoss.toFixed(6)}, TF.js ${tfFirstLoss.toFixed(6)} (${agree ? "agree" : "DISAGREE"}); ` +
      `TF.js tensors leaked over the runs: ${leaked}.`,
  );
  await compiled.dispose();
}

/** Median wall time in ms of each function, running them in turn `runs` times after `warmup` rounds. */
async function interleavedMedians(fns: (() => unknown)[], runs: number, warmup: number): Promise<number[]> {
  const times: number[][] = fns.map(() => []);
  for (let round = 0; round < warmup + runs; round++) {
    for (const [i, fn] of fns.entries()) {
      const t0 = performance.now();
      await fn();
      if (round >= warmup) times[i]!.push(performance.now() - t0);
    }
  }
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]!);
}

// onnx: a training step (MSE loss, every gradient) of an MLP 784-512-512-10 (ReLU) at batch 128,
// measured side by side in one process:
//
// - aotjs on ORT: aotModule over a module whose forward is the loss, onnxCompiler for both graphs;
//   a step is forward + loss.backward() through eager autograd, leaving .grad on every parameter.
// - aotjs on ORT, forwardBackward: the same module's call and backward as one joint graph.
// - aotjs graphs on ORT, raw: the same forward and backward graphs run back to back on their
//   sessions, without the eager runtime around them (what the runtime costs).
// The three alternate, round by round.
// - jax-js: jit(valueAndGrad(loss)) on its wasm device.
// - TF.js: tf.variableGrads(loss) on the wasm backend.
// - aotjs on the reference interpreter (the default nop compilers).
// - ORT's own MatMul at 1024^3, for scale: its kernel's rate, what a step could at best reach.
//
// Goals (issue #12): aotjs on ORT at least 5x faster than jax-js, and at least 70% of ORT's GEMM
// rate. (Whole-model training steps against PyTorch are the `train` suite.)
import { aotExport, aotModule } from "@aotjs/aot";
import { onnxCompiler } from "@aotjs/backend-onnx/node";
import { type Executable, TensorData } from "@aotjs/ir";
import { F, type Module, mlp, WithLoss } from "@aotjs/nn";
import { manualSeed, randn, type Tensor } from "@aotjs/tensor";
import { blockUntilReady, defaultDevice, init, jit, nn, numpy as np, tree, valueAndGrad } from "@jax-js/jax";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { ortMatmul } from "./gemm.js";
import { alternatingMs, medianMs, table } from "./measure.js";

const SIZES = [784, 512, 512, 10];
const BATCH = 128;
/** 2 * batch * (sum of in*out) forward, twice that backward, less the first layer's input gradient. */
const STEP_FLOPS = (() => {
  const layers = SIZES.slice(1).map((out, i) => SIZES[i]! * out);
  const total = layers.reduce((a, b) => a + b, 0);
  return 2 * BATCH * (3 * total - layers[0]!);
})();

/** The loss as the module's forward, so one compiled graph pair covers the whole step. */
const mseStep = (net: Module) => new WithLoss(net, F.mseLoss);

const f32 = (t: Tensor) => t.toData().data as Float32Array;

async function aotjsStep(
  model: Module,
  x: Tensor,
  y: Tensor,
  compiled: ReturnType<typeof aotModule<WithLoss>>,
) {
  for (const p of model.parameters()) p.grad = null;
  const loss = await compiled.forward(x, y);
  await loss.backward();
}

async function jaxStep(model: Module, x: Tensor, y: Tensor): Promise<() => Promise<void>> {
  await init("wasm");
  defaultDevice("wasm");
  const ps = model.parameters();
  // Linear's weight is [out, in]; keep it so and multiply by its transpose, as the aotjs graph does.
  const params = [0, 2, 4].map((i) => ({
    w: np.array(f32(ps[i]!)).reshape([...ps[i]!.shape]),
    b: np.array(f32(ps[i + 1]!)),
  }));
  const jx = np.array(f32(x)).reshape([...x.shape]);
  const jy = np.array(f32(y)).reshape([...y.shape]);
  const loss = (p: typeof params, xs: np.Array, ys: np.Array) => {
    let h = xs;
    p.forEach((l, i) => {
      h = np.matmul(h, l.w.transpose()).add(l.b);
      if (i < p.length - 1) h = nn.relu(h);
    });
    return np.square(h.sub(ys)).mean();
  };
  const step = jit(valueAndGrad(loss));
  return async () => {
    const [value, grads] = step(tree.ref(params), jx.ref, jy.ref);
    await blockUntilReady([value, grads]);
    value.dispose();
    tree.dispose(grads);
  };
}

async function tfStep(model: Module, x: Tensor, y: Tensor): Promise<() => void> {
  await tf.setBackend("wasm");
  await tf.ready();
  const ps = model.parameters();
  const vars = ps.map((p) => tf.variable(tf.tensor(f32(p), [...p.shape])));
  const tx = tf.tensor(f32(x), [...x.shape]);
  const ty = tf.tensor(f32(y), [...y.shape]);
  const loss = () => {
    let h: tf.Tensor = tx;
    for (let l = 0; l < vars.length; l += 2) {
      h = tf.add(tf.matMul(h, vars[l]!, false, true), vars[l + 1]!);
      if (l + 2 < vars.length) h = tf.relu(h);
    }
    return tf.losses.meanSquaredError(ty, h) as tf.Scalar;
  };
  return () => {
    const { value, grads } = tf.variableGrads(loss);
    value.dataSync();
    for (const g of Object.values(grads)) g.dataSync();
    value.dispose();
    tf.dispose(Object.values(grads));
  };
}

/** The exported forward and backward graphs on their own sessions, back to back. */
async function rawOrtStep(
  model: Module,
  x: Tensor,
  y: Tensor,
): Promise<{ run: () => Promise<unknown>; dispose: () => Promise<void> }> {
  const exported = aotExport(mseStep(model), [x, y]);
  const { forward, backward, signature } = exported;
  const [fw, bw] = [
    await onnxCompiler()(forward, forward.inputMetas),
    await onnxCompiler()(backward!, backward!.inputMetas),
  ] as Executable[];
  const state = new Map(model.namedParameters().map(([n, p]) => [`model.${n}`, p]));
  const data = [x, y];
  const inputs = signature.inputs.map((i) =>
    (i.target ? state.get(i.target)! : data[signature.userInputs.indexOf(i.name)]!).toData(),
  );
  const one = new TensorData("float32", [], Float32Array.of(1));
  return {
    run: async () => {
      const out = await fw!.run(inputs);
      await bw!.run(
        signature.backward!.inputs.map((b) => (b.kind === "saved" ? out[b.forwardOutput!]! : one)),
      );
    },
    dispose: async () => {
      await fw!.dispose?.();
      await bw!.dispose?.();
    },
  };
}

export async function onnx(): Promise<void> {
  manualSeed(0);
  const model = mlp(SIZES);
  const x = randn([BATCH, SIZES[0]!]);
  const y = randn([BATCH, SIZES.at(-1)!]);
  const rows: Record<string, string | number>[] = [];
  const row = (name: string, ms: number, note = "") =>
    rows.push({
      "MLP 784-512-512-10, batch 128, MSE": name,
      "median ms/step": ms.toFixed(2),
      "GFLOP/s": (STEP_FLOPS / ms / 1e6).toFixed(1),
      note,
    });

  // ORT's MatMul rate before and after the steps, the better counting (as in `train`): a shared
  // machine's other jobs come and go.
  const gemmBefore = await ortMatmul(1024);
  // aotModule, forwardBackward and the raw sessions alternate, round by round.
  const onOrt = aotModule(mseStep(model), { fwCompiler: onnxCompiler(), bwCompiler: onnxCompiler() });
  const raw = await rawOrtStep(model, x, y);
  const ms = await alternatingMs({
    split: () => aotjsStep(model, x, y, onOrt),
    joint: async () => {
      for (const p of model.parameters()) p.grad = null;
      await onOrt.forwardBackward(x, y);
    },
    raw: raw.run,
  });
  row("aotjs on ORT (aotModule, eager autograd)", ms.split);
  row("aotjs on ORT (aotModule.forwardBackward)", ms.joint, "one joint graph");
  row("aotjs graphs on ORT, sessions only", ms.raw, "no eager runtime");
  await onOrt.dispose();
  await raw.dispose();
  const ortMs = Math.min(ms.split, ms.joint);
  const best = ms.joint < ms.split ? "forwardBackward" : "aotModule";

  let jaxMs = Number.NaN;
  try {
    const step = await jaxStep(model, x, y);
    jaxMs = await medianMs(step, { runs: 21, warmup: 5 });
    row("jax-js jit(valueAndGrad), wasm", jaxMs);
  } catch (e) {
    rows.push({
      "MLP 784-512-512-10, batch 128, MSE": "jax-js jit(valueAndGrad), wasm",
      "median ms/step": "n/a",
      "GFLOP/s": "",
      note: `failed: ${(e as Error).message}`,
    });
  }

  const tfRun = await tfStep(model, x, y);
  row("TF.js variableGrads, wasm", await medianMs(tfRun, { runs: 11, warmup: 3 }));

  const onRef = aotModule(mseStep(model));
  row(
    "aotjs on the reference interpreter",
    await medianMs(() => aotjsStep(model, x, y, onRef), { runs: 5, warmup: 3 }),
  );

  const gemmAfter = await ortMatmul(1024);
  const gemm = gemmAfter.gflops > gemmBefore.gflops ? gemmAfter : gemmBefore;
  table(rows);
  const stepRate = STEP_FLOPS / ortMs / 1e6;
  console.log(
    `\nORT MatMul 1024^3 (${((2 * 1024 ** 3) / 1e9).toFixed(2)} GFLOP): kernel ${gemm.ms.toFixed(2)} ms, ${gemm.gflops.toFixed(1)} GFLOP/s (a whole run: ${gemm.wallGflops.toFixed(1)})`,
  );
  console.log(`step: ${(STEP_FLOPS / 1e6).toFixed(0)} MFLOP of matmuls`);
  console.log(
    `goal 1, aotjs on ORT >= 5x faster than jax-js: ${ortMs.toFixed(2)} ms (${best}) vs ${(jaxMs / 5).toFixed(2)} ms (${(jaxMs / ortMs).toFixed(1)}x faster than jax-js)`,
  );
  console.log(
    `goal 2, >= 70% of ORT's GEMM rate: ${stepRate.toFixed(1)} GFLOP/s = ${((100 * stepRate) / gemm.gflops).toFixed(0)}% of ${gemm.gflops.toFixed(1)}`,
  );
}

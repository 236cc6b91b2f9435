// The browser benchmark's page: one training step (MSE, every gradient) of an MLP 784-512-512-10
// at batch 128, three ways in the same page, on wasm: aotjs (aotModule, graphs on ORT-web's wasm
// EP), jax-js (jit(valueAndGrad)) and TF.js (variableGrads). `window.bench.run(rounds)` times
// them alternating, one step of each per round, so the three share whatever else the machine does.
import { aotModule } from "@aotjs/aot";
import { onnxCompiler } from "@aotjs/backend-onnx";
import { F, Module, mlp } from "@aotjs/nn";
import { manualSeed, randn, type Tensor } from "@aotjs/tensor";
import { blockUntilReady, defaultDevice, init, jit, nn, numpy as np, tree, valueAndGrad } from "@jax-js/jax";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";

const SIZES = [784, 512, 512, 10];
const BATCH = 128;

class MseStep extends Module {
  constructor(readonly net: Module) {
    super();
  }
  override forward(x: Tensor, y: Tensor): Tensor {
    return F.mseLoss(this.net.forward(x) as Tensor, y);
  }
}

const f32 = (t: Tensor) => t.toData().data as Float32Array;

manualSeed(0);
const model = mlp(SIZES);
const x = randn([BATCH, SIZES[0]!]);
const y = randn([BATCH, SIZES.at(-1)!]);

async function aotjsStep(): Promise<() => Promise<number>> {
  const compiler = onnxCompiler({ executionProviders: ["wasm"] });
  const compiled = aotModule(new MseStep(model), { fwCompiler: compiler, bwCompiler: compiler });
  return async () => {
    for (const p of model.parameters()) p.grad = null;
    const loss = await compiled.forward(x, y);
    await loss.backward();
    return loss.item() as number;
  };
}

async function jaxStep(): Promise<() => Promise<number>> {
  await init("wasm");
  defaultDevice("wasm");
  const ps = model.parameters();
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
    const v = (await value.data())[0]!;
    tree.dispose(grads);
    return v;
  };
}

async function tfStep(): Promise<() => Promise<number>> {
  if (!(await tf.setBackend("wasm"))) throw new Error("TF.js wasm did not start");
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
  return async () => {
    const { value, grads } = tf.variableGrads(loss);
    const v = (await value.data())[0]!;
    await Promise.all(Object.values(grads).map((g) => g.data()));
    value.dispose();
    tf.dispose(Object.values(grads));
    return v;
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function run(rounds: number, warmup: number) {
  const steps = { aotjs: await aotjsStep(), jax: await jaxStep(), tfjs: await tfStep() };
  const times: Record<string, number[]> = { aotjs: [], jax: [], tfjs: [] };
  const losses: Record<string, number> = {};
  for (let r = 0; r < warmup + rounds; r++) {
    for (const [name, step] of Object.entries(steps)) {
      const t0 = performance.now();
      losses[name] = await step();
      if (r >= warmup) times[name]!.push(performance.now() - t0);
    }
  }
  return {
    medianMs: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)])),
    losses,
    isolated: crossOriginIsolated,
    threads: navigator.hardwareConcurrency,
  };
}

Object.assign(globalThis, { bench: { run } });
document.body.dataset.ready = "true";

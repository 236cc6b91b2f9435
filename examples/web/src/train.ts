// The training run the page shows, shared with the Node reference run in the browser test: a
// small convnet learns the procedural digits. Each step's forward (the loss included) and
// backward graphs were captured once by aotModule and run on the backend the caller picked; SGD
// is ordinary eager code around them.
import { aotModule } from "@aotjs/aot";
import type { Compiler, Graph } from "@aotjs/ir";
import { Conv2d, F, Flatten, Linear, MaxPool2d, Module, ReLU, Sequential, SGD } from "@aotjs/nn";
import { manualSeed, noGrad, type Tensor, tensor } from "@aotjs/tensor";
import { digitBatch, SIZE } from "./digits.js";

/** conv 1->8 3x3, relu, pool, conv 8->16 3x3, relu, pool, linear 256->10: 4.5k parameters. */
export function digitNet(): Sequential {
  return new Sequential(
    new Conv2d(1, 8, 3, { padding: 1 }),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(8, 16, 3, { padding: 1 }),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    new Linear(16 * (SIZE / 4) * (SIZE / 4), 10),
  );
}

/** The network and its loss as one module, so the loss is in the compiled forward graph. */
class WithLoss extends Module {
  constructor(readonly net: Sequential) {
    super();
  }
  override forward(x: Tensor, labels: Tensor): Tensor {
    return F.crossEntropy(this.net.forward(x) as Tensor, labels);
  }
}

export interface Compilers {
  readonly fwCompiler: Compiler;
  readonly bwCompiler: Compiler;
  /** For the accuracy's eval-mode forward. Default: fwCompiler. */
  readonly inferenceCompiler?: Compiler;
}

export interface TrainOptions {
  readonly steps: number;
  readonly batch?: number;
  readonly lr?: number;
  readonly seed?: number;
  /** Measure the accuracy on the held-out digits every this many steps (and after the last). */
  readonly evalEvery?: number;
  readonly onStep?: (report: StepReport) => void | Promise<void>;
  /** Checked between steps: true stops the run early. */
  readonly stopped?: () => boolean;
}

export interface StepReport {
  readonly step: number;
  readonly loss: number;
  /** Fraction of the held-out digits classified right, on the steps it was measured. */
  readonly accuracy?: number;
  /** Wall time of this step: forward, backward and the SGD update. */
  readonly ms: number;
}

export interface TrainResult {
  readonly losses: number[];
  readonly accuracy: number;
  readonly graphs: { readonly forward?: Graph; readonly backward?: Graph };
  /** Median step time over the steps after the first (which compiles). */
  readonly medianStepMs: number;
}

const TEST_SIZE = 200;

export async function train(compilers: Compilers, options: TrainOptions): Promise<TrainResult> {
  const { steps, batch = 32, lr = 0.1, seed = 0, evalEvery = 10 } = options;
  manualSeed(seed);
  const net = digitNet();
  const model = new WithLoss(net);
  const step = aotModule(model, { fwCompiler: compilers.fwCompiler, bwCompiler: compilers.bwCompiler });
  const infer = aotModule(net, { fwCompiler: compilers.inferenceCompiler ?? compilers.fwCompiler });
  const opt = new SGD(model.parameters(), { lr, momentum: 0.9 });
  const test = digitBatch(TEST_SIZE, 1_000_000 + seed);
  const testX = tensor(test.images).reshape([TEST_SIZE, 1, SIZE, SIZE]);

  const accuracy = async () => {
    net.eval();
    const logits = (await noGrad(() => infer.forward(testX))) as Tensor;
    net.train();
    const predicted = logits.argmax({ dim: 1 }).toArray() as number[];
    return predicted.filter((p, i) => p === test.labels[i]).length / TEST_SIZE;
  };

  const losses: number[] = [];
  const times: number[] = [];
  let last = 0;
  try {
    for (let s = 0; s < steps && !options.stopped?.(); s++) {
      const t0 = performance.now();
      const data = digitBatch(batch, seed * 100_003 + s);
      const x = tensor(data.images).reshape([batch, 1, SIZE, SIZE]);
      const y = tensor(data.labels, { dtype: "int64" });
      const loss = (await step.forward(x, y)) as Tensor;
      opt.zeroGrad();
      await loss.backward();
      opt.step();
      const value = loss.item() as number;
      const ms = performance.now() - t0;
      losses.push(value);
      times.push(ms);
      const measure = (s + 1) % evalEvery === 0 || s === steps - 1;
      if (measure) last = await accuracy();
      await options.onStep?.({ step: s, loss: value, ms, ...(measure ? { accuracy: last } : {}) });
    }
    const later = times.slice(1).sort((a, b) => a - b);
    return {
      losses,
      accuracy: last,
      graphs: { forward: step.lastGraphs.forward, backward: step.lastGraphs.backward },
      medianStepMs: later.length ? later[Math.floor(later.length / 2)]! : (times[0] ?? 0),
    };
  } finally {
    await step.dispose();
    await infer.dispose();
  }
}

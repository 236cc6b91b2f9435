// train: whole training steps on ONNX Runtime against what a user would pick instead, measured
// side by side (PyTorch eager runs in a child process, alternating with aotjs, round by round).
//
// - resnet18 (torchvision's), batch 8, 3x224x224, cross-entropy, SGD lr 0.01: aotjs on ORT
//   (capture once, forward and backward graphs on ORT sessions, eager autograd around them) vs
//   PyTorch 1.13 eager at 1 and 2 threads (the faster counts: two OpenMP threads can collapse on a
//   busy 2-core machine). GFLOP/s counts the matmul/conv work of the compiled graphs, against
//   ORT's own 2-thread MatMul kernel rate at 1024^3 (see `ortMatmul`). Time to the first step
//   includes capture, partition, ORT session creation and the first run; the second step shows
//   whether step 2 compiled again.
// - gptMini (example 09's config), AdamW: the same comparison.
import { availableParallelism } from "node:os";
import { aotModule, aotOptimizer } from "@aotjs/aot";
import { onnxCompiler } from "@aotjs/backend-onnx/node";
import { type Compiler, type Graph, TensorData } from "@aotjs/ir";
import { AdamW, F, gptMini, type Module, type Optimizer, resnet18, SGD, WithLoss } from "@aotjs/nn";
import { minCutRematerializationPartition } from "@aotjs/partitioner";
import { manualSeed, randint, randn, type Tensor } from "@aotjs/tensor";
import { matmulConvFlops } from "./flops.js";
import { ortMatmul } from "./gemm.js";
import { median, table, timesMs } from "./measure.js";
import { torchMissing, torchSteps } from "./peers.js";

export interface Variant {
  readonly name: string;
  /**
   * Builds the compiled model and optimizer, their graphs compiled by `compiler()` (default a
   * fresh `onnxCompiler()` each); returns one training step and a cleanup.
   */
  readonly setup: (compiler?: () => Compiler) => {
    step: () => Promise<void>;
    graphs: () => Graph[];
    dispose: () => Promise<void>;
  };
}

/** A graph a variant compiled, and a copy of the inputs of its last run. */
export interface CapturedGraph {
  readonly graph: Graph;
  readonly inputs: readonly TensorData[];
}

/**
 * The graphs a variant's `graphs()` names, with the inputs each last ran on, after
 * `steps` training steps (then its sessions are freed). Real step inputs, not made-up ones:
 * constant inputs sent gptMini's kernels through denormals that training never meets (10.3 ms
 * per run against 5.5).
 */
export async function capturedGraphs(variant: Variant, steps = 1): Promise<CapturedGraph[]> {
  const seen: { graph: Graph; inputs: readonly TensorData[] }[] = [];
  const recording = (): Compiler => {
    const inner = onnxCompiler();
    return async (graph, metas) => {
      const exe = await inner(graph, metas);
      const record = { graph, inputs: [] as readonly TensorData[] };
      seen.push(record);
      return {
        run: (inputs) => {
          record.inputs = inputs;
          return exe.run(inputs);
        },
        dispose: () => exe.dispose?.(),
      };
    };
  };
  const live = variant.setup(recording);
  for (let i = 0; i < steps; i++) await live.step();
  // Copies: a later step may write over the arrays a run was given (parameters update in place).
  const out = live.graphs().map((graph) => {
    const ran = seen.find((r) => r.graph === graph && r.inputs.length > 0);
    if (!ran) throw new Error(`capturedGraphs: graph '${graph.name}' of ${variant.name} never ran`);
    const inputs = ran.inputs.map((t) => new TensorData(t.dtype, [...t.shape], t.data.slice() as never));
    return { graph, inputs };
  });
  await live.dispose();
  return out;
}

export interface Workload {
  readonly title: string;
  readonly variants: readonly Variant[];
  readonly torchScript: string;
  readonly runs: number;
  readonly rounds: number;
  /** Untimed steps before the first round (after the first and second steps). */
  readonly warmup: number;
}

const partitions = {
  default: undefined,
  "min-cut": minCutRematerializationPartition,
} as const;
type PartitionName = keyof typeof partitions;

interface Config {
  readonly partition: PartitionName;
  /** The optimizer step compiled to ORT by aotOptimizer, or eager `opt.step()`. */
  readonly compiledOptimizer: boolean;
  /** The cross-entropy inside the compiled module (the graph returns the loss). */
  readonly lossInGraph?: boolean;
  /** With the loss in the graph: `forwardBackward`, one joint graph instead of forward + backward. */
  readonly joint?: boolean;
  /** With the loss in the graph: `aotOptimizer(...).trainStep`, forward, backward and update as one graph. */
  readonly trainStep?: boolean;
}

const describeConfig = (c: Config, opt: string) =>
  c.trainStep
    ? `aotjs on ORT, aotOptimizer(${opt}).trainStep (one graph)`
    : `aotjs on ORT, ${c.joint ? "forwardBackward (joint graph)" : c.partition}, ${c.compiledOptimizer ? `aotOptimizer(${opt})` : `eager ${opt}`}${c.lossInGraph && !c.joint ? ", loss in graph" : ""}`;

/** An aotModule on ORT and its optimizer step, eager or compiled. */
function compiledStep(
  model: Module,
  c: Config,
  opt: Optimizer<object>,
  compiler: () => Compiler = () => onnxCompiler(),
) {
  const fn = partitions[c.partition];
  const compiled = aotModule(model, {
    fwCompiler: compiler(),
    bwCompiler: compiler(),
    ...(fn ? { partitionFn: fn } : {}),
  });
  const stepper = c.compiledOptimizer ? aotOptimizer(opt, { compiler: compiler() }) : undefined;
  return {
    compiled,
    stepper,
    update: async () => (stepper ? stepper.step() : opt.step()),
    graphs: () =>
      c.trainStep
        ? [stepper!.lastGraph!]
        : c.joint
          ? [compiled.lastGraphs.joint!]
          : [compiled.lastGraphs.forward!, compiled.lastGraphs.backward!],
    dispose: async () => {
      await compiled.dispose();
      await stepper?.dispose();
    },
  };
}

export function resnetWorkload(): Workload {
  const variant = (c: Config): Variant => ({
    name: describeConfig(c, "SGD"),
    setup: (compiler) => {
      manualSeed(1);
      const model = resnet18();
      const images = randn([8, 3, 224, 224]);
      const labels = randint(0, 1000, [8]);
      const opt = new SGD(model.parameters(), { lr: 0.01 });
      const wrapped = c.lossInGraph ? withCrossEntropy(model, 1000) : model;
      const { compiled, stepper, update, graphs, dispose } = compiledStep(wrapped, c, opt, compiler);
      return {
        step: async () => {
          if (c.trainStep) {
            await stepper!.trainStep(wrapped, images, labels);
            return;
          }
          opt.zeroGrad();
          if (c.joint) await compiled.forwardBackward(images, labels);
          else if (c.lossInGraph) await ((await compiled.forward(images, labels)) as Tensor).backward();
          else await F.crossEntropy((await compiled.forward(images)) as Tensor, labels).backward();
          await update();
        },
        graphs,
        dispose,
      };
    },
  });
  return {
    title: "resnet18, batch 8, 3x224x224, SGD",
    variants: [
      variant({ partition: "default", compiledOptimizer: false }),
      variant({ partition: "min-cut", compiledOptimizer: false }),
      variant({ partition: "default", compiledOptimizer: true }),
      variant({ partition: "min-cut", compiledOptimizer: true }),
      variant({ partition: "default", compiledOptimizer: true, lossInGraph: true, joint: true }),
      variant({ partition: "default", compiledOptimizer: true, lossInGraph: true, trainStep: true }),
    ],
    torchScript: "resnet18_step.py",
    runs: 5,
    rounds: 2,
    warmup: 3,
  };
}

/** A model's cross-entropy as the module's forward, so the compiled graphs cover the loss too. */
const withCrossEntropy = (net: Module, classes: number) =>
  new WithLoss(net, (logits, y) => F.crossEntropy(logits.reshape([-1, classes]), y.reshape([-1])));

/** Steps a fresh process needs before gptMini's step reaches its steady time (see `warmup`). */
export const GPT_WARMUP = 50;

export function gptWorkload(): Workload {
  const V = 27;
  const variant = (c: Config): Variant => ({
    name: describeConfig(c, "AdamW"),
    setup: (compiler) => {
      manualSeed(0);
      const gpt: Module = gptMini({ vocab: V, dModel: 64, nHead: 4, nLayer: 2, seqLen: 32 });
      const x = randint(0, V, [16, 32], { dtype: "int64" });
      const y = randint(0, V, [16, 32], { dtype: "int64" });
      const opt = new AdamW(gpt.parameters(), { lr: 3e-3, weightDecay: 0.01 });
      const model = c.lossInGraph ? withCrossEntropy(gpt, V) : gpt;
      const { compiled, stepper, update, graphs, dispose } = compiledStep(model, c, opt, compiler);
      return {
        step: async () => {
          if (c.trainStep) {
            await stepper!.trainStep(model, x, y);
            return;
          }
          if (c.joint) {
            opt.zeroGrad();
            await compiled.forwardBackward(x, y);
          } else {
            const loss = c.lossInGraph
              ? ((await compiled.forward(x, y)) as Tensor)
              : F.crossEntropy(((await compiled.forward(x)) as Tensor).reshape([-1, V]), y.reshape([-1]));
            opt.zeroGrad();
            await loss.backward();
          }
          await update();
        },
        graphs,
        dispose,
      };
    },
  });
  return {
    title: "gptMini (d 64, 4 heads, 2 layers, T 32, batch 16), AdamW",
    variants: [
      variant({ partition: "min-cut", compiledOptimizer: false }),
      variant({ partition: "min-cut", compiledOptimizer: true }),
      variant({ partition: "default", compiledOptimizer: true, lossInGraph: true }),
      variant({ partition: "min-cut", compiledOptimizer: true, lossInGraph: true }),
      variant({ partition: "min-cut", compiledOptimizer: true, lossInGraph: true, joint: true }),
      variant({ partition: "min-cut", compiledOptimizer: true, lossInGraph: true, trainStep: true }),
    ],
    torchScript: "gpt_mini_step.py",
    runs: 30,
    rounds: 3,
    // In a fresh process the first ~25 steps run at about 1.8x the steady time: until V8 first
    // collects onnxruntime-node's output ArrayBuffers, every step's outputs land on pages never
    // touched before (faults at ~10 us per 4 KiB here). After that collection, memory is reused.
    warmup: GPT_WARMUP,
  };
}

async function measure(w: Workload, gemmRate: () => Promise<number>): Promise<number> {
  const missing = await torchMissing();
  const live = w.variants.map((v) => ({
    v,
    ...v.setup(),
    times: [] as number[],
    first: 0,
    second: 0,
    flops: 0,
  }));
  for (const l of live) {
    const t0 = performance.now();
    await l.step();
    l.first = performance.now() - t0;
    // Step 2 compiles again wherever step 1's graph differs (optimizer state that did not exist yet).
    const t1 = performance.now();
    await l.step();
    l.second = performance.now() - t1;
    l.flops = l.graphs().reduce((a, g) => a + matmulConvFlops(g), 0);
    for (let i = 0; i < w.warmup; i++) await l.step();
  }
  const torch: Record<number, number[]> = { 1: [], 2: [] };
  for (let round = 0; round < w.rounds; round++) {
    for (const l of live) l.times.push(...(await timesMs(l.step, { runs: w.runs })));
    if (!missing) for (const t of [1, 2]) torch[t]!.push(...(await torchSteps(w.torchScript, t, w.runs)));
  }
  for (const l of live) await l.dispose();
  const gemmGflops = await gemmRate();
  const best = missing ? Number.NaN : Math.min(median(torch[1]!), median(torch[2]!));
  const rows: Record<string, string>[] = live.map((l) => {
    const ms = median(l.times);
    const rate = l.flops / ms / 1e6;
    return {
      [w.title]: l.v.name,
      "median ms/step": ms.toFixed(w.runs > 10 ? 2 : 0),
      "vs PyTorch": missing ? "n/a" : `${(ms / best).toFixed(2)}x`,
      "GFLOP/s": rate.toFixed(1),
      "of ORT GEMM": `${((100 * rate) / gemmGflops).toFixed(0)}%`,
      "first step": `${l.first.toFixed(0)} ms (${(l.first / ms).toFixed(1)}x)`,
      "second step": `${l.second.toFixed(w.runs > 10 ? 1 : 0)} ms`,
    };
  });
  if (missing) rows.push({ [w.title]: "PyTorch eager", "median ms/step": "n/a", "vs PyTorch": missing });
  for (const t of missing ? [] : [1, 2]) {
    const ms = median(torch[t]!);
    rows.push({
      [w.title]: `PyTorch 1.13 eager, ${t} thread${t > 1 ? "s" : ""}`,
      "median ms/step": ms.toFixed(w.runs > 10 ? 2 : 0),
      "vs PyTorch": `${(ms / best).toFixed(2)}x`,
      "GFLOP/s": (live[0]!.flops / ms / 1e6).toFixed(1),
      "of ORT GEMM": "",
      "first step": "",
      "second step": "",
    });
  }
  table(rows);
  console.log(`step work: ${(live[0]!.flops / 1e9).toFixed(1)} GFLOP of matmuls and convolutions`);
  return gemmGflops;
}

export async function train(): Promise<void> {
  // ORT's own GEMM rate, the ceiling a step's GFLOP/s is held to: the better of a measurement
  // before and after each workload (a shared machine's other jobs come and go).
  for (const w of [resnetWorkload(), gptWorkload()]) {
    const before = await ortMatmul(1024);
    let wall = before.wallGflops;
    const after = await measure(w, async () => {
      const again = await ortMatmul(1024);
      wall = Math.max(wall, again.wallGflops);
      return Math.max(before.gflops, again.gflops);
    });
    console.log(
      `ORT MatMul 1024^3 (${availableParallelism()} threads): kernel ${after.toFixed(1)} GFLOP/s (a whole run: ${wall.toFixed(1)})\n`,
    );
  }
}

// Memory you can dial: gptMini training steps on ONNX Runtime under three memory budgets, then
// with every transformer block checkpointed (checkpoint() regions). For each: the saved
// activation bytes, the estimated recompute time, the estimated peak memory (simulated value
// lifetimes) against the measured one, and the step time.
//
// Measured peak: onnxruntime-node exposes no allocation statistics, so this reads the process's
// peak RSS (VmHWM, reset through /proc/self/clear_refs after a warm-up step) over a loop of steps,
// with ORT's CPU arena off and glibc's mmap threshold fixed so freed tensors return to the OS.
// Linux only; elsewhere the measured column is left empty.
//
// It also draws the trade-off curve (paretoFrontier at seven budgets from 1 to 0) as an SVG chart:
// to the path given as the first argument, else to a temp folder; it prints the path.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { aotModule, checkpoint } from "@aotjs/aot";
import { type OrtModule, onnxCompiler } from "@aotjs/backend-onnx";
import { drawFrontier } from "@aotjs/drawer/node";
import { formatBytes, type Graph } from "@aotjs/ir";
import { F, gptMini } from "@aotjs/nn";
import {
  estimatePeakMemory,
  type MemoryBudgetResult,
  memoryBudgetPartition,
  paretoFrontier,
} from "@aotjs/partitioner";
import { manualSeed, randint, type Tensor } from "@aotjs/tensor";
import * as ort from "onnxruntime-node";

if (process.env.MALLOC_MMAP_THRESHOLD_ === undefined && process.platform === "linux") {
  // Rerun with a fixed mmap threshold (glibc otherwise keeps freed big blocks) and gc exposed.
  const r = spawnSync(process.execPath, [...process.execArgv, "--expose-gc", ...process.argv.slice(1)], {
    stdio: "inherit",
    env: { ...process.env, MALLOC_MMAP_THRESHOLD_: "65536" },
  });
  process.exit(r.status ?? 1);
}

const config = { vocab: 256, dModel: 128, nHead: 4, nLayer: 4, seqLen: 128 } as const;
const batch = 16;
const noArena: OrtModule = {
  Tensor: ort.Tensor,
  InferenceSession: { create: (m, o) => ort.InferenceSession.create(m, { ...o, enableCpuMemArena: false }) },
};

const status = (key: string): number | undefined => {
  if (process.platform !== "linux") return undefined;
  const line = readFileSync("/proc/self/status", "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${key}:`));
  return line ? Number(line.split(/\s+/)[1]) * 1024 : undefined;
};
const gc = () => (globalThis as { gc?: () => void }).gc?.();

const rows: string[][] = [];
let joint: { graph: Graph; numForwardOutputs?: number } | undefined;
// The last run checkpoints every transformer block instead (min-cut, budget 1): the backward
// recomputes each block from its input, as HF Transformers' gradient checkpointing.
const runs = [{ budget: 1 }, { budget: 0.5 }, { budget: 0.1 }, { budget: 1, blocks: true }];
for (const { budget, blocks } of runs) {
  manualSeed(0);
  const model = gptMini(config);
  if (blocks) {
    for (const block of model.transformer.h) {
      const forward = block.forward.bind(block);
      block.forward = (x: Tensor) => checkpoint(forward, x);
    }
  }
  const idx = randint(0, config.vocab, [batch, config.seqLen]);
  const targets = randint(0, config.vocab, [batch * config.seqLen]);
  let result: MemoryBudgetResult | undefined;
  const compiler = onnxCompiler({ ort: noArena });
  const wrapped = aotModule(model, {
    fwCompiler: compiler,
    bwCompiler: compiler,
    partitionFn: (g, o) => {
      if (!blocks) joint ??= { graph: g, ...o };
      result = memoryBudgetPartition(g, { ...o, budget });
      return result;
    },
  });
  const step = async () => {
    const logits = (await wrapped.forward(idx)) as Tensor;
    await F.crossEntropy(logits.reshape([-1, config.vocab]), targets).backward();
    for (const p of model.parameters()) p.grad = null;
  };
  await step(); // trace, partition, compile
  await step();
  gc();
  let base: number | undefined;
  try {
    writeFileSync("/proc/self/clear_refs", "5");
    base = status("VmRSS");
  } catch {
    base = undefined;
  }
  const times: number[] = [];
  for (let i = 0; i < 8; i++) {
    const t0 = performance.now();
    await step();
    times.push(performance.now() - t0);
  }
  const peakRss = status("VmHWM");
  const measured = base !== undefined && peakRss !== undefined ? peakRss - base : undefined;
  const est = estimatePeakMemory(result!);
  // The parameters (and inputs) were resident before the reset: compare what the step adds.
  const estimated = est.peakBytes - est.inputBytes;
  times.sort((a, b) => a - b);
  rows.push([
    blocks ? `${budget.toFixed(1)}, blocks checkpointed` : budget.toFixed(1),
    formatBytes(result!.memory.savedBytes),
    `${result!.memory.recomputeMs.toFixed(2)} ms`,
    formatBytes(estimated),
    measured === undefined ? "" : formatBytes(measured),
    measured === undefined ? "" : `${((100 * (estimated - measured)) / measured).toFixed(0)}%`,
    `${times[times.length >> 1]!.toFixed(1)} ms`,
    est.peakAt,
  ]);
  await wrapped.dispose();
}

const header = [
  "budget",
  "saved",
  "recompute (est.)",
  "peak (est.)",
  "peak (RSS)",
  "est. error",
  "step",
  "peak at",
];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
for (const r of [header, ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join("  "));
console.log(
  "peak = live bytes the step adds beyond the parameters and inputs; RSS = process peak RSS over 8 steps",
);

// The whole curve, from the joint graph the first run partitioned.
const t0 = performance.now();
// Seven budgets rather than the default eleven: each exact solve on this graph takes seconds.
const frontier = paretoFrontier(joint!.graph, {
  numForwardOutputs: joint!.numForwardOutputs,
  budgets: [1, 0.8, 0.6, 0.4, 0.2, 0.1, 0],
});
const solveMs = performance.now() - t0;
const file = resolve(process.argv[2] ?? join(tmpdir(), "aotjs-examples", "frontier-gptmini.svg"));
await drawFrontier(frontier, file, {
  title: `gptMini (${config.nLayer} layers, d=${config.dModel}, batch ${batch}x${config.seqLen}): saved vs recompute`,
});
console.log(
  `frontier: ${frontier.length} budgets solved in ${solveMs.toFixed(0)} ms; chart written to ${file}`,
);

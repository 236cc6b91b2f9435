// aot: what capturing costs and what a compiled call costs.
//
// 1. Capture time of aotModule(resnet18) at 1x3x200x200 with the min-cut partition and nop
//    compilers: trace + joint forward/backward + decompose/DCE/CSE + partition, i.e. everything
//    before the first compiler is called. Measured end to end through aotModule (a forward
//    compiler that records when it is called, then stops the call so no graph is run), and phase
//    by phase with the same functions aotFunction calls. PyTorch 1.13's aot_module takes ~1.4 s
//    for the same model and input; the target here is < 150 ms.
// 2. Per-call overhead of a cached aotFunction on a tiny function, against the same function
//    eagerly: with no grad (the inference graph) and with a forward+backward step.
import "@aotjs/autograd";
import { aotFunction, aotModule, inputNameOf, nop } from "@aotjs/aot";
import { noGrad } from "@aotjs/autograd";
import { cse, dce, type Graph, opNames } from "@aotjs/ir";
import { functionalCall, resnet18 } from "@aotjs/nn";
import { minCutRematerializationPartition } from "@aotjs/partitioner";
import { manualSeed, randn, type Tensor } from "@aotjs/tensor";
import { decompose, jointGraphInfo } from "@aotjs/transforms";
import { medianMs, table } from "./measure.js";

const RUNS = 5;
const WARMUP = 2;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => x.toFixed(1);

class Captured extends Error {}

/** One end-to-end capture through aotModule: ms from the call until the forward compiler runs. */
async function captureOnce(
  model: ReturnType<typeof resnet18>,
  x: Tensor,
): Promise<{ ms: number; nodes: number }> {
  let t1 = 0;
  let nodes = 0;
  const am = aotModule(model, {
    partitionFn: minCutRematerializationPartition,
    fwCompiler: (g: Graph) => {
      t1 = performance.now();
      nodes = g.nodes.length;
      throw new Captured(); // stop here: nothing is cached, no graph runs
    },
    bwCompiler: nop,
  });
  const t0 = performance.now();
  const err = await am.forward(x).catch((e: unknown) => e);
  if (!(err instanceof Error && err.cause instanceof Captured)) throw err;
  return { ms: t1 - t0, nodes };
}

/** The same pipeline, phase by phase. */
function phases(model: ReturnType<typeof resnet18>, x: Tensor) {
  const slots = [...model.namedParameters(), ...model.namedBuffers()];
  const leaves = [...slots.map(([, t]) => t), x];
  const names = [...slots.map(([n]) => inputNameOf(n)), "input_1"];
  const fn = (...ts: Tensor[]) =>
    functionalCall(model, Object.fromEntries(slots.map(([n], i) => [n, ts[i]!])), [ts[slots.length]!]);
  const t0 = performance.now();
  const info = jointGraphInfo(
    fn,
    leaves,
    leaves.map((t) => t.requiresGrad),
    { primalNames: names, functionalizeRng: true },
  );
  const t1 = performance.now();
  const joint = cse(dce(decompose(info.graph, opNames)));
  const t2 = performance.now();
  const parts = minCutRematerializationPartition(joint, { numForwardOutputs: info.numForwardOutputs });
  const t3 = performance.now();
  return {
    trace: t1 - t0,
    simplify: t2 - t1,
    partition: t3 - t2,
    total: t3 - t0,
    joint: joint.nodes.length,
    fw: parts.forward.nodes.length,
    bw: parts.backward.nodes.length,
  };
}

async function capture(): Promise<void> {
  manualSeed(0);
  const model = resnet18();
  const x = randn([1, 3, 200, 200]);
  const cold = await captureOnce(model, x); // the first capture in the process, JIT cold
  for (let i = 0; i < WARMUP; i++) await captureOnce(model, x);
  const runs: { ms: number; nodes: number }[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await captureOnce(model, x));
  for (let i = 0; i < WARMUP; i++) phases(model, x);
  const parts = Array.from({ length: RUNS }, () => phases(model, x));
  const p = (k: "trace" | "simplify" | "partition" | "total") => ms(median(parts.map((r) => r[k])));
  const times = runs.map((r) => r.ms);
  const col = `median ms (${RUNS} runs)`;
  table([
    {
      "resnet18, 1x3x200x200, min-cut, nop": "aotModule: call -> fwCompiler",
      [col]: ms(median(times)),
      detail: `min ${ms(Math.min(...times))}, max ${ms(Math.max(...times))}; first (cold) ${ms(cold.ms)}`,
      target: "< 150",
      "PyTorch 1.13": "~1400",
    },
    {
      "resnet18, 1x3x200x200, min-cut, nop": "the same, phase by phase",
      [col]: p("total"),
      detail: `trace+joint ${p("trace")}, decompose/dce/cse ${p("simplify")}, partition ${p("partition")}`,
      target: "",
      "PyTorch 1.13": "",
    },
  ]);
  const r = parts[0]!;
  console.log(
    `\njoint ${r.joint} nodes -> forward ${r.fw} + backward ${r.bw} nodes (forward graph seen by the compiler: ${runs[0]!.nodes})`,
  );
}

async function overhead(): Promise<void> {
  const N = 2000;
  const f = (x: Tensor, y: Tensor) => x.mul(y).add(1);
  const compiled = aotFunction(f);
  const x = randn([4]);
  const y = randn([4]);
  const xg = randn([4], { requiresGrad: true });
  const loop = async (body: () => unknown) => {
    const t = await medianMs(
      async () => {
        for (let i = 0; i < N; i++) await body();
      },
      { runs: 5, warmup: 3 },
    );
    return (t / N) * 1000; // µs per call
  };
  const rows: Record<string, string>[] = [];
  const row = (what: string, eager: number, aot: number) =>
    rows.push({
      "f(x, y) = x*y + 1 on f32[4]": what,
      "eager µs/call": eager.toFixed(1),
      "aotFunction µs/call": aot.toFixed(1),
      "overhead µs": (aot - eager).toFixed(1),
      ratio: (aot / eager).toFixed(1),
    });
  const inferE = await loop(() => noGrad(() => f(x, y)));
  const inferA = await loop(() => noGrad(() => compiled(x, y)));
  row("no grad (inference graph)", inferE, inferA);
  const stepE = await loop(() => f(xg, y).sum().backward());
  const stepA = await loop(async () => (await compiled(xg, y)).sum().backward());
  row("forward + backward", stepE, stepA);
  table(rows);
  const s = compiled.stats();
  console.log(`\n${s.calls} compiled calls, ${s.compiles} compiles, ${s.cacheHits} cache hits`);
}

export async function aot(): Promise<void> {
  await capture();
  console.log();
  await overhead();
}

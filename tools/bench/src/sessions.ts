// sessions: what ORT's session options cost when a compiled graph's session is created, and
// whether they change its steady runs. For resnet18's graphs (trainStep, and the default
// partition's forward and backward) and gptMini's trainStep, as `train` captures them, each configuration compiles the same
// IR graph through `onnxCompiler` (lowering, serialization and session creation, the part a first
// step pays), alternating configurations round by round; then the steady runs of each session,
// alternating too. Medians.
import { type OnnxCompilerOptions, onnxCompiler } from "@aotjs/backend-onnx/node";
import type { Executable } from "@aotjs/ir";
import { alternatingMs, median, table } from "./measure.js";
import { type CapturedGraph, capturedGraphs, gptWorkload, resnetWorkload } from "./train.js";

const configs: Record<string, OnnxCompilerOptions> = {
  default: {},
  "with ORT's CSE": { disabledOptimizers: [] },
  'level "all"': { graphOptimizationLevel: "all" },
};

/** A graph to measure, the inputs of a real step of it, and whether its runs are long. */
type Case = CapturedGraph & { readonly title: string; readonly big: boolean };

/** The compiled graphs of `train`'s workloads, after one step each, with how long to run them. */
async function graphs(): Promise<Case[]> {
  const resnet = resnetWorkload().variants;
  const gpt = gptWorkload().variants;
  // trainStep (one graph) is each workload's last variant; resnet's third is the default
  // partition with aotOptimizer (a forward and a backward graph).
  const picks = [
    { v: resnet.at(-1)!, titles: ["resnet18 b8 trainStep (SGD)"], big: true },
    {
      v: resnet[2]!,
      titles: ["resnet18 b8 forward (default partition)", "resnet18 b8 backward (default partition)"],
      big: true,
    },
    { v: gpt.at(-1)!, titles: ["gptMini trainStep (AdamW)"], big: false },
  ];
  const out: Case[] = [];
  for (const { v, titles, big } of picks) {
    // gptMini's step is past its first-steps transient by then (see GPT_WARMUP).
    const captured = await capturedGraphs(v, big ? 1 : 5);
    out.push(...captured.map(({ graph, inputs }, i) => ({ title: titles[i]!, graph, inputs, big })));
  }
  return out;
}

export async function sessions(): Promise<void> {
  const rows: Record<string, string>[] = [];
  for (const { title, graph, inputs, big } of await graphs()) {
    const names = Object.keys(configs);
    const compileMs = Object.fromEntries(names.map((n) => [n, [] as number[]]));
    const exes: Record<string, Executable> = {};
    for (let round = 0; round < 5; round++) {
      for (const name of round % 2 ? [...names].reverse() : names) {
        const t0 = performance.now();
        const exe = await onnxCompiler(configs[name])(graph, graph.inputMetas);
        compileMs[name]!.push(performance.now() - t0);
        if (round < 4) await exe.dispose?.();
        else exes[name] = exe;
      }
    }
    const steady = await alternatingMs(
      Object.fromEntries(names.map((n) => [n, () => exes[n]!.run(inputs)])),
      big ? { rounds: 3, runs: 3, warmup: 3 } : { rounds: 5, runs: 40, warmup: 50 },
    );
    for (const n of names) {
      rows.push({
        graph: title,
        session: n,
        "compile ms (lower + create)": median(compileMs[n]!).toFixed(0),
        "steady run ms": steady[n]!.toFixed(big ? 0 : 2),
      });
      await exes[n]!.dispose?.();
    }
  }
  table(rows);
}

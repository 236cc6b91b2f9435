// symbolic: the steady training-step time of a symbolic-batch graph (one ORT session with
// dim_param "B", sizes computed at run time) against the same model compiled static, side by side
// in one process, alternating round by round; medians after at least 3 warm-up steps. The cost of
// symbolic shapes on ORT is the Shape/Gather arithmetic and ORT planning without static shapes.
import { aotModule, type DynamicMode, markDynamic } from "@aotjs/aot";
import { onnxCompiler } from "@aotjs/backend-onnx/node";
import type { Graph, TensorMeta } from "@aotjs/ir";
import { F, gptMini, type Module, mlp, resnet18, SGD } from "@aotjs/nn";
import { manualSeed, randint, randn, type Tensor } from "@aotjs/tensor";
import { median, table, timesMs } from "./measure.js";

interface Case {
  readonly title: string;
  readonly make: () => Module;
  readonly input: () => Tensor;
  readonly loss: (out: Tensor) => Tensor;
  readonly runs: number;
  /** Also time `dynamic: true` (every dim of the input symbolic: gptMini's batch and length). */
  readonly allDims?: boolean;
}

type Mode = "static" | "batch" | "all";
const modeName: Record<Mode, string> = {
  static: "static",
  batch: "symbolic batch (dim_param B)",
  all: "symbolic batch and length (B, T)",
};

const cases = (): Case[] => {
  const V = 27;
  return [
    {
      title: "MLP 784-256-10, batch 64, SGD",
      make: () => mlp([784, 256, 10]),
      input: () => randn([64, 784]),
      loss: (out) => F.crossEntropy(out, randint(0, 10, [64])),
      runs: 40,
    },
    {
      title: "resnet18, batch 8, 3x224x224, SGD",
      make: () => resnet18(),
      input: () => randn([8, 3, 224, 224]),
      loss: (out) => F.crossEntropy(out, randint(0, 1000, [8])),
      runs: 5,
    },
    {
      title: "gptMini (d 64, 4 heads, 2 layers, T 32, batch 16), SGD",
      make: () => gptMini({ vocab: V, dModel: 64, nHead: 4, nLayer: 2, seqLen: 32 }),
      input: () => randint(0, V, [16, 32], { dtype: "int64" }),
      loss: (out) => F.crossEntropy(out.reshape([-1, V]), randint(0, V, [16 * 32], { dtype: "int64" })),
      runs: 30,
      allDims: true,
    },
  ];
};

function setup(c: Case, mode: Mode) {
  manualSeed(1);
  const model = c.make();
  const x = c.input();
  // "auto" with the batch marked: the batch is symbolic from the first call, every other dim static.
  if (mode === "batch") markDynamic(x, 0);
  const onnx = onnxCompiler();
  const kinds: boolean[] = [];
  const compiler = async (g: Graph, metas: readonly TensorMeta[]) => {
    const exe = await onnx(g, metas);
    kinds.push(exe.symbolic);
    return exe;
  };
  const dynamic: DynamicMode = mode === "static" ? false : mode === "batch" ? "auto" : true;
  const compiled = aotModule(model, { fwCompiler: compiler, dynamic });
  const opt = new SGD(model.parameters(), { lr: 0.01 });
  const lossOf = c.loss;
  return {
    kinds,
    step: async () => {
      opt.zeroGrad();
      await lossOf((await compiled.forward(x)) as Tensor).backward();
      opt.step();
    },
    dispose: () => compiled.dispose(),
  };
}

export async function symbolic(): Promise<void> {
  for (const c of cases()) {
    const modes: Mode[] = c.allDims ? ["static", "batch", "all"] : ["static", "batch"];
    const variants = modes.map((m) => ({ m, s: m !== "static", ...setup(c, m), times: [] as number[] }));
    for (const v of variants) await v.step();
    for (let round = 0; round < 3; round++)
      for (const v of variants) v.times.push(...(await timesMs(v.step, { runs: c.runs, warmup: 3 })));
    const [st, ...sy] = variants.map((v) => median(v.times));
    table(
      variants.map((v) => ({
        [c.title]: modeName[v.m],
        "ORT sessions": `${v.kinds.length} (${v.kinds.every((k) => k === v.s) ? (v.s ? "symbolic" : "static") : "mixed"})`,
        "median ms/step": median(v.times).toFixed(2),
        "vs static": `${((100 * median(v.times)) / st!).toFixed(1)}%`,
      })),
    );
    console.log(`symbolic/static: ${sy.map((t) => (t / st!).toFixed(3)).join(", ")}\n`);
    for (const v of variants) await v.dispose();
  }
}

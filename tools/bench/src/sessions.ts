// sessions: what ORT's session options cost when a compiled graph's session is created, and
// whether they change its steady runs. For resnet18's graphs (trainStep, and the default
// partition's forward and backward) and gptMini's trainStep, each configuration compiles the same
// IR graph through `onnxCompiler` (lowering, serialization and session creation, the part a first
// step pays), alternating configurations round by round; then the steady runs of each session,
// alternating too. Medians.
import { aotModule, aotOptimizer } from "@aotjs/aot";
import { type OnnxCompilerOptions, onnxCompiler } from "@aotjs/backend-onnx/node";
import { allocate, type Executable, type Graph, isFloating, TensorData } from "@aotjs/ir";
import { AdamW, F, gptMini, resnet18, SGD, WithLoss } from "@aotjs/nn";
import { manualSeed, randint, randn, type Tensor } from "@aotjs/tensor";
import { alternatingMs, median, table } from "./measure.js";

const configs: Record<string, OnnxCompilerOptions> = {
  default: {},
  "with ORT's CSE": { disabledOptimizers: [] },
  'level "all"': { graphOptimizationLevel: "all" },
};

/** Inputs a graph runs on: small floats, zero integers (valid indices and labels). */
const inputsOf = (g: Graph) =>
  g.inputs.map((v) => {
    const n = v.meta.shape.reduce((a, b) => a * (b as number), 1);
    const data = allocate(v.meta.dtype, n);
    if (isFloating(v.meta.dtype)) (data as Float32Array).fill(0.01);
    return new TensorData(v.meta.dtype, v.meta.shape as number[], data);
  });

async function graphs(): Promise<Record<string, Graph>> {
  manualSeed(1);
  const net = resnet18();
  const images = randn([8, 3, 224, 224]);
  const labels = randint(0, 1000, [8]);
  const withLoss = new WithLoss(net, (l, y) => F.crossEntropy(l.reshape([-1, 1000]), y.reshape([-1])));
  const sgd = aotOptimizer(new SGD(net.parameters(), { lr: 0.01 }), { compiler: onnxCompiler() });
  await sgd.trainStep(withLoss, images, labels);
  const split = aotModule(net, { fwCompiler: onnxCompiler(), bwCompiler: onnxCompiler() });
  await F.crossEntropy((await split.forward(images)) as Tensor, labels).backward();
  manualSeed(0);
  const V = 27;
  const gpt = gptMini({ vocab: V, dModel: 64, nHead: 4, nLayer: 2, seqLen: 32 });
  const tokens = randint(0, V, [16, 32], { dtype: "int64" });
  const adamw = aotOptimizer(new AdamW(gpt.parameters(), { lr: 3e-3, weightDecay: 0.01 }), {
    compiler: onnxCompiler(),
  });
  await adamw.trainStep(
    new WithLoss(gpt, (l, t) => F.crossEntropy(l.reshape([-1, V]), t.reshape([-1]))),
    tokens,
    tokens,
  );
  const out = {
    "resnet18 b8 trainStep (SGD)": sgd.lastGraph!,
    "resnet18 b8 forward (default partition)": split.lastGraphs.forward!,
    "resnet18 b8 backward (default partition)": split.lastGraphs.backward!,
    "gptMini trainStep (AdamW)": adamw.lastGraph!,
  };
  await Promise.all([sgd.dispose(), split.dispose(), adamw.dispose()]);
  return out;
}

export async function sessions(): Promise<void> {
  const rows: Record<string, string>[] = [];
  for (const [title, graph] of Object.entries(await graphs())) {
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
    const inputs = inputsOf(graph);
    const big = title.startsWith("resnet");
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

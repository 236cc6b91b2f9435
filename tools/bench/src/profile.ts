// profile: where a compiled training step's time goes on ONNX Runtime, from ORT's own profiler
// through `onnxCompiler({ profile })`. For resnet18's and gptMini's `trainStep` graphs, as `train`
// captures them: kernel time per ONNX op type, per IR op and per IR node, with the rate each
// compute node reached (GFLOP/s), after warm-up runs.
import { formatProfile, onnxCompiler } from "@aotjs/backend-onnx/node";
import { inputsOf } from "./sessions.js";
import { capturedGraphs, gptWorkload, resnetWorkload } from "./train.js";

export async function profile(): Promise<void> {
  const cases = [
    { title: "resnet18 b8 trainStep (SGD)", workload: resnetWorkload, warmup: 3, runs: 5 },
    { title: "gptMini trainStep (AdamW)", workload: gptWorkload, warmup: 50, runs: 200 },
  ];
  for (const { title, workload, warmup, runs } of cases) {
    // trainStep (one graph) is each workload's last variant.
    const graph = (await capturedGraphs(workload().variants.at(-1)!))[0]!;
    const compiler = onnxCompiler({ profile: { skip: warmup } });
    const exe = await compiler(graph, graph.inputMetas);
    const inputs = inputsOf(graph);
    for (let i = 0; i < warmup + runs; i++) await exe.run(inputs);
    const [p] = await compiler.profiles();
    console.log(`### ${title}\n`);
    console.log(formatProfile(p!, { top: 15 }));
    console.log("");
    await exe.dispose?.();
  }
}

// profile: where a compiled training step's time goes on ONNX Runtime, from ORT's own profiler
// through `onnxCompiler({ profile })`. For resnet18's and gptMini's `trainStep` graphs, as `train`
// runs them (real training steps, so the profile sees the values training sees: constant inputs
// made gptMini's kernels meet denormals that training never does): kernel time per ONNX op
// type, per IR op and per IR node, with the rate each compute node reached (GFLOP/s), after
// warm-up steps.
import { formatProfile, onnxCompiler } from "@aotjs/backend-onnx/node";
import { gptWorkload, resnetWorkload } from "./train.js";

export async function profile(): Promise<void> {
  const cases = [
    { title: "resnet18 b8 trainStep (SGD)", workload: resnetWorkload, warmup: 3, runs: 5 },
    { title: "gptMini trainStep (AdamW)", workload: gptWorkload, warmup: 50, runs: 200 },
  ];
  for (const { title, workload, warmup, runs } of cases) {
    const compiler = onnxCompiler({ profile: { skip: warmup } });
    // trainStep (one graph) is each workload's last variant; it compiles one graph.
    const live = workload()
      .variants.at(-1)!
      .setup(() => compiler);
    for (let i = 0; i < warmup + runs; i++) await live.step();
    const [p] = await compiler.profiles();
    console.log(`### ${title}\n`);
    console.log(formatProfile(p!, { top: 15 }));
    console.log("");
    await live.dispose();
  }
}

// A third-party backend that runs only pointwise ops (examples/third-party-backend, plain JS on
// @aotjs/ir alone) trains an MLP: aotjs splits the forward and backward graphs, the backend runs the
// activations and the elementwise parts of the gradients, and matmul, the reductions and the layout
// ops fall back to the reference interpreter.

import { pointwiseBackend } from "@aotjs/example-third-party-backend";
import { setWarningHandler } from "@aotjs/ir";
import { trainMlp } from "./third-party-mlp.js";

// The fallback's warnings are the report below, in full.
setWarningHandler(() => {});
const { losses, fallback } = await trainMlp(pointwiseBackend, 60);
for (const [step, loss] of losses.entries()) {
  if (step % 10 === 0 || step === losses.length - 1) console.log(`step ${step}: loss ${loss.toFixed(4)}`);
}
for (const r of fallback) {
  const ops = [...new Set(r.nodes.map((n) => n.op))].join(", ");
  const onBackend = r.pieces.filter((p) => p.runsOn === "backend");
  const backendNodes = onBackend.reduce((n, p) => n + p.graph.nodes.length, 0);
  console.log(
    `${r.role} graph: ${backendNodes} nodes in ${onBackend.length} pieces on '${r.backend}', ${r.nodes.length} on the reference (${ops})`,
  );
}
if (!(losses.at(-1)! < losses[0]! / 2)) {
  console.error(`the loss did not drop: ${losses[0]} -> ${losses.at(-1)}`);
  process.exit(1);
}

// Runs every example in order; the first failure stops the run with its exit code.
import { spawnSync } from "node:child_process";

const examples = [
  "src/ir-demo.ts",
  "src/01-print-graphs.ts",
  "src/02-eager-interop.ts",
  "src/03-resnet18.ts",
  "src/04-min-cut.ts",
  "src/05-onnx-seed.ts",
  "src/06-onnx-train-mlp.ts",
  "src/07-tfjs-seed.ts",
  "src/08-draw-graphs.ts",
  "src/09-train-gpt.ts",
  "src/10-third-party-backend.ts",
  "src/11-memory-budget.ts",
];
for (const file of examples) {
  console.log(`\n=== ${file} ===`);
  const r = spawnSync(process.execPath, ["--import", "tsx", file], { stdio: "inherit" });
  if (r.status !== 0) {
    console.error(`example ${file} failed (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
}
console.log(`\nall ${examples.length} examples passed`);

// `pnpm bench [suite...]`: runs the benchmark suites (all by default) and prints one table each.
// Numbers are medians of repeated runs measured side by side in one process; the machines are
// shared and noisy, so compare ratios within a run, not numbers across runs. With more than one
// suite, each runs in a process of its own, so none measures with another's peers in its heap.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { suites } from "./suites.js";

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !(w in suites));
if (unknown.length) {
  console.error(`unknown suite(s) ${unknown.join(", ")}; known: ${Object.keys(suites).join(", ")}`);
  process.exit(2);
}
const chosen = Object.keys(suites).filter((name) => !wanted.length || wanted.includes(name));
if (chosen.length === 1) {
  console.log(`\n## ${chosen[0]}\n`);
  await suites[chosen[0]!]!();
} else {
  const self = fileURLToPath(import.meta.url);
  for (const name of chosen) {
    const { status } = spawnSync(process.execPath, [...process.execArgv, self, name], { stdio: "inherit" });
    if (status !== 0) process.exit(status ?? 1);
  }
}

// `pnpm bench [suite...]`: runs the benchmark suites (all by default) and prints one table each.
// Numbers are medians of repeated runs measured side by side in one process; the machines are
// shared and noisy, so compare ratios within a run, not numbers across runs.
import { suites } from "./suites.js";

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !(w in suites));
if (unknown.length) {
  console.error(`unknown suite(s) ${unknown.join(", ")}; known: ${Object.keys(suites).join(", ")}`);
  process.exit(2);
}
for (const [name, run] of Object.entries(suites)) {
  if (wanted.length && !wanted.includes(name)) continue;
  console.log(`\n## ${name}\n`);
  await run();
}

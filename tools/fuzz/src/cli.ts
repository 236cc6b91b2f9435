// pnpm --filter @aotjs/fuzz run fuzz -- --seed S --count N [--modes a,b] [--concurrent-every K]
//   [--only I] [--no-shrink] [--max-shrunk K] [--json FILE] [--quiet] [--not-known ID,...|all]
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { formatProgram } from "./format.js";
import { generateProgram } from "./generate.js";
import { knownDefects } from "./known-defects.js";
import { type ModeName, modeNames } from "./modes.js";
import { formatSummary, programSeed, runSession } from "./session.js";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    seed: { type: "string", default: "1" },
    count: { type: "string", default: "100" },
    modes: { type: "string" },
    "concurrent-every": { type: "string", default: "5" },
    only: { type: "string" },
    "no-shrink": { type: "boolean", default: false },
    "max-shrunk": { type: "string", default: "10" },
    json: { type: "string" },
    quiet: { type: "boolean", default: false },
    // Known-defect ids (or "all") to treat as real failures: shrinks and prints them.
    "not-known": { type: "string" },
  },
});

const selected = values.modes?.split(",").map((m) => m.trim()) as ModeName[] | undefined;
const unknown = selected?.filter((m) => !modeNames.includes(m));
if (unknown?.length) {
  console.error(`fuzz: unknown mode(s) ${unknown.join(", ")}; modes are ${modeNames.join(", ")}`);
  process.exit(2);
}
const seed = Number(values.seed);

// --only I: program I of the session alone, listed first.
const first = values.only === undefined ? 0 : Number(values.only);
const count = values.only === undefined ? Number(values.count) : 1;
if (values.only !== undefined) console.log(formatProgram(generateProgram(programSeed(seed, first))));
let done = 0;
const summary = await runSession({
  seed,
  count,
  first,
  ...(selected ? { modes: selected } : {}),
  concurrentEvery: Number(values["concurrent-every"]),
  shrink: !values["no-shrink"],
  maxShrunk: Number(values["max-shrunk"]),
  knownDefects: knownDefects.filter(
    (d) =>
      !values["not-known"] ||
      (values["not-known"] !== "all" && !values["not-known"].split(",").includes(d.id)),
  ),
  onProgram(index, status) {
    done++;
    if (!values.quiet && (status === "failed" || done % 100 === 0))
      process.stderr.write(`fuzz: ${done}/${count} (program ${index}: ${status})\n`);
  },
});
console.log(formatSummary(summary));
if (values.json) {
  writeFileSync(
    values.json,
    JSON.stringify(
      { ...summary, failures: summary.failures.map((f) => ({ ...f, report: undefined })) },
      null,
      1,
    ),
  );
}
process.exit(summary.failures.length ? 1 : 0);

// One training workload of the `malloc` suite in its own process, so that the parent can choose
// the process's glibc tunables: prints {"name", "first", "ms", "median", "faults"} as one JSON line.
import { median, timesMs } from "./measure.js";
import { gptWorkload, resnetWorkload } from "./train.js";

const [which = "resnet18", runs = "8"] = process.argv.slice(2);
const workload = which === "gptMini" ? gptWorkload() : resnetWorkload();
// The fastest configuration of each workload, the last variant listed: `trainStep`.
const { step, dispose } = workload.variants.at(-1)!.setup();
const t0 = performance.now();
await step();
const first = performance.now() - t0;
for (let i = 0; i < workload.warmup; i++) await step();
const faults0 = process.resourceUsage().minorPageFault;
const ms = await timesMs(step, { runs: Number(runs) });
const faults = (process.resourceUsage().minorPageFault - faults0) / (Number(runs) + 3);
await dispose();
console.log(JSON.stringify({ name: workload.variants.at(-1)!.name, first, ms, median: median(ms), faults }));

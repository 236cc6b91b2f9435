// One training workload of the `malloc` suite in its own process, so that the parent can choose
// the process's glibc tunables: prints {"first", "ms", "faults"} as one JSON line.
import { median, timesMs } from "./measure.js";
import { gptWorkload, resnetWorkload } from "./train.js";

const [which = "resnet18", runs = "8"] = process.argv.slice(2);
const workload = which === "gptMini" ? gptWorkload() : resnetWorkload();
// The fastest configuration of each workload: min-cut with the optimizer compiled (and, for
// gptMini, the loss in the graph), the last variant listed.
const { step, dispose } = workload.variants.at(-1)!.setup();
const t0 = performance.now();
await step();
const first = performance.now() - t0;
const faults0 = process.resourceUsage().minorPageFault;
const ms = await timesMs(step, { runs: Number(runs) });
const faults = (process.resourceUsage().minorPageFault - faults0) / (Number(runs) + 3);
await dispose();
console.log(JSON.stringify({ first, ms, median: median(ms), faults }));

// malloc: the same training steps under glibc's default malloc and under tunables that keep freed
// memory in the process. On VMs that return freed guest pages to the host (this Firecracker
// machine does), touching memory the process has not touched before costs about 10 us per 4 KiB
// page; a step that frees and reallocates its buffers pays that on every run, and the first step
// pays it for its whole working set. Each configuration runs in a child process (the tunables are
// read at process start), aotjs and PyTorch alternating, so both peers get the same allocator.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { median, table } from "./measure.js";
import { torchMissing, torchRun } from "./peers.js";

const run = promisify(execFile);
const child = fileURLToPath(new URL("./malloc-child.ts", import.meta.url));

/**
 * Transparent huge pages for malloc's heap, no mmap below 32 MiB (glibc's largest threshold), and
 * no trimming: a freed buffer is reused by the next step instead of being faulted in again.
 */
export const TUNED_MALLOC =
  "glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967295";

const allocators = { "glibc default": undefined, tuned: TUNED_MALLOC } as const;
type Allocator = keyof typeof allocators;

function envFor(a: Allocator): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.GLIBC_TUNABLES;
  const tunables = allocators[a];
  return tunables ? { ...env, GLIBC_TUNABLES: tunables } : env;
}

interface Sample {
  /** The aotjs variant's name (the child's last variant). */
  readonly name?: string;
  readonly first: number;
  readonly ms: number[];
  readonly faults?: number;
}

async function aotjs(workload: string, runs: number, a: Allocator): Promise<Sample> {
  const { stdout } = await run(process.execPath, [...process.execArgv, child, workload, String(runs)], {
    env: envFor(a),
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as Sample;
}

async function torch(script: string, runs: number, a: Allocator): Promise<Sample> {
  // The faster of 1 and 2 threads, as in `train`: 2 OpenMP threads can collapse on a busy machine.
  const env = envFor(a);
  const [one, two] = [await torchRun(script, 1, runs, { env }), await torchRun(script, 2, runs, { env })];
  return median(one.ms) < median(two.ms) ? one : two;
}

const workloads = [
  { name: "resnet18", title: "resnet18 b8 224^2, SGD", script: "resnet18_step.py", runs: 6 },
  { name: "gptMini", title: "gptMini, AdamW", script: "gpt_mini_step.py", runs: 30 },
] as const;

export async function malloc(): Promise<void> {
  const missing = await torchMissing();
  for (const w of workloads) {
    const samples = new Map<string, Sample[]>();
    const add = (key: string, s: Sample) => samples.set(key, [...(samples.get(key) ?? []), s]);
    for (let round = 0; round < 2; round++) {
      for (const a of Object.keys(allocators) as Allocator[]) {
        add(`aotjs|${a}`, await aotjs(w.name, w.runs, a));
        if (!missing) add(`PyTorch|${a}`, await torch(w.script, w.runs, a));
      }
    }
    const steady = (key: string) => median((samples.get(key) ?? []).flatMap((s) => s.ms));
    const rows = [...samples].map(([key, runs]) => {
      const [peer, a] = key.split("|") as [string, Allocator];
      const ms = steady(key);
      const first = median(runs.map((s) => s.first));
      const faults = runs[0]!.faults;
      return {
        [w.title]: peer === "aotjs" ? (runs[0]!.name ?? "aotjs on ORT") : "PyTorch 1.13 eager",
        malloc: a,
        "median ms/step": ms.toFixed(w.runs > 10 ? 2 : 0),
        "vs PyTorch (same malloc)": missing ? "n/a" : `${(ms / steady(`PyTorch|${a}`)).toFixed(2)}x`,
        "first step": `${first.toFixed(0)} ms (${(first / ms).toFixed(1)}x)`,
        "page faults/step": faults === undefined ? "" : faults.toFixed(0),
      };
    });
    table(rows);
    if (missing) console.log(missing);
    console.log("");
  }
  console.log(`tuned: GLIBC_TUNABLES=${TUNED_MALLOC}`);
}

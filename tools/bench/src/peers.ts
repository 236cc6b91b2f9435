// PyTorch as a peer: its scripts (py/*.py) run in a child process with Debian's python3, whose
// torch is found only there (a pyenv `python3` on PATH may lack it). A row is skipped, with the
// reason, when `import torch` fails.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const PYTHON = "/usr/bin/python3";
const script = (name: string) => fileURLToPath(new URL(`../py/${name}`, import.meta.url));

let available: Promise<string | undefined> | undefined;

/** undefined when torch imports; otherwise why not (the bench prints it instead of a row). */
export function torchMissing(): Promise<string | undefined> {
  available ??= run(PYTHON, ["-c", "import torch, torchvision"])
    .then(() => undefined)
    .catch((e: Error) => `PyTorch not available (${PYTHON} -c "import torch": ${e.message.split("\n")[0]})`);
  return available;
}

/** One peer script's run (in `env`, default this process's): step times (ms) after its warm-up, and its first step's. */
export async function torchRun(
  name: string,
  threads: number,
  steps: number,
  { warmup = 3, env = process.env }: { warmup?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<{ ms: number[]; first: number }> {
  const { stdout } = await run(PYTHON, [script(name), String(threads), String(steps), String(warmup)], {
    env: { ...env, OMP_NUM_THREADS: String(threads) },
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as { ms: number[]; first: number };
}

/** Step times (ms) of one peer script at a thread count, after its own warm-up. */
export async function torchSteps(
  name: string,
  threads: number,
  steps: number,
  warmup = 3,
): Promise<number[]> {
  return (await torchRun(name, threads, steps, { warmup })).ms;
}

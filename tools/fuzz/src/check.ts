// Checks one program: the float64 eager run is the reference, the float32 eager run the yardstick,
// and every other mode's outputs, input gradients and in-place updates are judged by `judge`.
import type { TensorData } from "@aotjs/ir";
import { judge } from "./compare.js";
import { domainViolation, inferMetas, makeInputs } from "./interpret.js";
import {
  type Compilers,
  type ConcurrentResult,
  type ModeName,
  type ModeSpec,
  modes,
  RunCrash,
  type RunResult,
  runMode,
  runRepeated,
} from "./modes.js";
import { isInput, nodeName, type Program } from "./program.js";

/** The reference: eager in float64. Not a mode under test, but its crash is a failure too. */
export const reference: ModeSpec = { name: "eager", float: "float64" };
export const REFERENCE = "eager-f64";

export interface Failure {
  /** A mode name, `eager-f64` (the reference itself crashed), or `concurrent:<mode>`. */
  readonly mode: string;
  readonly kind: "mismatch" | "crash";
  /** `output 1`, `grad of x0`, `buffer x2`, `call 7 output 0`, or the stage of a crash. */
  readonly where: string;
  readonly message: string;
}

export interface CheckOptions {
  readonly modes: readonly ModeName[];
  readonly compilers: Compilers;
  /** Also run these modes as `calls` concurrent calls against as many sequential eager calls. */
  readonly concurrent?: { readonly modes: readonly ModeName[]; readonly calls: number };
  /** Runs a concurrent mode's calls one by one instead (to tell a race from a plain bug). */
  readonly sequentialRepeats?: boolean;
}

export interface CheckReport {
  /** "invalid": the program breaks the generator's own rules (shapes or domain); nothing is judged. */
  readonly status: "ok" | "failed" | "invalid";
  readonly failures: readonly Failure[];
  /** Modes not run, with the documented reason. */
  readonly skipped: readonly string[];
  readonly invalid?: string;
  /** Each mode's run (aot modes carry their graphs). */
  readonly runs: Partial<Record<string, RunResult>>;
}

const crashFailure = (mode: string, e: unknown): Failure => ({
  mode,
  kind: "crash",
  where: e instanceof RunCrash ? e.stage : "setup",
  message:
    e instanceof RunCrash
      ? ((e.original as Error)?.message ?? String(e.original))
      : String((e as Error)?.message ?? e),
});

/** Compares one run against the reference and the float32 baseline; returns one failure per wrong tensor. */
function compareRun(
  p: Program,
  mode: string,
  float: "float32" | "float64",
  run: RunResult,
  ref: RunResult,
  base: RunResult,
): Failure[] {
  const failures: Failure[] = [];
  const m = ref.magnitude ?? 0;
  const inputNames = p.nodes.flatMap((n, i) => (isInput(n) ? [nodeName(p, i)] : []));
  const push = (where: string, message: string | undefined) => {
    if (message) failures.push({ mode, kind: "mismatch", where, message });
  };
  if (run.outputs.length !== ref.outputs.length)
    push("outputs", `${run.outputs.length} outputs, expected ${ref.outputs.length}`);
  ref.outputs.forEach((r, k) => {
    push(`output ${k}`, judge(run.outputs[k] ?? null, r, base.outputs[k] ?? null, float, m));
  });
  ref.grads.forEach((r, i) => {
    push(`grad of ${inputNames[i]}`, judge(run.grads[i] ?? null, r, base.grads[i] ?? null, float, m));
  });
  ref.buffers.forEach((r, i) => {
    if (r)
      push(`buffer ${inputNames[i]}`, judge(run.buffers[i] ?? null, r, base.buffers[i] ?? null, float, m));
  });
  return failures;
}

function compareRepeated(
  p: Program,
  mode: string,
  float: "float32" | "float64",
  run: ConcurrentResult,
  ref: ConcurrentResult,
  base: ConcurrentResult,
  magnitude: number,
): Failure[] {
  const failures: Failure[] = [];
  const inputNames = p.nodes.flatMap((n, i) => (isInput(n) ? [nodeName(p, i)] : []));
  ref.calls.forEach((outs, c) => {
    outs.forEach((r, k) => {
      const message = judge(run.calls[c]?.[k] ?? null, r, base.calls[c]?.[k] ?? null, float, magnitude);
      if (message) failures.push({ mode, kind: "mismatch", where: `call ${c} output ${k}`, message });
    });
  });
  ref.buffers.forEach((r: TensorData | null, i) => {
    const message = r
      ? judge(run.buffers[i] ?? null, r, base.buffers[i] ?? null, float, magnitude)
      : undefined;
    if (message)
      failures.push({ mode, kind: "mismatch", where: `buffer ${inputNames[i]} after the calls`, message });
  });
  // One failure per mode is enough to read: the first call that went wrong says the most.
  return failures.slice(0, 1);
}

export async function checkProgram(p: Program, options: CheckOptions): Promise<CheckReport> {
  const metas = inferMetas(p);
  if (!Array.isArray(metas))
    return {
      status: "invalid",
      failures: [],
      skipped: [],
      invalid: `node ${metas.node}: ${metas.reason}`,
      runs: {},
    };
  const runs: Partial<Record<string, RunResult>> = {};
  let ref: RunResult;
  try {
    ref = await runMode(p, reference, options.compilers);
  } catch (e) {
    return { status: "failed", failures: [crashFailure(REFERENCE, e)], skipped: [], runs };
  }
  runs[REFERENCE] = ref;
  const violation = domainViolation(p, makeInputs(p, { float: "float64" }));
  if (violation) return { status: "invalid", failures: [], skipped: [], invalid: violation, runs };

  const failures: Failure[] = [];
  const skipped: string[] = [];
  let base: RunResult;
  try {
    base = await runMode(p, modes.eager, options.compilers);
    runs.eager = base;
  } catch (e) {
    return { status: "failed", failures: [crashFailure("eager", e)], skipped, runs };
  }
  failures.push(...compareRun(p, "eager", "float32", base, ref, base));

  for (const name of options.modes) {
    if (name === "eager") continue;
    const spec = modes[name];
    if (spec.limit) {
      skipped.push(`${name}: ${spec.limit}`);
      continue;
    }
    try {
      const run = await runMode(p, spec, options.compilers);
      runs[name] = run;
      failures.push(...compareRun(p, name, spec.float, run, ref, base));
    } catch (e) {
      failures.push(crashFailure(name, e));
    }
  }

  if (options.concurrent) {
    const { calls } = options.concurrent;
    const drift = domainViolation(p, makeInputs(p, { float: "float64" }), calls);
    if (drift) skipped.push(`concurrent: values leave the domain over ${calls} calls (${drift})`);
    else {
      const refRep = await runRepeated(p, reference, options.compilers, calls);
      const baseRep = await runRepeated(p, modes.eager, options.compilers, calls);
      for (const name of options.concurrent.modes) {
        const spec = modes[name];
        if (spec.limit || !spec.compiler) continue;
        const mode = `concurrent:${name}`;
        try {
          // Repeated calls iterate the program on its own updated inputs, so float32 rounding can
          // grow call by call (a chaotic map drifts 10% in 20 calls): the concurrent calls are held
          // to the same mode's calls awaited one by one, which must agree to rounding, and those
          // to eager over the first two calls only (drift-free; one call is the plain mode's check).
          const run = await runRepeated(p, spec, options.compilers, calls, options.sequentialRepeats);
          const inOrder = await runRepeated(p, spec, options.compilers, calls, true);
          const magnitude = ref.magnitude ?? 0;
          failures.push(...compareRepeated(p, mode, spec.float, run, inOrder, inOrder, magnitude));
          const early = (r: ConcurrentResult): ConcurrentResult => ({
            ...r,
            calls: r.calls.slice(0, 2),
            buffers: [],
          });
          failures.push(
            ...compareRepeated(p, mode, spec.float, early(inOrder), early(refRep), early(baseRep), magnitude),
          );
        } catch (e) {
          failures.push(crashFailure(mode, e));
        }
      }
    }
  }
  return { status: failures.length ? "failed" : "ok", failures, skipped, runs };
}

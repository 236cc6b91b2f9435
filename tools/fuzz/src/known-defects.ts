// The allow-list: defects already filed (issue #13), which a fuzz run counts and reports but does
// not fail on. Each entry names the failures it could explain, narrowly. Where it can, it also
// says how to avoid the defect: a variant of the program, or a change to how the mode runs.
// A failure is excused only when the variant that avoids every suspected defect no longer fails
// there, so a new bug that happens to look similar still fails the run. Entries without a variant
// (the empty mean, the 0-d dims) are recognized by the program and the message alone.
//
// DELETE AN ENTRY WHEN ITS FIX MERGES: the fuzzer then holds the fix in place.
//
// Items of #13 the generator cannot reach, so not listed: 3 (ORT float32 sums over 2^26+
// elements), 4 (int64 sums past 2^53), 7 (`__proto__` names), 8 (dispose() during a call).
import type { Failure } from "./check.js";
import { inferMetas } from "./interpret.js";
import { reductionDims } from "./ops/reduce.js";
import { inputValues, isInput, type Meta, type Program } from "./program.js";

/** How a recheck runs the mode: ORT at a lower optimization level, repeated calls awaited one by one. */
export interface Tweak {
  readonly onnxOptimization?: "basic";
  readonly sequential?: boolean;
}

/** Re-checks a variant of a program in one mode (with tweaks): its failures in that mode. */
export type Recheck = (variant: Program, mode: string, tweak?: Tweak) => Promise<readonly Failure[]>;

export interface KnownDefect {
  /** `13.1-duplicate-output-grad`: the issue item, then a name. */
  readonly id: string;
  readonly summary: string;
  /** Could this failure be this defect? No runs: the failure, the program and its metas. */
  suspects(failure: Failure, program: Program, metas: readonly Meta[]): boolean;
  /** A way around the defect, to confirm the suspicion; without one, `suspects` decides alone. */
  avoid?(program: Program): { readonly program: Program; readonly tweak?: Tweak };
}

const compiledMode = (mode: string) => mode !== "eager" && mode !== "eager-f64";
const onnxMode = (mode: string) => mode === "onnx" || mode === "onnx-f64" || mode === "concurrent:onnx";
const tensorRefs = (p: Program) => p.outputs.filter((o): o is number => typeof o === "number");

export const knownDefects: readonly KnownDefect[] = [
  {
    // #13.1: the autograd engine counts a root returned twice as two dependencies; x.grad stays null.
    id: "13.1-duplicate-output-grad",
    summary: "aotFunction: a tensor returned twice loses its gradient",
    suspects: (f, p) =>
      compiledMode(f.mode) &&
      f.kind === "mismatch" &&
      f.where.startsWith("grad") &&
      new Set(tensorRefs(p)).size !== tensorRefs(p).length,
    avoid(p) {
      const seen = new Set<number>();
      const outputs = p.outputs.filter((o) => {
        if (typeof o !== "number") return true;
        if (seen.has(o)) return false;
        seen.add(o);
        return true;
      });
      return { program: { ...p, outputs } };
    },
  },
  {
    // #13.2: concurrent calls read their inputs before earlier calls write their updates back.
    id: "13.2-concurrent-inplace-lost",
    summary: "concurrent calls of a function that updates an input in place lose updates",
    suspects: (f, p) => f.mode.startsWith("concurrent:") && p.nodes.some((n) => n.op.startsWith("mutate_")),
    avoid: (p) => ({ program: p, tweak: { sequential: true } }),
  },
  {
    // #13.5: ORT fuses a float64 MatMul and a scalar mul/div into FusedMatMul, whose alpha is float32.
    id: "13.5-ort-float64-fused-matmul",
    summary: "ONNX Runtime: float64 matmul next to a scale comes back at float32 precision",
    suspects: (f, p) =>
      f.mode === "onnx-f64" && f.kind === "mismatch" && p.nodes.some((n) => n.op === "matmul"),
    avoid: (p) => ({ program: p, tweak: { onnxOptimization: "basic" } }),
  },
  {
    // #13.6: ORT's ReduceMean over zero elements gives 0; the reference and PyTorch give NaN.
    id: "13.6-ort-empty-mean",
    summary: "ONNX Runtime: mean of an empty tensor gives 0, not NaN",
    suspects: (f, p, metas) =>
      onnxMode(f.mode) &&
      f.kind === "mismatch" &&
      /expected NaN/.test(f.message) &&
      p.nodes.some((n) => {
        if (n.op !== "mean") return false;
        const x = metas[n.args[0]!]!;
        const dims = reductionDims(n.attrs.dim, x.shape.length);
        return typeof dims !== "string" && dims.reduce((c, d) => c * x.shape[d]!, 1) === 0;
      }),
  },
  {
    // #13.9: normalizeDim lets dim 0 through for a 0-d tensor (the IR then rejects it) and rejects -1.
    id: "13.9-zero-d-dims",
    summary: "0-d tensors: reductions, softmax and logSoftmax reject dim 0 and -1, which PyTorch accepts",
    suspects: (f, p, metas) =>
      f.kind === "crash" &&
      /rank 0/.test(f.message) &&
      p.nodes.some(
        (n) =>
          !isInput(n) &&
          n.attrs.dim !== undefined &&
          n.attrs.dim !== null &&
          metas[n.args[0]!]!.shape.length === 0,
      ),
  },
  {
    // #13.10: ORT fails on a function that returns a non-tensor with a raw session error.
    id: "13.10-non-tensor-outputs",
    summary: "ONNX Runtime: a function returning a non-tensor (or no tensor) fails with a raw ORT error",
    suspects: (f, p) =>
      onnxMode(f.mode) && f.kind === "crash" && p.outputs.some((o) => typeof o !== "number"),
    avoid: (p) => ({ program: { ...p, outputs: p.outputs.filter((o) => typeof o === "number") } }),
  },
  {
    // NOT IN #13: found by this fuzzer, next of kin to #13.5. ORT's optimizer fuses float64
    // subgraphs into contrib ops that have float kernels only, so the session fails to load:
    // x.mul(x.sigmoid()) (F.silu) in float64 becomes com.microsoft.QuickGelu, "implemented only for
    // tensor(float)". Delete this entry when float64 graphs are kept away from those fusions.
    id: "new-ort-float64-contrib-fusion",
    summary: "ONNX Runtime: float64 x * sigmoid(x) is fused into a float-only QuickGelu and fails to load",
    suspects: (f) =>
      f.mode.endsWith("onnx-f64") &&
      f.kind === "crash" &&
      /com\.microsoft\.[\s\S]*tensor\(double\)/.test(f.message),
    avoid: (p) => ({ program: p, tweak: { onnxOptimization: "basic" } }),
  },
  {
    // NOT IN #13: found by this fuzzer. aotFunction traces each argument as its own input, so when
    // the caller passes one tensor twice and the function updates it in place through one
    // argument, reads through the other still see the old value (eager sees the new one):
    //   f = (a, b) => { b.add_(1); return a.mul(2); }; f(x, x) -> eager (x+1)*2, aotFunction x*2.
    // PyTorch's AOT Autograd dedupes aliased arguments first. Delete this entry with that fix.
    id: "new-aliased-argument-update",
    summary:
      "aotFunction: an in-place update through one argument is not seen through another that is the same tensor",
    suspects: (f, p) =>
      compiledMode(f.mode) &&
      p.nodes.some((n) => n.input?.init.kind === "alias") &&
      p.nodes.some((n) => n.op.startsWith("mutate_")),
    avoid(p) {
      // The alias becomes a copy with the same values: eager and compiled then agree by construction.
      const values = new Map<number, number[]>();
      p.nodes.forEach((n, i) => {
        if (n.input && n.input.init.kind !== "alias") values.set(i, inputValues(n.input));
      });
      const nodes = p.nodes.map((n) =>
        n.input?.init.kind === "alias"
          ? {
              ...n,
              args: [],
              input: { ...n.input, init: { kind: "values" as const, values: values.get(n.args[0]!)! } },
            }
          : n,
      );
      return { program: { ...p, nodes } };
    },
  },
];

/**
 * Whether the variant's failures still include `f`. For concurrent calls any failure counts (which
 * call goes wrong first may move); a variant that left the domain ("variant") proves nothing.
 */
const persists = (f: Failure, failures: readonly Failure[]) =>
  failures.some(
    (g) =>
      g.where === "variant" ||
      (f.mode.startsWith("concurrent:")
        ? g.mode === f.mode
        : g.mode === f.mode && g.kind === f.kind && g.where === f.where),
  );

/**
 * The known defect a failure belongs to, if any: the first suspect without a variant, or else the
 * first suspect, when the program with every suspect avoided no longer fails there.
 */
export async function knownDefectOf(
  failure: Failure,
  program: Program,
  recheck: Recheck,
  defects: readonly KnownDefect[] = knownDefects,
): Promise<KnownDefect | undefined> {
  const metas = inferMetas(program);
  if (!Array.isArray(metas)) return undefined;
  const suspects = defects.filter((d) => d.suspects(failure, program, metas));
  if (suspects.length === 0) return undefined;
  const certain = suspects.find((d) => !d.avoid);
  if (certain) return certain;
  let variant = program;
  let tweak: Tweak = {};
  for (const d of suspects) {
    const avoided = d.avoid!(variant);
    variant = avoided.program;
    tweak = { ...tweak, ...avoided.tweak };
  }
  return persists(failure, await recheck(variant, failure.mode, tweak)) ? undefined : suspects[0];
}

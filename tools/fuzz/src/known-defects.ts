// The allow-list: defects already filed (issue #13), which a fuzz run counts and reports but does
// not fail on. Each entry recognizes its own failures narrowly, and where it can, confirms the
// diagnosis by re-running a variant of the program that avoids the defect (which must then pass),
// so a new bug that happens to look similar still fails the run.
//
// DELETE AN ENTRY WHEN ITS FIX MERGES: the fuzzer then holds the fix in place.
//
// Items of #13 the generator cannot reach, so not listed: 3 (ORT float32 sums over 2^26+
// elements), 4 (int64 sums past 2^53), 7 (`__proto__` names), 8 (dispose() during a call).
import type { Failure } from "./check.js";
import { inferMetas } from "./interpret.js";
import { reductionDims } from "./ops/reduce.js";

import { isInput, type Program } from "./program.js";

/** Re-checks a variant of a program in one mode (with tweaks); true when it has no failure there. */
export type Recheck = (
  variant: Program,
  mode: string,
  tweak?: { readonly onnxOptimization?: "basic"; readonly sequential?: boolean },
) => Promise<boolean>;

export interface KnownDefect {
  /** `13.1-duplicate-output-grad`: the issue item, then a name. */
  readonly id: string;
  readonly summary: string;
  matches(failure: Failure, program: Program, recheck: Recheck): Promise<boolean>;
}

const compiledMode = (mode: string) => mode !== "eager" && mode !== "eager-f64";
const onnxMode = (mode: string) => mode === "onnx" || mode === "onnx-f64" || mode === "concurrent:onnx";

export const knownDefects: readonly KnownDefect[] = [
  {
    // #13.1: the autograd engine counts a root returned twice as two dependencies; x.grad stays null.
    id: "13.1-duplicate-output-grad",
    summary: "aotFunction: a tensor returned twice loses its gradient",
    async matches(f, p, recheck) {
      const refs = p.outputs.filter((o): o is number => typeof o === "number");
      if (
        !compiledMode(f.mode) ||
        f.kind !== "mismatch" ||
        !f.where.startsWith("grad") ||
        new Set(refs).size === refs.length
      )
        return false;
      const seen = new Set<number>();
      const deduped = p.outputs.filter(
        (o) => typeof o !== "number" || (!seen.has(o) && seen.add(o) !== undefined),
      );
      return recheck({ ...p, outputs: deduped }, f.mode);
    },
  },
  {
    // #13.2: concurrent calls read their inputs before earlier calls write their updates back.
    id: "13.2-concurrent-inplace-lost",
    summary: "concurrent calls of a function that updates an input in place lose updates",
    async matches(f, p, recheck) {
      if (!f.mode.startsWith("concurrent:") || !p.nodes.some((n) => n.op.startsWith("mutate_"))) return false;
      return recheck(p, f.mode, { sequential: true });
    },
  },
  {
    // #13.5: ORT fuses a float64 MatMul followed by a scalar mul/div into FusedMatMul, whose alpha is float32.
    id: "13.5-ort-float64-fused-matmul",
    summary: "ONNX Runtime: float64 matmul followed by a scale comes back at float32 precision",
    async matches(f, p, recheck) {
      if (f.mode !== "onnx-f64" || f.kind !== "mismatch" || !p.nodes.some((n) => n.op === "matmul"))
        return false;
      return recheck(p, f.mode, { onnxOptimization: "basic" });
    },
  },
  {
    // #13.6: ORT's ReduceMean over zero elements gives 0; the reference and PyTorch give NaN.
    id: "13.6-ort-empty-mean",
    summary: "ONNX Runtime: mean of an empty tensor gives 0, not NaN",
    async matches(f, p) {
      if (!onnxMode(f.mode) || f.kind !== "mismatch" || !/expected NaN/.test(f.message)) return false;
      const metas = inferMetas(p);
      if (!Array.isArray(metas)) return false;
      return p.nodes.some((n) => {
        if (n.op !== "mean") return false;
        const x = metas[n.args[0]!]!;
        const dims = reductionDims(n.attrs.dim, x.shape.length);
        return typeof dims !== "string" && dims.reduce((c, d) => c * x.shape[d]!, 1) === 0;
      });
    },
  },
  {
    // #13.9: normalizeDim lets dim 0 through for a 0-d tensor (the IR then rejects it) and rejects -1.
    id: "13.9-zero-d-dims",
    summary: "0-d tensors: reductions, softmax and logSoftmax reject dim 0 and -1, which PyTorch accepts",
    async matches(f, p) {
      if (f.kind !== "crash" || !/rank 0/.test(f.message)) return false;
      const metas = inferMetas(p);
      if (!Array.isArray(metas)) return false;
      return p.nodes.some(
        (n) =>
          !isInput(n) &&
          n.attrs.dim !== undefined &&
          n.attrs.dim !== null &&
          metas[n.args[0]!]!.shape.length === 0,
      );
    },
  },
  {
    // #13.10: ORT fails on a function that returns a non-tensor with a raw session error.
    id: "13.10-non-tensor-outputs",
    summary: "ONNX Runtime: a function returning a non-tensor (or no tensor) fails with a raw ORT error",
    async matches(f, p, recheck) {
      if (!onnxMode(f.mode) || f.kind !== "crash" || !p.outputs.some((o) => typeof o !== "number"))
        return false;
      return recheck({ ...p, outputs: p.outputs.filter((o) => typeof o === "number") }, f.mode);
    },
  },
];

/** The known defect a failure belongs to, if any. */
export async function knownDefectOf(
  failure: Failure,
  program: Program,
  recheck: Recheck,
  defects: readonly KnownDefect[] = knownDefects,
): Promise<KnownDefect | undefined> {
  for (const d of defects) if (await d.matches(failure, program, recheck)) return d;
  return undefined;
}

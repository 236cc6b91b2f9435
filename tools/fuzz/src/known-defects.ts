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
import type { Meta, Program } from "./program.js";

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

/**
 * Empty: every defect this list held (issue #13's items 1, 2, 5, 6, 9 and 10, and the aliased-
 * argument update and ORT's float64 contrib fusions this fuzzer found) is fixed, and the fuzzer
 * now holds each fix in place. Add an entry (see `KnownDefect`) only for a filed, open defect.
 */
export const knownDefects: readonly KnownDefect[] = [];

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

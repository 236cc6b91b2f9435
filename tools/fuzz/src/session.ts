// A fuzz session: N programs from one seed, each checked in every mode; failures are sorted into
// known defects (the allow-list) and real ones, and each real one is shrunk and described.
import type { Graph } from "@aotjs/ir";
import { makeFx } from "@aotjs/tracer";
import { type CheckOptions, checkProgram, type Failure, REFERENCE } from "./check.js";
import { formatProgram } from "./format.js";
import { type GenerateOptions, generateProgram } from "./generate.js";
import { buildFunction, makeInputs } from "./interpret.js";
import { type KnownDefect, knownDefectOf, knownDefects, type Recheck } from "./known-defects.js";
import {
  type Compilers,
  defaultCompilers,
  type ModeName,
  modeNames,
  modes,
  RunCrash,
  runMode,
} from "./modes.js";
import type { Program } from "./program.js";
import { Rng } from "./rng.js";
import { shrinkProgram } from "./shrink.js";

export interface SessionOptions {
  readonly seed: number;
  readonly count: number;
  /** The index of the first program (`--only i` replays program i alone). Default 0. */
  readonly first?: number;
  /** Default: every mode. */
  readonly modes?: readonly ModeName[];
  /** Every k-th program also runs 20 concurrent calls in each compiled mode. Default 5; 0 turns it off. */
  readonly concurrentEvery?: number;
  readonly concurrentCalls?: number;
  /** Shrink real failures (default true); at most this many are shrunk (default 5). */
  readonly shrink?: boolean;
  readonly maxShrunk?: number;
  readonly generate?: GenerateOptions;
  readonly knownDefects?: readonly KnownDefect[];
  readonly compilers?: Compilers;
  /** Called after each program (progress). */
  readonly onProgram?: (index: number, status: string) => void;
}

export interface RealFailure {
  readonly index: number;
  readonly programSeed: number;
  readonly failure: Failure;
  readonly program: Program;
  /** The shrunk program, its listing and graph, when shrunk. */
  readonly shrunk?: { readonly program: Program; readonly failure: Failure; readonly checks: number };
  readonly report: string;
}

export interface Summary {
  readonly seed: number;
  readonly programs: number;
  readonly checked: number;
  readonly ops: number;
  readonly invalid: Record<string, number>;
  readonly mismatches: Record<string, number>;
  readonly crashes: Record<string, number>;
  readonly known: Record<string, { count: number; programs: number; modes: Record<string, number> }>;
  readonly skipped: Record<string, number>;
  readonly failures: readonly RealFailure[];
  readonly seconds: number;
}

/** Program i of a session: its own seed, so one program replays alone (`--only i`). */
export const programSeed = (seed: number, index: number): number => new Rng(seed * 1_000_003 + index).seed();

const signature = (f: Failure): string =>
  `${f.mode}|${f.kind}|${f.where.split(" ")[0]}|${f.kind === "crash" ? normalizeMessage(f.message) : ""}`;

/** A crash message with shapes, numbers and names blanked, to group crashes and keep shrinking on one. */
export const normalizeMessage = (m: string): string =>
  m
    .split("\n")[0]!
    .replace(/\[[^\]]*\]/g, "[…]")
    .replace(/'[^']*'/g, "'…'")
    .replace(/\b[a-z_]+_\d+\b/g, "…")
    .replace(/-?\d+(\.\d+)?(e[+-]?\d+)?/g, "#")
    .slice(0, 160);

export function makeRecheck(options: CheckOptions, calls: number): Recheck {
  let basic: Compilers | undefined;
  return async (variant, mode, tweak = {}) => {
    const concurrent = mode.startsWith("concurrent:")
      ? (mode.slice("concurrent:".length) as ModeName)
      : undefined;
    if (tweak.onnxOptimization)
      basic ??= { ...options.compilers, onnx: defaultCompilers({ graphOptimizationLevel: "basic" }).onnx };
    const report = await checkProgram(variant, {
      ...options,
      compilers: tweak.onnxOptimization ? basic! : options.compilers,
      modes: concurrent ? [] : [mode as ModeName],
      ...(concurrent ? { concurrent: { modes: [concurrent], calls } } : {}),
      ...(tweak.sequential ? { sequentialRepeats: true } : {}),
    });
    // An invalid variant (out of the domain) proves nothing: report it as still failing.
    if (report.status === "invalid")
      return [{ mode, kind: "crash", where: "variant", message: report.invalid ?? "" }];
    return report.failures.filter((f) => f.mode === mode);
  };
}

/** The listing, the failure, and the graphs the failing mode compiled (or the traced graph). */
export async function describeFailure(p: Program, f: Failure, compilers: Compilers): Promise<string> {
  const float = f.mode.endsWith("f64") ? "float64" : "float32";
  const lines = [`${f.mode} ${f.kind} at ${f.where}: ${f.message}`, "", formatProgram(p, float), ""];
  const modeName = f.mode.replace(/^concurrent:/, "") as ModeName;
  const spec = modeNames.includes(modeName) ? modes[modeName] : undefined;
  let graphs: Partial<Record<string, Graph>> | undefined;
  if (spec?.compiler) {
    try {
      graphs = (await runMode(p, spec, compilers)).graphs;
    } catch (e) {
      // A crash at compile time leaves no graphs: trace instead.
      graphs = e instanceof RunCrash ? e.graphs : undefined;
    }
  }
  const shown = graphs && Object.entries(graphs).filter(([k, g]) => g && k !== "joint");
  if (shown?.length) for (const [, g] of shown) lines.push(g!.code, "");
  else {
    try {
      const ctx = { float } as const;
      const graph = makeFx(buildFunction(p, ctx))(...makeInputs(p, ctx));
      lines.push("// traced with makeFx:", graph.code);
    } catch (e) {
      lines.push(`// tracing fails too: ${(e as Error).message}`);
    }
  }
  return lines.join("\n");
}

export async function runSession(options: SessionOptions): Promise<Summary> {
  const start = Date.now();
  const compilers = options.compilers ?? defaultCompilers();
  const selected = options.modes ?? modeNames;
  const every = options.concurrentEvery ?? 5;
  const calls = options.concurrentCalls ?? 20;
  const defects = options.knownDefects ?? knownDefects;
  const concurrentModes = selected.filter(
    (m) => modes[m].compiler && !modes[m].limit && modes[m].float === "float32",
  );
  const base: CheckOptions = { modes: selected, compilers };
  const recheck = makeRecheck(base, calls);
  const summary = {
    seed: options.seed,
    programs: options.count,
    checked: 0,
    ops: 0,
    invalid: {} as Record<string, number>,
    mismatches: {} as Record<string, number>,
    crashes: {} as Record<string, number>,
    known: {} as Summary["known"],
    skipped: {} as Record<string, number>,
    failures: [] as RealFailure[],
    seconds: 0,
  };
  const bump = (table: Record<string, number>, key: string) => {
    table[key] = (table[key] ?? 0) + 1;
  };
  const shrunkSignatures = new Set<string>();

  const first = options.first ?? 0;
  for (let index = first; index < first + options.count; index++) {
    const seed = programSeed(options.seed, index);
    const program = generateProgram(seed, options.generate);
    const concurrent = every > 0 && index % every === 0 && concurrentModes.length > 0;
    const report = await checkProgram(program, {
      ...base,
      ...(concurrent ? { concurrent: { modes: concurrentModes, calls } } : {}),
    });
    summary.ops += program.nodes.filter((n) => n.op !== "input").length;
    for (const s of report.skipped) bump(summary.skipped, s.replace(/ \(node \d+.*$/, ""));
    if (report.status === "invalid") {
      bump(
        summary.invalid,
        (report.invalid ?? "?").replace(/^node \d+ /, "").replace(/ within .*| not above .*|\(\d.*\)/, ""),
      );
      options.onProgram?.(index, "invalid");
      continue;
    }
    summary.checked++;
    const programDefects = new Set<string>();
    let real = 0;
    for (const f of report.failures) {
      const known = await knownDefectOf(f, program, recheck, defects);
      if (known) {
        summary.known[known.id] ??= { count: 0, programs: 0, modes: {} };
        const entry = summary.known[known.id]!;
        entry.count++;
        bump(entry.modes, f.mode);
        if (!programDefects.has(known.id)) entry.programs++;
        programDefects.add(known.id);
        continue;
      }
      real++;
      if (f.kind === "mismatch") bump(summary.mismatches, f.mode);
      else bump(summary.crashes, `${f.mode}: ${normalizeMessage(f.message)}`);
      // A bug seen in float32 and float64 is usually one bug: shrink it once.
      const sig = signature(f).replace("-f64|", "|");
      let shrunk: RealFailure["shrunk"];
      const shrinkThis =
        options.shrink !== false &&
        !shrunkSignatures.has(sig) &&
        shrunkSignatures.size < (options.maxShrunk ?? 5);
      if (shrinkThis) {
        shrunkSignatures.add(sig);
        shrunk = await shrinkFailure(program, f, base, calls, defects);
      }
      const shown = shrunk ?? { program, failure: f };
      summary.failures.push({
        index,
        programSeed: seed,
        failure: f,
        program,
        ...(shrunk ? { shrunk } : {}),
        report: await describeFailure(shown.program, shown.failure, compilers),
      });
    }
    options.onProgram?.(index, real ? "failed" : programDefects.size ? "known" : "ok");
  }
  summary.seconds = (Date.now() - start) / 1000;
  return summary;
}

/** Shrinks `program` while some failure with `f`'s signature, not a known defect, remains. */
async function shrinkFailure(
  program: Program,
  f: Failure,
  base: CheckOptions,
  calls: number,
  defects: readonly KnownDefect[],
): Promise<{ program: Program; failure: Failure; checks: number }> {
  const sig = signature(f);
  const concurrent = f.mode.startsWith("concurrent:") ? (f.mode.slice(11) as ModeName) : undefined;
  const options: CheckOptions = {
    ...base,
    modes: concurrent || f.mode === REFERENCE || f.mode === "eager" ? [] : [f.mode as ModeName],
    ...(concurrent ? { concurrent: { modes: [concurrent], calls } } : {}),
  };
  const recheck = makeRecheck(options, calls);
  let last = f;
  const result = await shrinkProgram(program, async (candidate) => {
    const report = await checkProgram(candidate, options);
    for (const g of report.failures) {
      if (signature(g) !== sig) continue;
      if (await knownDefectOf(g, candidate, recheck, defects)) continue;
      last = g;
      return true;
    }
    return false;
  });
  return { program: result.program, failure: last, checks: result.checks };
}

/** The summary as text: counts first, then each real failure's shrunk program and graphs. */
export function formatSummary(s: Summary): string {
  const table = (title: string, t: Record<string, number>) => {
    const rows = Object.entries(t).sort((a, b) => b[1] - a[1]);
    return rows.length
      ? [`${title}:`, ...rows.map(([k, n]) => `  ${String(n).padStart(6)}  ${k}`)]
      : [`${title}: none`];
  };
  const lines = [
    `fuzz: seed ${s.seed}, ${s.programs} programs (${s.checked} checked, ${s.programs - s.checked} invalid), ${(s.ops / s.programs).toFixed(1)} ops per program, ${s.seconds.toFixed(1)} s`,
    ...table("mismatches by mode", s.mismatches),
    ...table("crashes by message", s.crashes),
    ...(Object.keys(s.known).length
      ? [
          "known defects (allow-listed in src/known-defects.ts):",
          ...Object.entries(s.known).map(
            ([id, k]) =>
              `  ${String(k.count).padStart(6)}  ${id} in ${k.programs} programs (${Object.entries(k.modes)
                .map(([m, n]) => `${m} ${n}`)
                .join(", ")})`,
          ),
        ]
      : ["known defects: none hit"]),
    ...table("skipped", s.skipped),
    ...table("invalid programs (generator rejects at check time)", s.invalid),
  ];
  const unshrunk = s.failures.filter((x) => !x.shrunk);
  if (unshrunk.length)
    lines.push(
      "failures not shrunk (a failure of the same kind is, or --max-shrunk was reached; replay with --only):",
      ...unshrunk.map(
        (f) =>
          `  program ${f.index}: ${f.failure.mode} ${f.failure.kind} at ${f.failure.where}: ${f.failure.message.split("\n")[0]}`,
      ),
    );
  for (const f of s.failures.filter((x) => x.shrunk)) {
    lines.push(
      "",
      `---- program ${f.index} (seed ${f.programSeed}), shrunk in ${f.shrunk!.checks} checks from ${f.program.nodes.length} to ${f.shrunk!.program.nodes.length} nodes ----`,
      f.report,
      "program JSON:",
      JSON.stringify(f.shrunk!.program),
    );
  }
  return lines.join("\n");
}

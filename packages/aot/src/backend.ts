import { type Backend, type Compiler, type CompilerRole, type OpName, opNames } from "@aotjs/ir";
import type { DecompositionTable } from "@aotjs/transforms";
import type { Compilers } from "./compiled-function.js";
import { nop } from "./compilers.js";
import { AotError } from "./executable.js";
import { type FallbackReport, fallbackCompiler, fallbackStopOps } from "./fallback.js";

/** The options that pick where graphs run: a backend, or explicit compilers and op set. */
export interface TargetOptions {
  /**
   * The backend that compiles every graph (forward, backward, inference), with its supported ops
   * and dtypes and its decompositions. Ops it lacks are decomposed where a rule exists; a node it
   * still cannot run (op or dtype) runs on the reference interpreter, and the backend compiles the
   * pieces between such nodes (`stats().fallback` says which and why). Excludes `fwCompiler`, `bwCompiler`, `inferenceCompiler`
   * and `supportedOps`, which it already answers.
   */
  readonly backend?: Backend<any>;
  /** Compiles the forward graph (and, by default, the backward and inference graphs). Default `nop`. */
  readonly fwCompiler?: Compiler;
  readonly bwCompiler?: Compiler;
  /** Compiles the single graph used when nothing needs a gradient. Default: `fwCompiler`. */
  readonly inferenceCompiler?: Compiler;
  /** Ops the compilers accept; every other op is decomposed first. Default: every op. */
  readonly supportedOps?: Iterable<OpName>;
  /** Entries that override the default decompositions (and the backend's own). */
  readonly decompositions?: DecompositionTable;
}

/** What the capture of one `aotFunction` or `aotExport` decomposes to. */
export interface OpTarget {
  /** The ops decomposition stops at. */
  readonly supported: ReadonlySet<OpName>;
  readonly decompositions?: DecompositionTable;
  readonly backend?: Backend<any>;
}

/** And what its graphs are compiled with. */
export interface Target extends OpTarget {
  readonly compilers: Compilers;
}

const explicitKeys = ["fwCompiler", "bwCompiler", "inferenceCompiler", "supportedOps"] as const;

/**
 * The op set and decompositions from either a `backend` or the explicit options. Both at once is
 * refused: with two sources for the same answer, one would be silently ignored.
 */
export function resolveOps(options: TargetOptions, who: string, fallback = false): OpTarget {
  const { backend } = options;
  if (backend === undefined) {
    return {
      supported: new Set<OpName>(options.supportedOps ?? opNames),
      ...(options.decompositions ? { decompositions: options.decompositions } : {}),
    };
  }
  const clash = explicitKeys.filter((k) => options[k] !== undefined);
  if (clash.length) {
    throw new AotError(
      `${who}: pass either \`backend\` ('${backend.name}') or ${clash.map((k) => `\`${k}\``).join(", ")}, not both; ` +
        "a backend brings its own compilers and supported ops (use configureBackend from @aotjs/ir for its options)",
    );
  }
  if (typeof backend.compiler !== "function" || !(backend.supportedOps instanceof Set)) {
    throw new AotError(
      `${who}: backend '${String(backend.name)}' is not a Backend: it needs \`compiler(options, role)\` and a \`supportedOps\` Set`,
    );
  }
  const decompositions = { ...backend.decompositions, ...options.decompositions } as DecompositionTable;
  return {
    // With a fallback, an op neither the backend nor a rule handles is left for the reference.
    supported: fallback ? fallbackStopOps(backend, decompositions) : backend.supportedOps,
    ...(Object.keys(decompositions).length ? { decompositions } : {}),
    backend,
  };
}

/**
 * `resolveOps`, and the compilers: the explicit ones, or the backend's, one per role, behind the
 * reference fallback (`fallback.ts`), which tells `report` about each graph it splits.
 */
export function resolveTarget(
  options: TargetOptions,
  who: string,
  report: (r: FallbackReport) => void = () => {},
): Target {
  const ops = resolveOps(options, who, true);
  const { backend } = ops;
  if (backend === undefined) {
    const fw = options.fwCompiler ?? nop;
    return {
      ...ops,
      compilers: {
        forward: fw,
        backward: options.bwCompiler ?? fw,
        inference: options.inferenceCompiler ?? fw,
      },
    };
  }
  const compile = (role: CompilerRole): Compiler =>
    fallbackCompiler(backend, role, backend.compiler(undefined, role), report);
  return {
    ...ops,
    compilers: {
      forward: compile("forward"),
      backward: compile("backward"),
      inference: compile("inference"),
    },
  };
}

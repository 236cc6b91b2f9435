import { isGradEnabled } from "@aotjs/autograd";
import {
  type Compiler,
  type Graph,
  type OpName,
  opNames,
  type PrimalRole,
  primalName,
  warnOnce,
} from "@aotjs/ir";
import { minCutRematerializationPartition } from "@aotjs/partitioner";
import { defaultGenerator, type Tensor } from "@aotjs/tensor";
import { flatten, specKey, type TreeSpec, unflatten } from "@aotjs/tracer";
import type { DecompositionTable } from "@aotjs/transforms";
import { type CallTurn, takeTurn } from "./call-order.js";
import { capture, type PartitionFn } from "./capture.js";
import { CompiledFunction, type Compilers, type RngState } from "./compiled-function.js";
import { nop } from "./compilers.js";
import {
  type CallSignature,
  cacheLimitWarning,
  callKey,
  describeLeaf,
  recompileReason,
} from "./recompile.js";

export interface AotOptions {
  /** Compiles the forward graph (and, by default, the backward and inference graphs). Default `nop`. */
  readonly fwCompiler?: Compiler;
  readonly bwCompiler?: Compiler;
  /** Compiles the single graph used when nothing needs a gradient. Default: `fwCompiler`. */
  readonly inferenceCompiler?: Compiler;
  /**
   * Splits the joint graph. Default `minCutRematerializationPartition`: it measured fastest end to
   * end on ORT (resnet18, gptMini and an MLP training step: fewer bytes cross from the forward to
   * the backward, and the recomputed ops are cheap). Pass `defaultPartition` for functorch's
   * default (save every forward value the backward reads).
   */
  readonly partitionFn?: PartitionFn;
  /** Ops the compilers accept; every other op is decomposed first. Default: every op. */
  readonly supportedOps?: Iterable<OpName>;
  /** Entries that override the default decompositions. */
  readonly decompositions?: DecompositionTable;
  /** Names of the flattened tensor inputs, given their count. Default `primals_1..n`. */
  readonly inputNames?: (count: number) => readonly string[];
  /** Extra cache-key text for state the arguments don't show (a module's training flag). */
  readonly cacheKey?: () => string;
  /**
   * Compiled signatures past which each new one warns (once, through `warnOnce`), naming the
   * inputs whose sizes keep changing. Default 8, as PyTorch's `cache_size_limit`. Compiles go on
   * past it; the warning is there because each keeps its executables (ONNX sessions) until
   * `dispose()`.
   */
  readonly cacheSizeLimit?: number;
}

export interface AotStats {
  readonly calls: number;
  readonly compiles: number;
  readonly cacheHits: number;
  readonly cacheSize: number;
  /** Compiles after the first. */
  readonly recompiles: number;
  /** Why each recompile happened, in order: `input 0 dim 0: 8 -> 5`. */
  readonly recompileReasons: readonly string[];
}

export interface AotFunction<A extends unknown[], R> {
  (...args: A): Promise<R>;
  stats(): AotStats;
  /** The graphs compiled for the most recent signature (for inspection and tests). */
  readonly lastGraphs: { forward?: Graph; backward?: Graph; inference?: Graph; joint?: Graph };
  /** Frees every compiled executable (ONNX sessions, ...) and empties the cache. */
  dispose(): Promise<void>;
}

/** One cache entry: the compiled function, and its compile (which settles once, either way). */
interface Entry {
  readonly fn: CompiledFunction;
  readonly ready: Promise<void>;
}

/** What `aotModule` tells `aotFunction` beyond the public options. */
export interface AotInternals {
  /** Roles of the flattened tensor inputs, given their count. Default: user input 0..n-1. */
  readonly inputRoles?: (count: number) => readonly PrimalRole[];
}

/**
 * The distinct tensors among the flattened arguments, and for each argument position the index
 * of its tensor among them. Tracing sees one input per distinct tensor, so an in-place update
 * through one argument is seen through another that is the same tensor, as eager code sees it
 * (PyTorch's AOT Autograd dedupes aliased arguments the same way).
 */
function dedupe(all: readonly Tensor[]): { leaves: Tensor[]; slots: number[] } {
  const index = new Map<Tensor, number>();
  const slots = all.map((t) => {
    const seen = index.get(t);
    if (seen !== undefined) return seen;
    index.set(t, index.size);
    return index.size - 1;
  });
  return { leaves: [...index.keys()], slots };
}

/**
 * functorch's `aot_function`: traces `fn`'s forward and backward ahead of time, partitions the
 * joint graph, compiles both halves, and runs them inside eager autograd: the result is an async
 * function whose outputs backprop into the caller's tensors. Compiled graphs are cached on the
 * input signature (shapes, dtypes, requiresGrad, structure, non-tensor arguments by value); each
 * cache entry is a `CompiledFunction`. This file is the cache and the call ordering around it.
 */
export function aotFunction<A extends unknown[], R>(
  fn: (...args: A) => R,
  options: AotOptions = {},
  internals: AotInternals = {},
): AotFunction<A, Awaited<R>> {
  const fwCompiler = options.fwCompiler ?? nop;
  const compilers: Compilers = {
    forward: fwCompiler,
    backward: options.bwCompiler ?? fwCompiler,
    inference: options.inferenceCompiler ?? fwCompiler,
  };
  const partitionFn = options.partitionFn ?? minCutRematerializationPartition;
  const supported = new Set<OpName>(options.supportedOps ?? opNames);
  const stats = { calls: 0, compiles: 0, cacheHits: 0 };
  const cacheSizeLimit = options.cacheSizeLimit ?? 8;
  /** The signature of every compile started, in order, for recompile reasons and the limit warning. */
  const history: CallSignature[] = [];
  const recompileReasons: string[] = [];
  const lastGraphs: AotFunction<A, Awaited<R>>["lastGraphs"] = {};
  /** Every entry whose compile started, cached or not, so dispose() reaches all executables. */
  const created = new Set<Entry>();
  const entries = new Map<string, Entry>();

  /** Trace, build the joint graph and partition (synchronously), then start compiling. */
  function createEntry(
    leaves: readonly Tensor[],
    slots: readonly number[],
    spec: TreeSpec,
    needsGrad: boolean,
  ): Entry {
    // A tensor passed several times is one graph input, named after its first position.
    const first = leaves.map((_, u) => slots.indexOf(u));
    const allNames = options.inputNames?.(slots.length) ?? slots.map((_, i) => primalName(i));
    const allRoles =
      internals.inputRoles?.(slots.length) ??
      slots.map((_, index): PrimalRole => ({ kind: "user_input", index }));
    const captured = capture(
      (...xs: Tensor[]) =>
        fn(
          ...(unflatten(
            spec,
            slots.map((u) => xs[u]!),
          ) as A),
        ),
      leaves,
      needsGrad,
      {
        names: first.map((i) => allNames[i]!),
        roles: first.map((i) => allRoles[i]!),
        supported,
        partitionFn,
        who: "aotFunction",
        ...(options.decompositions ? { decompositions: options.decompositions } : {}),
      },
    );
    const compiled = new CompiledFunction(captured);
    const ready = compiled.compile(compilers).then(() => {
      Object.assign(lastGraphs, {
        inference: captured.backward ? undefined : captured.forward,
        forward: captured.backward ? captured.forward : undefined,
        backward: captured.backward,
        joint: captured.joint,
      });
    });
    const entry = { fn: compiled, ready };
    created.add(entry);
    return entry;
  }

  // Not async up to the RNG reservation: random counters are taken in call order, as eager
  // code would take them, even when the caller does not await right away.
  const call = (...args: A): Promise<Awaited<R>> => {
    try {
      return start(args);
    } catch (e) {
      return Promise.reject(e);
    }
  };

  const start = (args: A): Promise<Awaited<R>> => {
    stats.calls++;
    const flat = flatten(args);
    const spec = flat.spec;
    const { leaves, slots } = dedupe(flat.leaves);
    const needsGrad = isGradEnabled() && leaves.some((t) => t.requiresGrad);
    const signature: CallSignature = {
      structure: specKey(spec),
      needsGrad,
      extra: options.cacheKey?.() ?? "",
      aliases: slots.length === leaves.length ? "" : `aliases ${slots}`,
      leaves: leaves.map((t) => ({ dtype: t.dtype, shape: t.shape, requiresGrad: t.requiresGrad })),
    };
    const key = callKey(signature);
    let entry = entries.get(key);
    if (entry) stats.cacheHits++;
    else {
      stats.compiles++;
      noteCompile(signature, slots);
      // A capture that throws caches nothing; the call rejects and the next one tries again.
      const fresh = createEntry(leaves, slots, spec, needsGrad);
      entry = fresh;
      entries.set(key, fresh);
      // So does a compile that fails; only this entry: after dispose() a new compile may hold the key.
      fresh.ready.catch(() => {
        if (entries.get(key) === fresh) entries.delete(key);
      });
    }
    const { convention } = entry.fn;
    const rng = { seed: 0, offset: 0 };
    if (convention.rngConsumed !== undefined) {
      rng.seed = defaultGenerator.seed;
      rng.offset = defaultGenerator.offset;
      defaultGenerator.offset = rng.offset + convention.rngConsumed;
    }
    const turn = takeTurn(leaves, convention.updatedLeaves);
    return runInTurn(entry, leaves, rng, turn);
  };

  /** Record why this compile happens, and warn once the cache limit is passed. */
  const noteCompile = (signature: CallSignature, slots: readonly number[]): void => {
    const names = leafNames(slots);
    if (history.length) recompileReasons.push(recompileReason(history, signature, names));
    history.push(signature);
    // Once, when the limit is first passed: the sizes seen so far already show what changes.
    if (history.length === cacheSizeLimit + 1)
      warnOnce(cacheLimitWarning(`aotFunction '${fn.name || "anonymous"}'`, cacheSizeLimit, history, names));
  };

  /** How reasons name each distinct tensor argument: by the role of its first position. */
  const leafNames = (slots: readonly number[]): string[] => {
    const roles =
      internals.inputRoles?.(slots.length) ??
      slots.map((_, index): PrimalRole => ({ kind: "user_input", index }));
    const names: string[] = [];
    slots.forEach((u, i) => {
      names[u] ??= describeLeaf(roles[i]!);
    });
    return names;
  };

  const runInTurn = async (
    entry: Entry,
    leaves: Tensor[],
    rng: RngState,
    turn: CallTurn,
  ): Promise<Awaited<R>> => {
    try {
      await entry.ready;
      if (turn.ready) await turn.ready;
      return (await entry.fn.run(leaves, rng, turn.inputsRead)) as Awaited<R>;
    } finally {
      turn.finished();
    }
  };

  return Object.assign(call, {
    stats: (): AotStats => ({
      ...stats,
      cacheSize: entries.size,
      recompiles: recompileReasons.length,
      recompileReasons: [...recompileReasons],
    }),
    lastGraphs,
    async dispose() {
      // Compiles still in flight make their executables when they finish: wait for them.
      const all = [...created];
      created.clear();
      entries.clear();
      await Promise.allSettled(all.map((e) => e.ready));
      await Promise.all(all.map((e) => e.fn.dispose()));
    },
  });
}

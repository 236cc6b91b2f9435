import { isGradEnabled } from "@aotjs/autograd";
import { type Graph, type PrimalRole, primalName, warnOnce } from "@aotjs/ir";
import { minCutRematerializationPartition } from "@aotjs/partitioner";
import { defaultGenerator, type Tensor } from "@aotjs/tensor";
import { flatten, specKey, type TreeSpec, unflatten } from "@aotjs/tracer";
import { resolveTarget, type TargetOptions } from "./backend.js";
import { type CallTurn, takeTurn } from "./call-order.js";
import { capture, type PartitionFn } from "./capture.js";
import { CompiledFunction, type RngState } from "./compiled-function.js";
import { describeFallback, type FallbackReport } from "./fallback.js";

/** Options of `aotFunction` and `aotModule`; where the graphs run is `TargetOptions`. */
export interface AotOptions extends TargetOptions {
  /**
   * Splits the joint graph. Default `minCutRematerializationPartition`: it measured fastest end to
   * end on ORT (resnet18, gptMini and an MLP training step: fewer bytes cross from the forward to
   * the backward, and the recomputed ops are cheap). Pass `defaultPartition` for functorch's
   * default (save every forward value the backward reads).
   */
  readonly partitionFn?: PartitionFn;
  /** Names of the flattened tensor inputs, given their count. Default `primals_1..n`. */
  readonly inputNames?: (count: number) => readonly string[];
  /** Extra cache-key text for state the arguments don't show (a module's training flag). */
  readonly cacheKey?: () => string;
}

export interface AotStats {
  readonly calls: number;
  readonly compiles: number;
  readonly cacheHits: number;
  readonly cacheSize: number;
  /**
   * With a `backend`: one report per compiled graph that was split because the backend lacks
   * some of its ops or dtypes (which nodes run on the reference interpreter, and why).
   */
  readonly fallback: readonly FallbackReport[];
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
  const fallback: FallbackReport[] = [];
  const target = resolveTarget(options, "aotFunction", (r) => {
    fallback.push(r);
    warnOnce(`aotFunction: ${describeFallback(r)}`);
  });
  const partitionFn = options.partitionFn ?? minCutRematerializationPartition;
  const stats = { calls: 0, compiles: 0, cacheHits: 0 };
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
        supported: target.supported,
        partitionFn,
        who: "aotFunction",
        ...(target.decompositions ? { decompositions: target.decompositions } : {}),
      },
    );
    const compiled = new CompiledFunction(captured);
    const ready = compiled.compile(target.compilers).then(() => {
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
    const key = [
      specKey(spec),
      needsGrad,
      options.cacheKey?.() ?? "",
      slots.length === leaves.length ? "" : `aliases ${slots}`,
      ...leaves.map((t) => `${t.dtype}[${t.shape}]${t.requiresGrad ? "g" : ""}`),
    ].join("|");
    let entry = entries.get(key);
    if (entry) stats.cacheHits++;
    else {
      stats.compiles++;
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
    stats: (): AotStats => ({ ...stats, cacheSize: entries.size, fallback: [...fallback] }),
    lastGraphs,
    async dispose() {
      // Compiles still in flight make their executables when they finish: wait for them.
      const all = [...created];
      created.clear();
      entries.clear();
      fallback.length = 0;
      await Promise.allSettled(all.map((e) => e.ready));
      await Promise.all(all.map((e) => e.fn.dispose()));
    },
  });
}

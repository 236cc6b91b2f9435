import { isGradEnabled } from "@aotjs/autograd";
import { type Graph, messageOf, type PrimalRole, primalName, warnOnce } from "@aotjs/ir";
import { minCutRematerializationPartition } from "@aotjs/partitioner";
import { defaultGenerator, type Tensor } from "@aotjs/tensor";
import { flatten, specKey, type TreeSpec, unflatten } from "@aotjs/tracer";
import { resolveTarget, type TargetOptions } from "./backend.js";
import { type CallTurn, takeTurn } from "./call-order.js";
import { capture, type PartitionFn, type SymbolicPlan } from "./capture.js";
import { CompiledFunction, type RngState } from "./compiled-function.js";
import {
  allUserDims,
  type DimRef,
  type DynamicMode,
  describePlan,
  fitsPlan,
  markedDims,
  planSymbols,
} from "./dynamic.js";
import { AotError } from "./executable.js";
import { describeFallback, type FallbackReport } from "./fallback.js";
import { type InputNames, resolveInputNames } from "./input-names.js";
import {
  type CallSignature,
  cacheLimitWarning,
  callKey,
  describeLeaf,
  recompileReason,
  sizeChanges,
} from "./recompile.js";

/** Options of `aotFunction` and `aotModule`; where the graphs run is `TargetOptions`. */
export interface AotOptions extends TargetOptions {
  /**
   * Splits the joint graph. Default `minCutRematerializationPartition`: it measured fastest end to
   * end on ORT (resnet18, gptMini and an MLP training step: fewer bytes cross from the forward to
   * the backward, and the recomputed ops are cheap). Pass `defaultPartition` for functorch's
   * default (save every forward value the backward reads).
   */
  readonly partitionFn?: PartitionFn;
  /**
   * Names of the flattened tensor inputs (default `primals_1..n`; for `aotModule`, of its user
   * inputs, default `input_1..n`): a list, or a function of their count. See `InputNames`.
   */
  readonly inputNames?: InputNames;
  /** Extra cache-key text for state the arguments don't show (a module's training flag). */
  readonly cacheKey?: () => string;
  /**
   * Compiled signatures past which each new one warns (once, through `warnOnce`), naming the
   * inputs whose sizes keep changing. Default 8, as PyTorch's `cache_size_limit`. Compiles go on
   * past it; the warning is there because each keeps its executables (ONNX sessions) until
   * `dispose()`.
   */
  readonly cacheSizeLimit?: number;
  /**
   * Symbolic shapes (see `DynamicMode`). Default `"auto"`: the first call compiles static, and
   * once a call differs only in some sizes, one graph with those dims symbolic serves them all.
   */
  readonly dynamic?: DynamicMode;
}

/** Counters of a compiled function's cache: calls, compiles, hits, recompiles and why, fallback reports. */
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
  /** Compiles after the first. */
  readonly recompiles: number;
  /** Why each recompile happened, in order: `input 0 dim 0: 8 -> 5`. */
  readonly recompileReasons: readonly string[];
}

/** What `aotFunction` returns: an async function with the same arguments, plus stats, the last graphs, and dispose. */
export interface AotFunction<A extends unknown[], R> {
  (...args: A): Promise<R>;
  /**
   * A call and its `loss.backward()` in one compiled graph, the joint graph unsplit (compiled with
   * the forward compiler): the function must return one differentiable tensor, a 0-d loss (other
   * outputs may be non-differentiable). Gradients accumulate into `.grad` as after
   * `(await f(...args)).backward()`; the outputs come back with no grad_fn. Nothing crosses from
   * a forward graph to a backward one, and one executable runs instead of two.
   */
  forwardBackward(...args: A): Promise<R>;
  /** The cache counters so far. */
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
  const cacheSizeLimit = options.cacheSizeLimit ?? 8;
  /** The signature of every compile started, in order, for recompile reasons and the limit warning. */
  const history: CallSignature[] = [];
  const recompileReasons: string[] = [];
  const lastGraphs: AotFunction<A, Awaited<R>>["lastGraphs"] = {};
  /** Every entry whose compile started, cached or not, so dispose() reaches all executables. */
  const created = new Set<Entry>();
  const entries = new Map<string, Entry>();
  /** Entries compiled with symbolic dims: each serves every call that fits its plan. */
  const symbolicEntries: { plan: SymbolicPlan; signature: CallSignature; entry: Entry }[] = [];
  const dynamic = options.dynamic ?? "auto";

  /** Trace, build the joint graph and partition (synchronously), then start compiling. */
  function createEntry(
    leaves: readonly Tensor[],
    slots: readonly number[],
    spec: TreeSpec,
    needsGrad: boolean,
    joint: boolean,
    symbolic?: SymbolicPlan,
  ): Entry {
    // A tensor passed several times is one graph input, named after its first position.
    const first = leaves.map((_, u) => slots.indexOf(u));
    const allNames = resolveInputNames(options.inputNames, slots.length, primalName, "aotFunction");
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
        ...(symbolic ? { symbolic } : {}),
        ...(target.decompositions ? { decompositions: target.decompositions } : {}),
      },
    );
    const compiled = new CompiledFunction(captured, joint);
    const ready = compiled.compile(target.compilers).then(() => {
      Object.assign(lastGraphs, {
        inference: captured.backward ? undefined : captured.forward,
        forward: captured.backward && !joint ? captured.forward : undefined,
        backward: joint ? undefined : captured.backward,
        joint: captured.joint,
      });
    });
    const entry = { fn: compiled, ready };
    created.add(entry);
    return entry;
  }

  // Not async up to the RNG reservation: random counters are taken in call order, as eager
  // code would take them, even when the caller does not await right away.
  const call = (...args: A): Promise<Awaited<R>> => begin(args, false);
  const begin = (args: A, joint: boolean): Promise<Awaited<R>> => {
    try {
      return start(args, joint);
    } catch (e) {
      return Promise.reject(e);
    }
  };

  const start = (args: A, joint: boolean): Promise<Awaited<R>> => {
    stats.calls++;
    const flat = flatten(args);
    const spec = flat.spec;
    const { leaves, slots } = dedupe(flat.leaves);
    const needsGrad = isGradEnabled() && leaves.some((t) => t.requiresGrad);
    if (joint && !needsGrad) {
      throw new AotError(
        `forwardBackward: ${isGradEnabled() ? "no argument requires grad" : "grad mode is off"}, so there is nothing to differentiate; call the function itself`,
      );
    }
    const signature: CallSignature = {
      structure: specKey(spec),
      needsGrad,
      joint,
      extra: options.cacheKey?.() ?? "",
      aliases: slots.length === leaves.length ? "" : `aliases ${slots}`,
      leaves: leaves.map((t) => ({ dtype: t.dtype, shape: t.shape, requiresGrad: t.requiresGrad })),
    };
    const key = callKey(signature);
    let entry =
      entries.get(key) ?? symbolicEntries.find((e) => fitsPlan(e.plan, e.signature, signature))?.entry;
    if (entry) stats.cacheHits++;
    else {
      stats.compiles++;
      entry = compileFor(signature, key, leaves, slots, spec);
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

  /**
   * A cache miss: choose the dims to make symbolic (per `dynamic`), capture, and start compiling.
   * A symbolic capture that fails (a size the function needs static) falls back to fewer
   * symbolic dims, then to a static compile; the reason says so.
   */
  const compileFor = (
    signature: CallSignature,
    key: string,
    leaves: readonly Tensor[],
    slots: readonly number[],
    spec: TreeSpec,
  ): Entry => {
    const { needsGrad, joint } = signature;
    const names = leafNames(slots);
    const roles = leafRoles(slots);
    const attempts: { dims: DimRef[]; previous?: CallSignature }[] = [];
    const marked = leaves.flatMap((t, leaf) => [...markedDims(t)].map((dim) => ({ leaf, dim })));
    if (dynamic === true) {
      const all = allUserDims(signature, roles, leaves);
      attempts.push({ dims: all });
      const batch = all.filter(
        (d) => d.dim === 0 || marked.some((m) => m.leaf === d.leaf && m.dim === d.dim),
      );
      if (batch.length < all.length) attempts.push({ dims: batch });
    } else if (dynamic === "auto") {
      // The sizes that differ from the closest compiled signature, with the symbolic dims of a
      // symbolic entry of the same structure, become symbolic.
      const previous = history.find((h) => sizeChanges(h, signature)?.length);
      const changed = previous ? sizeChanges(previous, signature)! : [];
      const dims = new Map<string, DimRef>();
      const add = (d: DimRef) => dims.set(`${d.leaf}:${d.dim}`, d);
      marked.forEach(add);
      changed.forEach(add);
      for (const e of symbolicEntries)
        if (sizeChanges(e.signature, signature))
          e.plan.dims.forEach((ds, leaf) => {
            ds.forEach((n, dim) => {
              if (n !== undefined) add({ leaf, dim });
            });
          });
      if (dims.size) attempts.push({ dims: [...dims.values()], ...(previous ? { previous } : {}) });
    }
    const notes: string[] = [];
    for (const attempt of attempts) {
      const plan = planSymbols(signature, attempt.dims, attempt.previous);
      if (!plan) continue;
      let fresh: Entry;
      try {
        fresh = createEntry(leaves, slots, spec, needsGrad, joint, plan);
      } catch (e) {
        notes.push(`symbolic ${describePlan(plan, names)} failed: ${messageOf(e)}`);
        continue;
      }
      noteCompile(signature, names, [...notes, `symbolic: ${describePlan(plan, names)}`]);
      // The capture adds the guards the function put on its sizes (`sizeAtMost`).
      const guarded = { ...plan, symbols: fresh.fn.forward.symbolic?.symbols ?? plan.symbols };
      const record = { plan: guarded, signature, entry: fresh };
      symbolicEntries.push(record);
      fresh.ready.catch(() => {
        const i = symbolicEntries.indexOf(record);
        if (i >= 0) symbolicEntries.splice(i, 1);
      });
      return fresh;
    }
    noteCompile(signature, names, notes.length ? [...notes, "compiled static"] : []);
    // A capture that throws caches nothing; the call rejects and the next one tries again.
    const fresh = createEntry(leaves, slots, spec, needsGrad, joint);
    entries.set(key, fresh);
    // So does a compile that fails; only this entry: after dispose() a new compile may hold the key.
    fresh.ready.catch(() => {
      if (entries.get(key) === fresh) entries.delete(key);
    });
    return fresh;
  };

  /** Record why this compile happens, and warn once the cache limit is passed. */
  const noteCompile = (
    signature: CallSignature,
    names: readonly string[],
    notes: readonly string[],
  ): void => {
    const reason = history.length ? recompileReason(history, signature, names) : "";
    const full = [reason, ...notes].filter(Boolean).join("; ");
    if (history.length) recompileReasons.push(full);
    else if (notes.length) recompileReasons.push(`first call; ${notes.join("; ")}`);
    history.push(signature);
    // Once, when the limit is first passed: the sizes seen so far already show what changes.
    if (history.length === cacheSizeLimit + 1)
      warnOnce(cacheLimitWarning(`aotFunction '${fn.name || "anonymous"}'`, cacheSizeLimit, history, names));
  };

  /** Each distinct tensor argument's role: the role of its first position. */
  const leafRoles = (slots: readonly number[]): PrimalRole[] => {
    const roles =
      internals.inputRoles?.(slots.length) ??
      slots.map((_, index): PrimalRole => ({ kind: "user_input", index }));
    const out: PrimalRole[] = [];
    slots.forEach((u, i) => {
      out[u] ??= roles[i]!;
    });
    return out;
  };
  /** How reasons name each distinct tensor argument: `input 0`, `parameter fc.weight`. */
  const leafNames = (slots: readonly number[]): string[] => leafRoles(slots).map(describeLeaf);

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
    forwardBackward: (...args: A): Promise<Awaited<R>> => begin(args, true),
    stats: (): AotStats => ({
      ...stats,
      cacheSize: entries.size + symbolicEntries.length,
      recompiles: recompileReasons.length,
      recompileReasons: [...recompileReasons],
      fallback: [...fallback],
    }),
    lastGraphs,
    async dispose() {
      // Compiles still in flight make their executables when they finish: wait for them.
      const all = [...created];
      created.clear();
      entries.clear();
      fallback.length = 0;
      symbolicEntries.length = 0;
      await Promise.allSettled(all.map((e) => e.ready));
      await Promise.all(all.map((e) => e.fn.dispose()));
    },
  });
}

import { enableGrad, isGradEnabled, noGrad, recordCustomNode } from "@aotjs/autograd";
import { type Compiler, type Executable, type Graph, type OpName, opNames, TensorData } from "@aotjs/ir";
import { minCutRematerializationPartition } from "@aotjs/partitioner";
import { defaultGenerator, Tensor, zerosLike } from "@aotjs/tensor";
import { flatten, type RngInputs, specKey, type TreeSpec, unflatten } from "@aotjs/tracer";
import type { DecompositionTable } from "@aotjs/transforms";
import { type CallTurn, takeTurn } from "./call-order.js";
import { capture, type PartitionFn, requireOutputs } from "./capture.js";
import { nop } from "./compilers.js";
import { AotError, compileGraph, runExecutable } from "./executable.js";

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
}

export interface AotStats {
  readonly calls: number;
  readonly compiles: number;
  readonly cacheHits: number;
  readonly cacheSize: number;
}

/** What the synchronous part of a compile learned, for every later call with its signature. */
interface Traced {
  rngConsumed?: number;
  /** Indices of the leaves the function updates in place. */
  updatedLeaves?: ReadonlySet<number>;
}
const noUpdates: ReadonlySet<number> = new Set();

type InputSource =
  | { kind: "leaf"; index: number }
  | { kind: "seed" }
  | { kind: "offset" }
  | { kind: "constant"; value: TensorData };

interface Compiled {
  readonly outputSpec: TreeSpec;
  /** Where each input of the (forward or inference) graph comes from. */
  readonly inputPlan: readonly InputSource[];
  readonly numOwnOutputs: number;
  /** [leaf index, output index] pairs: inputs the function updated in place. */
  readonly mutations: readonly (readonly [number, number])[];
  readonly run: (inputs: TensorData[], leaves: readonly Tensor[]) => Promise<Tensor[]>;
}

export interface AotFunction<A extends unknown[], R> {
  (...args: A): Promise<R>;
  stats(): AotStats;
  /** The graphs compiled for the most recent signature (for inspection and tests). */
  readonly lastGraphs: { forward?: Graph; backward?: Graph; inference?: Graph; joint?: Graph };
  /** Frees every compiled executable (ONNX sessions, ...) and empties the cache. */
  dispose(): Promise<void>;
}

function planInputs(
  graph: Graph,
  leafNames: readonly string[],
  constants: readonly { name: string; value: TensorData }[],
  rng: RngInputs | undefined,
): InputSource[] {
  const byName = new Map(leafNames.map((n, i) => [n, i]));
  const constantByName = new Map(constants.map((c) => [c.name, c.value]));
  return graph.inputs.map((v) => {
    const leaf = byName.get(v.name);
    if (leaf !== undefined) return { kind: "leaf", index: leaf };
    if (v.name === rng?.seed) return { kind: "seed" };
    if (v.name === rng?.offset) return { kind: "offset" };
    const value = constantByName.get(v.name);
    if (value) return { kind: "constant", value };
    throw new AotError(
      `graph '${graph.name}' has an input '${v.name}' that is not an argument, an RNG input or a captured constant`,
    );
  });
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
 * input signature (shapes, dtypes, requiresGrad, structure, non-tensor arguments by value).
 */
export function aotFunction<A extends unknown[], R>(
  fn: (...args: A) => R,
  options: AotOptions = {},
): AotFunction<A, Awaited<R>> {
  const fwCompiler = options.fwCompiler ?? nop;
  const bwCompiler = options.bwCompiler ?? fwCompiler;
  const inferenceCompiler = options.inferenceCompiler ?? fwCompiler;
  const partitionFn = options.partitionFn ?? minCutRematerializationPartition;
  const supported = new Set<OpName>(options.supportedOps ?? opNames);
  const stats = { calls: 0, compiles: 0, cacheHits: 0 };
  const lastGraphs: AotFunction<A, Awaited<R>>["lastGraphs"] = {};
  const live = new Set<Executable>();

  /**
   * Tracing, the joint graph and partitioning run synchronously, before the first await; `traced`
   * learns then how many random counters a call consumes and which inputs it updates in place,
   * so calls can reserve counters and take their turn on those inputs in call order.
   */
  async function compile(
    leaves: readonly Tensor[],
    slots: readonly number[],
    spec: TreeSpec,
    needsGrad: boolean,
    traced: Traced,
  ): Promise<Compiled> {
    // A tensor passed several times is one graph input, named after its first position.
    const allNames = options.inputNames?.(slots.length) ?? slots.map((_, i) => `primals_${i + 1}`);
    const names = leaves.map((_, u) => allNames[slots.indexOf(u)]!);
    let outputSpec: TreeSpec | undefined;
    let result: unknown;
    const flatFn = (...xs: Tensor[]) => {
      result = fn(
        ...(unflatten(
          spec,
          slots.map((u) => xs[u]!),
        ) as A),
      );
      const out = flatten(result);
      outputSpec = out.spec;
      return out.leaves;
    };
    const captured = capture(flatFn, leaves, needsGrad, {
      names,
      supported,
      partitionFn,
      ...(options.decompositions ? { decompositions: options.decompositions } : {}),
    });
    requireOutputs(captured, result, "aotFunction");
    if (captured.kind === "inference") {
      const { graph, traced: tracedInference } = captured;
      if (tracedInference.rng) traced.rngConsumed = tracedInference.rng.consumed;
      traced.updatedLeaves = new Set(graph.mutations.map((m) => m.input));
      const exe = await compileGraph(inferenceCompiler, graph, "inference");
      live.add(exe);
      Object.assign(lastGraphs, {
        inference: graph,
        forward: undefined,
        backward: undefined,
        joint: undefined,
      });
      const numOwn = graph.outputs.length - graph.mutations.length;
      return {
        outputSpec: outputSpec!,
        inputPlan: planInputs(graph, names, tracedInference.constants, tracedInference.rng),
        numOwnOutputs: numOwn,
        mutations: graph.mutations.map((m) => [m.input, m.output] as const),
        run: async (inputs) => (await runExecutable(exe, graph, inputs)).map((d) => new Tensor(d)),
      };
    }
    const requiresGrad = leaves.map((t) => t.requiresGrad);
    const { info, joint, parts } = captured;
    if (info.rng) traced.rngConsumed = info.rng.consumed;
    traced.updatedLeaves = new Set(parts.forward.mutations.map((m) => m.input));
    const fwExe = await compileGraph(fwCompiler, parts.forward, "forward");
    let bwExe: Executable;
    try {
      bwExe = await compileGraph(bwCompiler, parts.backward, "backward");
    } catch (e) {
      // Nothing is cached on failure, so nothing else would ever free the forward's executable.
      await fwExe.dispose?.();
      throw e;
    }
    live.add(fwExe);
    live.add(bwExe);
    Object.assign(lastGraphs, {
      joint,
      forward: parts.forward,
      backward: parts.backward,
      inference: undefined,
    });
    const numOwn = info.outputRequiresGrad.length;
    const gradLeaves = requiresGrad.flatMap((r, i) => (r ? [i] : []));
    // An input backprop from the outputs never reaches gets zeros from the graph; eager autograd
    // leaves that input's `.grad` alone, and so does the runtime.
    const gradUsed = info.gradUsed;
    const { forward, backward } = parts;
    return {
      outputSpec: outputSpec!,
      inputPlan: planInputs(forward, names, info.constants, info.rng),
      numOwnOutputs: numOwn,
      mutations: forward.mutations.map((m) => [m.input, m.output] as const),
      run: async (inputs, callLeaves) => {
        const fwOut = await runExecutable(fwExe, forward, inputs);
        const outputs = fwOut.slice(0, numOwn).map((d) => new Tensor(d));
        const saved = fwOut.slice(info.numForwardOutputs);
        const differentiable = outputs.filter((_, k) => info.outputRequiresGrad[k]);
        // This graph was chosen because grad mode was on at call time; by now (after awaits) a
        // concurrent noGrad(async ...) may have turned it off, so record the node regardless.
        enableGrad(() =>
          recordCustomNode("CompiledFunctionBackward", callLeaves, differentiable, async (gradOutputs) => {
            const tangents = differentiable.map(
              (o, k) => gradOutputs[k]?.toData() ?? noGrad(() => zerosLike(o)).toData(),
            );
            const grads = await runExecutable(bwExe, backward, [...saved, ...tangents]);
            const result: (Tensor | null)[] = callLeaves.map(() => null);
            gradLeaves.forEach((leaf, j) => {
              if (gradUsed[j]) result[leaf] = new Tensor(grads[j]!);
            });
            return result;
          }),
        );
        return [...outputs, ...fwOut.slice(numOwn, info.numForwardOutputs).map((d) => new Tensor(d))];
      },
    };
  }

  const entries = new Map<string, { readonly compiled: Promise<Compiled>; readonly traced: Traced }>();

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
      const traced: Traced = {};
      entry = { compiled: compile(leaves, slots, spec, needsGrad, traced), traced };
      entries.set(key, entry);
      // A compile that throws leaves nothing behind, so the next call tries again.
      const created = entry;
      entry.compiled.catch(() => {
        // Only this entry: after dispose() a new compile may hold the key.
        if (entries.get(key) === created) entries.delete(key);
      });
    }
    let seed = 0;
    let offset = 0;
    const consumed = entry.traced.rngConsumed;
    if (consumed !== undefined) {
      seed = defaultGenerator.seed;
      offset = defaultGenerator.offset;
      defaultGenerator.offset = offset + consumed;
    }
    // A capture that failed knows no updates; its call rejects without reading anything.
    const turn = takeTurn(leaves, entry.traced.updatedLeaves ?? noUpdates);
    return runCompiled(entry.compiled, leaves, seed, offset, turn);
  };

  const runCompiled = async (
    pending: Promise<Compiled>,
    leaves: Tensor[],
    seed: number,
    offset: number,
    turn: CallTurn,
  ): Promise<Awaited<R>> => {
    try {
      const compiled = await pending;
      if (turn.ready) await turn.ready;
      return await runInTurn(compiled, leaves, seed, offset, turn);
    } finally {
      turn.finished();
    }
  };

  const runInTurn = async (
    compiled: Compiled,
    leaves: Tensor[],
    seed: number,
    offset: number,
    turn: CallTurn,
  ): Promise<Awaited<R>> => {
    const scalar = (v: number) => new TensorData("int64", [], BigInt64Array.of(BigInt(v)));
    const inputs = compiled.inputPlan.map((src) => {
      switch (src.kind) {
        case "leaf":
          return leaves[src.index]!.toData();
        case "seed":
          return scalar(seed);
        case "offset":
          return scalar(offset);
        default:
          return src.value;
      }
    });
    turn.inputsRead();
    const outs = await compiled.run(inputs, leaves);
    // Functionalized in-place updates are written back to the caller's tensors (BatchNorm stats).
    noGrad(() => {
      for (const [leaf, out] of compiled.mutations) leaves[leaf]!.copy_(outs[out]!);
    });
    return unflatten(compiled.outputSpec, outs.slice(0, compiled.numOwnOutputs)) as Awaited<R>;
  };

  return Object.assign(call, {
    stats: (): AotStats => ({ ...stats, cacheSize: entries.size }),
    lastGraphs,
    async dispose() {
      // Compiles still in flight add their executables to `live` when they finish: wait for them.
      const pending = [...entries.values()].map((e) => e.compiled);
      entries.clear();
      await Promise.allSettled(pending);
      const all = [...live];
      live.clear();
      await Promise.all(all.map((e) => e.dispose?.()));
    },
  });
}

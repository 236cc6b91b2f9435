import type { DType } from "./dtype.js";
import type { Graph } from "./graph.js";
import type { OpAttrs, OpName } from "./ops/index.js";
import type { TensorData, TensorMeta } from "./tensor-data.js";

/**
 * What a compiler returns when it runs the graph itself. `run` takes the graph's inputs in order
 * and returns its outputs in order, sync or async. `dispose` frees what the executable holds
 * (sessions, device memory); calling `run` after it is an error.
 */
export interface Executable {
  /** Runs the graph: inputs and outputs in graph order. */
  run(inputs: readonly TensorData[]): TensorData[] | Promise<TensorData[]>;
  /** Frees what the executable holds; `run` after it is an error. */
  dispose?(): void | Promise<void>;
  /**
   * True when `run` takes every size a symbolic graph's guards allow (ONNX `dim_param`, an eager
   * runtime). An executable without it, compiled from a symbolic graph, is valid at the graph's
   * hints only, and aot compiles the graph again, specialized, for each other size.
   */
  readonly symbolic?: boolean;
}

/** Returning the graph itself means "run it on the reference interpreter", as `printGraph` does. */
export type CompileResult = Executable | Graph;

/** A compiler takes one graph and metas of example inputs, as functorch's `fw_compiler` does. */
export type Compiler = (
  graph: Graph,
  exampleInputs: readonly TensorMeta[],
) => CompileResult | Promise<CompileResult>;

/** Which graph of a compiled function a compiler is asked for. */
export type CompilerRole = "forward" | "backward" | "inference";

/**
 * A rewrite of one op into others, written against a tensor API: at run time `T` is
 * `@aotjs/tensor`'s `Tensor` and the rewrite calls its methods (they dispatch more basic ops).
 * A table of these is what `@aotjs/transforms` calls a `DecompositionTable`.
 */
export type OpDecomposition<K extends OpName, T = any> = (inputs: readonly T[], attrs: OpAttrs<K>) => T;
/** A decomposition per op name, for a backend to offer in place of ops it lacks. */
export type OpDecompositions<T = any> = { readonly [K in OpName]?: OpDecomposition<K, T> };

/**
 * A backend a third party can publish against `@aotjs/ir` alone: `aotFunction(f, { backend })`.
 * It declares what it runs natively. Callers first rewrite the ops it lacks with the
 * decompositions (its own over the defaults); a node still outside `supportedOps` or
 * `supportedDtypes` after that runs on the reference interpreter, and the backend compiles the
 * pieces of the graph between such nodes.
 */
export interface Backend<Options = unknown> {
  readonly name: string;
  readonly supportedOps: ReadonlySet<OpName>;
  /** Dtypes its compiled graphs take and produce. Default: every dtype. */
  readonly supportedDtypes?: ReadonlySet<DType>;
  /** Rewrites this backend prefers for ops it lacks; they override the default decompositions. */
  readonly decompositions?: OpDecompositions;
  /**
   * A compiler for one role; `role` lets a backend compile the forward and backward graphs
   * differently. Called once per role by each `aotFunction`, not once per graph.
   */
  compiler(options?: Options, role?: CompilerRole): Compiler;
}

/** `backend` with `options` fixed, for `aotFunction(f, { backend: configureBackend(onnxBackend, {...}) })`. */
export function configureBackend<Options>(backend: Backend<Options>, options: Options): Backend<Options> {
  return {
    name: backend.name,
    supportedOps: backend.supportedOps,
    ...(backend.supportedDtypes ? { supportedDtypes: backend.supportedDtypes } : {}),
    ...(backend.decompositions ? { decompositions: backend.decompositions } : {}),
    compiler: (more?: Options, role?: CompilerRole) =>
      backend.compiler(more === undefined ? options : { ...options, ...more }, role),
  };
}

/** Whether `x` is an `Executable` (has a `run` method) rather than a graph. */
export const isExecutable = (x: unknown): x is Executable =>
  typeof x === "object" && x !== null && typeof (x as Executable).run === "function";

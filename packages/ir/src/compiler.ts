import type { Graph } from "./graph.js";
import type { OpName } from "./ops/index.js";
import type { TensorData, TensorMeta } from "./tensor-data.js";

/**
 * What a compiler returns when it runs the graph itself. `run` takes the graph's inputs in order
 * and returns its outputs in order, sync or async. `dispose` frees what the executable holds
 * (sessions, device memory); calling `run` after it is an error.
 */
export interface Executable {
  run(inputs: readonly TensorData[]): TensorData[] | Promise<TensorData[]>;
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

/**
 * A backend a third party can publish against `@aotjs/ir` alone. It declares the ops it runs
 * natively; callers decompose every other op before handing it a graph.
 */
export interface Backend<Options = unknown> {
  readonly name: string;
  readonly supportedOps: ReadonlySet<OpName>;
  compiler(options?: Options): Compiler;
}

export const isExecutable = (x: unknown): x is Executable =>
  typeof x === "object" && x !== null && typeof (x as Executable).run === "function";

import {
  AotjsError,
  bindSymbols,
  type Compiler,
  type Executable,
  evalExpr,
  formatMeta,
  Graph,
  isExecutable,
  messageOf,
  sameMeta,
  symbolicShape,
  type TensorData,
} from "@aotjs/ir";
import { Interpreter } from "@aotjs/tensor";

/** Every error `@aotjs/aot` raises: compile, cache, the runtime around compiled graphs, export. */
export class AotError extends AotjsError {
  override name = "AotError";
}

/** A graph a compiler handed back runs on the reference interpreter. */
class InterpretedGraph implements Executable {
  readonly #interpreter: Interpreter;
  constructor(graph: Graph) {
    this.#interpreter = new Interpreter(graph);
  }
  run(inputs: readonly TensorData[]): TensorData[] {
    return this.#interpreter.run(inputs);
  }
}

/** Compile one graph, turning a returned Graph into an interpreter and checking the result's shape. */
export async function compileGraph(compiler: Compiler, graph: Graph, role: string): Promise<Executable> {
  let result: unknown;
  try {
    result = await compiler(graph, graph.inputMetas);
  } catch (e) {
    throw new AotError(`the ${role} compiler failed on graph '${graph.name}': ${messageOf(e)}`, { cause: e });
  }
  if (result instanceof Graph) return new InterpretedGraph(result);
  if (isExecutable(result)) return result;
  throw new AotError(
    `the ${role} compiler returned ${typeof result}; a compiler returns an Executable or a Graph`,
  );
}

/** Run an executable and check that it returned one TensorData per graph output, of the right meta. */
export async function runExecutable(
  exe: Executable,
  graph: Graph,
  inputs: readonly TensorData[],
): Promise<TensorData[]> {
  // A symbolic graph's outputs have the sizes of this call's symbols; binding checks the guards first.
  let bindings: Map<string, number> | undefined;
  if (graph.symbolic) {
    try {
      bindings = bindSymbols(
        graph,
        inputs.map((t) => t.shape),
      );
    } catch (e) {
      throw new AotError(`compiled '${graph.name}': ${messageOf(e)}`, { cause: e });
    }
  }
  const outputs = await exe.run(inputs);
  if (!Array.isArray(outputs) || outputs.length !== graph.outputs.length) {
    throw new AotError(
      `compiled '${graph.name}' returned ${Array.isArray(outputs) ? outputs.length : typeof outputs} outputs, expected ${graph.outputs.length}`,
    );
  }
  graph.outputs.forEach((v, i) => {
    const o = outputs[i]!;
    const expected = bindings
      ? { shape: symbolicShape(graph, v).map((d) => evalExpr(d, bindings)), dtype: v.meta.dtype }
      : v.meta;
    if (!sameMeta(o, expected)) {
      throw new AotError(
        `compiled '${graph.name}' output ${i} ('${v.name}') is ${formatMeta(o)}, the graph says ${formatMeta(expected)}`,
      );
    }
  });
  return outputs;
}

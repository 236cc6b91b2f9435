import type { Compiler, Graph, TensorMeta } from "@aotjs/ir";

/** Returns the graph unchanged: it runs on the reference interpreter. functorch's `nop`. */
export const nop: Compiler = (graph: Graph) => graph;

/**
 * Prints the graph as code (`function <name>(...) { ... }`) and runs it on the reference
 * interpreter, like functorch's tutorial compiler that prints `fx_module.code`.
 */
export function printGraph(name?: string, log: (text: string) => void = console.log): Compiler {
  return (graph: Graph, _exampleInputs: readonly TensorMeta[]) => {
    log((name === undefined ? graph : graph.renamed(name)).code);
    return graph;
  };
}

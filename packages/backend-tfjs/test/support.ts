import type { Compiler, Executable, Graph, TensorData } from "@aotjs/ir";
import { interpret } from "@aotjs/tensor";

export interface Captured {
  readonly graph: Graph;
  readonly inputs: TensorData[];
}

/**
 * A compiler that runs graphs on the reference interpreter and records each graph with the inputs
 * of its first run: the forward and backward graphs aotModule builds, with reference inputs to
 * check another compiler on.
 */
export function recordingCompiler(): { compiler: Compiler; captured: Captured[] } {
  const captured: Captured[] = [];
  const compiler: Compiler = (graph) => {
    let recorded = false;
    return {
      run(inputs) {
        if (!recorded) captured.push({ graph, inputs: [...inputs] });
        recorded = true;
        return interpret(graph, inputs);
      },
    };
  };
  return { compiler, captured };
}

/** Compile with `compiler` and run once; disposes the executable. */
export async function compileAndRun(
  compiler: Compiler,
  graph: Graph,
  inputs: readonly TensorData[],
): Promise<TensorData[]> {
  const exe = (await compiler(graph, graph.inputMetas)) as Executable;
  try {
    return await exe.run(inputs);
  } finally {
    await exe.dispose?.();
  }
}

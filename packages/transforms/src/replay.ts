import { AutogradError } from "@aotjs/autograd";
import type { Graph, Value } from "@aotjs/ir";
import { dispatch, type Tensor } from "@aotjs/tensor";
import { withRegion } from "@aotjs/tracer";

/**
 * A graph as a function on Tensors: each node is dispatched again, so replaying under the tracer
 * re-traces it, under autograd differentiates it, and eagerly evaluates it. Node results that
 * are graph outputs come back in order.
 */
export function replayGraph(graph: Graph): (...inputs: Tensor[]) => Tensor[] {
  return (...inputs: Tensor[]) => {
    if (inputs.length !== graph.inputs.length) {
      throw new AutogradError(
        `replay '${graph.name}': expected ${graph.inputs.length} inputs, got ${inputs.length}`,
      );
    }
    const env = new Map<Value, Tensor>(graph.inputs.map((v, i) => [v, inputs[i]!]));
    for (const node of graph.nodes) {
      // A replay under the tracer (decompose) keeps each node's checkpoint region.
      env.set(
        node.output,
        withRegion(node.region, () =>
          dispatch(
            node.op,
            node.inputs.map((v) => env.get(v)!),
            node.attrs as never,
          ),
        ),
      );
    }
    return graph.outputs.map((v) => env.get(v)!);
  };
}

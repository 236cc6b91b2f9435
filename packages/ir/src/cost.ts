import type { AnyNode, Graph, Node } from "./graph.js";
import type { ComputeOpName } from "./ops/index.js";

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Multiply-adds times 2 of each compute-heavy op; every such op needs its own entry (a type error otherwise). */
const computeFlops: { readonly [K in ComputeOpName]: (node: Node<K>) => number } = {
  matmul: (n) => 2 * numel(n.meta.shape) * (n.inputs[0]!.meta.shape.at(-1) ?? 1),
  conv2d: (n) => 2 * numel(n.meta.shape) * numel(n.inputs[1]!.meta.shape.slice(1)),
  // Each adjoint does the forward's multiply-adds: every output-gradient element meets every tap.
  conv2dBackwardInput: (n) => 2 * numel(n.inputs[0]!.meta.shape) * numel(n.inputs[1]!.meta.shape.slice(1)),
  conv2dBackwardWeight: (n) => 2 * numel(n.inputs[0]!.meta.shape) * numel(n.attrs.weightShape.slice(1)),
  maxPool2d: (n) => numel(n.meta.shape) * numel(n.attrs.kernelSize),
  maxPool2dBackward: (n) => numel(n.inputs[0]!.meta.shape) * numel(n.attrs.kernelSize),
  avgPool2d: (n) => numel(n.meta.shape) * numel(n.attrs.kernelSize),
  avgPool2dBackward: (n) => numel(n.inputs[0]!.meta.shape) * numel(n.attrs.kernelSize),
};

/**
 * Floating-point operations of one node, from its shapes: matmuls and convolutions count 2 per
 * multiply-add, pools one per window tap, pointwise ops one per output element, reductions and
 * normalizations one per input element; layout and creation ops none.
 */
export function nodeFlops(node: AnyNode): number {
  const rule = (computeFlops as Record<string, ((n: AnyNode) => number) | undefined>)[node.op];
  if (rule) return rule(node);
  switch (node.category) {
    case "pointwise":
    case "random":
      return numel(node.meta.shape);
    case "reduction":
      return numel(node.inputs[0]!.meta.shape);
    default:
      return 0;
  }
}

/** The sum of `nodeFlops` over a graph's nodes. */
export const graphFlops = (graph: Graph): number => graph.nodes.reduce((a, n) => a + nodeFlops(n), 0);

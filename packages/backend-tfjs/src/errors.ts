import { formatMeta, type Node, type TensorMeta } from "@aotjs/ir";

/** Every error this backend raises. Messages name the graph, node, op and the metas involved. */
export class TfjsBackendError extends Error {
  override name = "TfjsBackendError";
}

/** `node 'conv' (conv2d of f32[1,3,8,8], f32[4,3,3,3] -> f32[1,4,6,6])`: how errors name a node. */
export function describeNode(
  node: Node,
  inputs: readonly TensorMeta[] = node.inputs.map((v) => v.meta),
): string {
  return `node '${node.name}' (${node.op} of ${inputs.map(formatMeta).join(", ") || "no inputs"} -> ${formatMeta(node.meta)})`;
}

import { formatMeta, type Node } from "@aotjs/ir";

/** Every error this package raises. Messages name the op, the node and the shapes involved. */
export class OnnxBackendError extends Error {
  override name = "OnnxBackendError";
}

/** `conv2d (node 'conv2d_3') of f32[1,3,8,8], f32[4,3,3,3]`: how every message locates a node. */
export function describeNode(node: Node): string {
  const inputs = node.inputs.map((v) => `${v.name}: ${formatMeta(v.meta)}`).join(", ");
  return `${node.op} (node '${node.name}') of (${inputs || "no inputs"}) -> ${formatMeta(node.meta)}`;
}

import type { Node, Value } from "./graph.js";
import { catalog, type OpName } from "./ops/index.js";
import { formatMeta } from "./tensor-data.js";

/** `a=x: f32[2,3], b=w: f32[3,4]`: each input by the op's name for it, the value's name and meta. */
export function describeInputs(op: OpName, inputs: readonly Value[]): string {
  const def = catalog[op];
  return inputs
    .map(
      (v, i) =>
        `${def.variadic ? `${def.inputs[0]}[${i}]` : (def.inputs[i] ?? `input${i}`)}=${v.name}: ${formatMeta(v.meta)}`,
    )
    .join(", ");
}

/**
 * `matmul (node 'mm') of (a=x: f32[2,3], b=w: f32[3,4]) -> f32[2,4]`: how every message in every
 * package locates a node (op, node name, input and output metas in `formatMeta`'s spelling).
 */
export function describeNode(node: Node): string {
  const inputs = describeInputs(node.op, node.inputs);
  return `${node.op} (node '${node.name}') of (${inputs || "no inputs"}) -> ${formatMeta(node.meta)}`;
}

import { checkNode, isValidName } from "./builder.js";
import { isDType } from "./dtype.js";
import { IRError } from "./errors.js";
import type { Graph, Value } from "./graph.js";
import { checkSignature } from "./signature.js";
import { checkSymbolic } from "./symbolic-graph.js";
import { formatMeta, isValidShape, sameMeta } from "./tensor-data.js";

/**
 * Check a graph's invariants, as torch.fx's `Graph.lint()` does: names are unique identifiers,
 * nodes are in topological order and use only defined values, every node's attributes and meta
 * agree with its op's rule, outputs exist, and the signature fits the graph (`checkSignature`). Throws an `IRError` naming the first problem.
 */
export function lint(graph: Graph): void {
  const defined = new Set<Value>();
  const names = new Set<string>();
  const claim = (v: Value, what: string) => {
    if (!isValidName(v.name))
      throw new IRError(`lint '${graph.name}': ${what} name '${v.name}' is not an identifier`);
    if (names.has(v.name)) throw new IRError(`lint '${graph.name}': name '${v.name}' is defined twice`);
    names.add(v.name);
    defined.add(v);
  };
  for (const v of graph.inputs) {
    if (v.producer) throw new IRError(`lint '${graph.name}': input '${v.name}' has a producer node`);
    if (!isValidShape(v.meta.shape) || !isDType(v.meta.dtype)) {
      throw new IRError(`lint '${graph.name}': input '${v.name}' has an invalid meta`);
    }
    claim(v, "input");
  }
  for (const node of graph.nodes) {
    node.inputs.forEach((v, i) => {
      if (!defined.has(v)) {
        const later = graph.nodes.some((n) => n.output === v);
        throw new IRError(
          `lint '${graph.name}': ${node.op} (node '${node.name}') uses '${v.name}' as input ${i} ` +
            (later
              ? "before it is defined (not in topological order)"
              : "but it is not defined in this graph"),
        );
      }
    });
    if (node.output.producer !== node)
      throw new IRError(`lint '${graph.name}': node '${node.name}' does not produce its output`);
    const { meta } = checkNode(node.op, node.inputs, node.attrs, node.name);
    if (!sameMeta(meta, node.meta)) {
      throw new IRError(
        `lint '${graph.name}': ${node.op} (node '${node.name}') records ${formatMeta(node.meta)} but its rule gives ${formatMeta(meta)}`,
      );
    }
    claim(node.output, "node");
  }
  graph.outputs.forEach((v, i) => {
    if (!defined.has(v))
      throw new IRError(`lint '${graph.name}': output ${i} '${v.name}' is not defined in this graph`);
  });
  checkSignature(graph);
  if (graph.symbolic) checkSymbolic(graph);
}

import {
  catalog,
  describeInputRole,
  describeOutputRole,
  type Graph,
  type InputRoleKind,
  isOpName,
  type Node,
  type OpCategory,
  type Value,
} from "@aotjs/ir";
import { attrSummary, generic, metaText } from "./attrs.js";
import type { ValueKind } from "./style.js";

/** Options every drawing takes. */
export interface DrawOptions {
  /** The heading of the drawing. Default: the graph's name. */
  readonly title?: string;
  /**
   * Which inputs to draw as parameters or buffers, over what the graph's signature says: a list of
   * input names, or a predicate (for a hand-built graph whose roles say only "user input").
   */
  readonly parameters?: Iterable<string> | ((input: Value, index: number) => boolean);
  /** Which inputs to draw as tangents, over what the graph's signature says. */
  readonly isTangent?: (input: Value, index: number) => boolean;
  /** Draw the legend of colours and shapes. Default true. */
  readonly legend?: boolean;
  /** Layout direction: top to bottom (default) or left to right. */
  readonly rankdir?: "TB" | "LR";
  /**
   * Cheaper layout: fewer Graphviz iterations and straight edges. Default: on for drawings of
   * more than 200 boxes, where the full layout takes seconds (see `LARGE_GRAPH`).
   */
  readonly fastLayout?: boolean;
  /** Longer names and attribute summaries are shortened in the middle (the tooltip keeps them whole). Default 40. */
  readonly maxLabelLength?: number;
}

/** A border that marks what happens to a value; see `MARK` in style.ts. */
export type Mark = "output" | "mutated" | "saved" | "recomputed";

/** One box of a drawing, before it becomes DOT. All text here is raw: the writer escapes it. */
export interface NodeSpec {
  readonly id: string;
  readonly kind: ValueKind;
  /** The op's catalog category; `unknown` for ops outside the catalog. */
  readonly category?: OpCategory | "unknown";
  readonly name: string;
  readonly op?: string;
  readonly attrs?: string;
  readonly meta: string;
  /** Extra lines under the meta (`out 0`, `saved 4 MiB`), each with the mark that colours it. */
  readonly tags: { text: string; mark: Mark }[];
  readonly marks: Set<Mark>;
  /** Everything about the value, unabbreviated, for the SVG tooltip. */
  tooltip: string;
}

export interface GraphDescription {
  readonly nodes: NodeSpec[];
  /** [from id, to id], one per node input (a value read twice gives two edges). */
  readonly edges: [string, string][];
  readonly idOf: Map<Value, string>;
}

/** How each input role is drawn. */
const KIND_OF_ROLE: { readonly [K in InputRoleKind]: ValueKind } = {
  user_input: "input",
  rng_seed: "input",
  rng_offset: "input",
  parameter: "parameter",
  buffer: "parameter",
  tangent: "tangent",
  constant: "constant",
  saved: "saved",
};

/** Classify each input by its role in the graph's signature; explicit options win. */
export function inputKinds(graph: Graph, options: DrawOptions): ValueKind[] {
  const p = options.parameters;
  const isParam =
    typeof p === "function"
      ? p
      : p !== undefined
        ? (
            (names) => (v: Value) =>
              names.has(v.name)
          )(new Set(p))
        : undefined;
  return graph.inputs.map((v, i) => {
    if (isParam?.(v, i)) return "parameter";
    if (options.isTangent?.(v, i)) return "tangent";
    return KIND_OF_ROLE[graph.signature.inputs[i]!.kind];
  });
}

export function categoryOf(op: string): OpCategory | "unknown" {
  return isOpName(op) ? catalog[op].category : "unknown";
}

function opSpec(node: Node, id: string): NodeSpec {
  const op = String(node.op);
  const category = categoryOf(op);
  const attrs = attrSummary(node);
  const meta = metaText(node.output.meta);
  const full = generic(node, true);
  return {
    id,
    kind: "op",
    category,
    name: String(node.name),
    op,
    attrs,
    meta,
    tags: [],
    marks: new Set(),
    tooltip: [
      `${node.name}: ${meta} = ${op}(${node.inputs.map((v) => v.name).join(", ")})`,
      `category: ${category}`,
      ...(full ? [`attributes: ${full}`] : []),
    ].join("\n"),
  };
}

/**
 * The boxes and arrows of one graph. Ids are `<prefix><index>`, never derived from names, so a
 * name cannot collide with DOT syntax or with another box. Values a node reads that the graph
 * doesn't define (a malformed hand-built graph) still get a box, marked as missing.
 */
export function describeGraph(
  graph: Graph,
  options: DrawOptions,
  prefix = "v",
  outputTag: (index: number) => string | undefined = (i) => `out ${i}`,
): GraphDescription {
  const nodes: NodeSpec[] = [];
  const edges: [string, string][] = [];
  const idOf = new Map<Value, string>();
  const specOf = new Map<Value, NodeSpec>();
  const add = (v: Value, spec: NodeSpec) => {
    idOf.set(v, spec.id);
    specOf.set(v, spec);
    nodes.push(spec);
  };
  const fresh = () => `${prefix}${nodes.length}`;

  const kinds = inputKinds(graph, options);
  graph.inputs.forEach((v, i) => {
    const meta = metaText(v.meta);
    const kind = kinds[i]!;
    add(v, {
      id: fresh(),
      kind,
      name: String(v.name),
      meta,
      tags: [],
      marks: new Set(),
      tooltip: `${v.name}: ${meta}\n${describeInputRole(graph.signature.inputs[i]!)}, input ${i}`,
    });
  });
  for (const node of graph.nodes) {
    for (const v of node.inputs) {
      if (!idOf.has(v)) {
        const meta = metaText(v.meta);
        add(v, {
          id: fresh(),
          kind: "input",
          name: String(v.name),
          meta,
          tags: [],
          marks: new Set(),
          tooltip: `${v.name}: ${meta}\nnot defined in this graph`,
        });
        nodes[nodes.length - 1]!.tags.push({ text: "not in graph", mark: "mutated" });
      }
    }
    add(node.output, opSpec(node, fresh()));
    for (const v of node.inputs) edges.push([idOf.get(v)!, idOf.get(node.output)!]);
  }

  // Several outputs may be one value (an input returned twice): one tag lists every index.
  const outTags = new Map<Value, { tags: string[]; roles: string[] }>();
  graph.outputs.forEach((v, i) => {
    const tag = outputTag(i);
    if (tag === undefined) return;
    const role = `${tag}: ${describeOutputRole(graph.signature.outputs[i]!)}`;
    const entry = outTags.get(v);
    if (entry) {
      entry.tags.push(tag);
      entry.roles.push(role);
    } else outTags.set(v, { tags: [tag], roles: [role] });
  });
  for (const [v, { tags, roles }] of outTags) {
    const spec = specOf.get(v);
    if (!spec) continue;
    spec.marks.add("output");
    spec.tags.push({ text: tags.join(", "), mark: "output" });
    spec.tooltip += `\n${roles.join(", ")}`;
  }
  for (const m of graph.mutations) {
    const v = graph.inputs[m.input];
    const spec = v && specOf.get(v);
    if (!spec) continue;
    spec.marks.add("mutated");
    spec.tags.push({ text: `mutated → out ${m.output}`, mark: "mutated" });
    spec.tooltip += `\nupdated in place: its new value is output ${m.output}`;
  }
  return { nodes, edges, idOf };
}

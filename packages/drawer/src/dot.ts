import type { Graph, OpCategory } from "@aotjs/ir";
import { type DrawOptions, describeGraph, type Mark, type NodeSpec } from "./describe.js";
import { html, printable, quote, tooltip, truncate } from "./escape.js";
import {
  CATEGORY_STYLE,
  DIM_TEXT,
  EDGE_COLOR,
  FONT,
  KIND_STYLE,
  MARK,
  MONO,
  UNKNOWN_FILL,
  type ValueKind,
} from "./style.js";

// Turns node specs into DOT text. Every string from a graph passes through `html` (labels),
// `tooltip` or `quote`; every other token here is a constant of this file or a synthetic id.

const DEFAULT_MAX = 40;

type Attrs = Record<string, string | number | undefined>;

/**
 * `key="value" ...`; `label` is an HTML label and goes out as `<...>` (already escaped).
 * Tooltips get their own escaping (see `tooltip`), every other value is a plain quoted string.
 */
function attrList(attrs: Attrs, label?: string): string {
  const parts = Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === "number" ? v : k === "tooltip" ? tooltip(v!) : quote(v!)}`);
  if (label !== undefined) parts.push(`label=<${label}>`);
  return parts.join(" ");
}

const font = (text: string, attrs: { size?: number; color?: string; face?: string; bold?: boolean }) => {
  const a = [
    attrs.size !== undefined ? `POINT-SIZE="${attrs.size}"` : "",
    attrs.color ? `COLOR="${attrs.color}"` : "",
    attrs.face ? `FACE="${attrs.face}"` : "",
  ].filter(Boolean);
  const body = attrs.bold ? `<B>${text}</B>` : text;
  return a.length ? `<FONT ${a.join(" ")}>${body}</FONT>` : body;
};

const markColor = (mark: Mark): string => MARK[mark].color;

/** The HTML label: bold name; op and its attributes; the meta; then one line per tag. */
function label(spec: NodeSpec, max: number): string {
  // A blank name would leave no text at all, and the box would read as its op's name.
  const name = printable(spec.name).trim() === "" ? "(unnamed)" : truncate(spec.name, max);
  const lines = [`<B>${html(name)}</B>`];
  if (spec.op !== undefined) {
    // A no-break space: Graphviz trims spaces at the ends of a text span, which would glue op and attrs.
    const attrs = spec.attrs
      ? `&#160;${font(html(truncate(spec.attrs, max)), { size: 10, color: DIM_TEXT })}`
      : "";
    lines.push(`${html(truncate(spec.op, max))}${attrs}`);
  }
  lines.push(font(html(truncate(spec.meta, max)), { size: 10, face: MONO, color: DIM_TEXT }));
  for (const t of spec.tags)
    lines.push(font(html(t.text), { size: 10, color: markColor(t.mark), bold: true }));
  return lines.join("<BR/>");
}

/** Node attributes from a spec's kind, category and marks. Marks override the border, in priority order. */
function nodeAttrs(spec: NodeSpec): Attrs {
  const styles = ["filled"];
  let shape: string;
  let fill: string;
  if (spec.kind === "op") {
    shape = "box";
    styles.push("rounded");
    // No category: a legend sample for a mark, drawn plain so only its border speaks.
    if (spec.category === undefined) fill = UNKNOWN_FILL;
    else if (spec.category === "unknown") {
      fill = UNKNOWN_FILL;
      styles.push("dashed");
    } else fill = CATEGORY_STYLE[spec.category].fill;
  } else {
    ({ shape, fill } = KIND_STYLE[spec.kind]);
  }
  const m = spec.marks;
  const border = (["mutated", "saved", "recomputed"] as const).find((k) => m.has(k));
  if (m.has("recomputed")) styles.push("dashed");
  const classes = ["aot-value", `aot-${spec.kind}`];
  if (spec.category) classes.push(`aot-${spec.category}`);
  for (const k of m) classes.push(`aot-${k}`);
  return {
    id: spec.id,
    class: classes.join(" "),
    shape,
    style: styles.join(","),
    fillcolor: fill,
    color: border ? MARK[border].color : "#1a1a1a",
    penwidth: border ? MARK[border].penwidth : m.has("output") ? 1.5 : 1,
    peripheries: m.has("output") ? MARK.output.peripheries : undefined,
    tooltip: spec.tooltip,
  };
}

export function nodeStatement(spec: NodeSpec, max: number, indent = "  "): string {
  return `${indent}${spec.id} [${attrList(nodeAttrs(spec), label(spec, max))}];`;
}

/**
 * Above this many boxes, Graphviz gets cheaper layout settings unless `fastLayout` says otherwise.
 * On resnet18's graphs (500-1300 boxes) `dot`'s time goes to edge routing, crossing minimization
 * and network-simplex placement, and varies wildly with the graph: 3-8 s with the defaults,
 * minutes for some settings. Fewer iterations and straight edges bring it under a second or
 * three; at that size nobody reads the drawing whole, so the plainer edges cost little.
 */
export const LARGE_GRAPH = 200;
const FAST_LAYOUT = { mclimit: 0.3, nslimit: 2, nslimit1: 2, splines: "line" };

/** Graph-wide defaults: one font, compact spacing, thin grey edges so the boxes stand out. */
export function header(title: string, subtitle: string, options: DrawOptions, boxes = 0): string[] {
  const heading = `${font(html(truncate(title, 80)), { size: 20, bold: true })}<BR/>${font(html(subtitle), { size: 12, color: DIM_TEXT })}`;
  return [
    "digraph G {",
    `  graph [${attrList(
      {
        fontname: FONT,
        rankdir: options.rankdir ?? "TB",
        labelloc: "t",
        labeljust: "l",
        nodesep: 0.25,
        ranksep: 0.35,
        bgcolor: "white",
        pad: 0.3,
        tooltip: title,
        ...((options.fastLayout ?? boxes > LARGE_GRAPH) ? FAST_LAYOUT : {}),
      },
      heading,
    )}];`,
    `  node [${attrList({ fontname: FONT, fontsize: 12, margin: "0.12,0.04", height: 0.3 })}];`,
    `  edge [${attrList({ color: EDGE_COLOR, arrowsize: 0.6, penwidth: 0.8 })}];`,
  ];
}

/** What a drawing contains, so its legend explains exactly that. */
export interface LegendContent {
  kinds: Set<ValueKind>;
  categories: Set<OpCategory | "unknown">;
  marks: Set<Mark>;
}

export function legendContent(specs: readonly NodeSpec[]): LegendContent {
  const content: LegendContent = { kinds: new Set(), categories: new Set(), marks: new Set() };
  for (const s of specs) {
    content.kinds.add(s.kind);
    if (s.category) content.categories.add(s.category);
    for (const m of s.marks) content.marks.add(m);
  }
  return content;
}

const MARK_TEXT: Record<Mark, string> = {
  output: "graph output (double border)",
  mutated: "input updated in place",
  saved: "saved for the backward",
  recomputed: "recomputed in the backward",
};

/**
 * The legend: a cluster of sample boxes drawn by the same code as real ones, one row for shapes
 * (where values come from), one for fills (op categories), one for borders (what happens to a
 * value). Only what the drawing uses is explained, so a small drawing gets a small legend.
 */
export function legendLines(content: LegendContent, indent = "  "): string[] {
  const rows: NodeSpec[][] = [[], [], []];
  let count = 0;
  const sample = (row: number, kind: ValueKind, text: string, extra: Partial<NodeSpec> = {}) =>
    rows[row]!.push({
      id: `legend${count++}`,
      kind,
      name: text,
      meta: "",
      tags: [],
      marks: new Set(),
      tooltip: text,
      ...extra,
    });
  for (const kind of Object.keys(KIND_STYLE) as (keyof typeof KIND_STYLE)[]) {
    if (content.kinds.has(kind)) sample(0, kind, KIND_STYLE[kind].label);
  }
  for (const cat of Object.keys(CATEGORY_STYLE) as OpCategory[]) {
    if (content.categories.has(cat)) sample(1, "op", CATEGORY_STYLE[cat].label, { category: cat });
  }
  if (content.categories.has("unknown")) sample(1, "op", "op outside the catalog", { category: "unknown" });
  for (const mark of Object.keys(MARK_TEXT) as Mark[]) {
    if (content.marks.has(mark)) sample(2, "op", MARK_TEXT[mark], { marks: new Set([mark]) });
  }
  const filled = rows.filter((r) => r.length > 0);
  if (filled.length === 0) return [];
  const inner = `${indent}  `;
  const lines = [
    `${indent}subgraph cluster_legend {`,
    `${inner}graph [${attrList({ style: "rounded,filled", fillcolor: "#fafafa", color: "#999999", fontsize: 12, tooltip: "legend", id: "legend", class: "aot-legend", margin: 10 }, "<B>legend</B>")}];`,
    `${inner}node [${attrList({ fontsize: 10, height: 0.25, width: 0.5, margin: "0.08,0.03" })}];`,
  ];
  filled.forEach((row, r) => {
    for (const s of row)
      lines.push(
        `${inner}${s.id} [${attrList({ ...nodeAttrs(s), class: "aot-legend-item" }, html(s.name))}];`,
      );
    const ids = row.map((s) => s.id);
    lines.push(`${inner}{ rank=same; ${ids.join("; ")} }`);
    // Invisible edges keep each row in order and stack the rows.
    if (ids.length > 1) lines.push(`${inner}${ids.join(" -> ")} [style=invis];`);
    if (r > 0) lines.push(`${inner}${filled[r - 1]![0]!.id} -> ${ids[0]} [style=invis];`);
  });
  lines.push(`${indent}}`);
  return lines;
}

export function edgeStatement(from: string, to: string, attrs: Attrs = {}, indent = "  "): string {
  const list = attrList(attrs);
  return `${indent}${from} -> ${to}${list ? ` [${list}]` : ""};`;
}

/** `1 input`, `2 inputs`. */
export const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? "" : "s"}`;

/** `3 inputs, 12 nodes, 2 outputs`: the heading's second line. */
export function counts(graph: Graph): string {
  const mut = graph.mutations.length ? `, ${graph.mutations.length} mutated` : "";
  return `${plural(graph.inputs.length, "input")}, ${plural(graph.nodes.length, "node")}, ${plural(graph.outputs.length, "output")}${mut}`;
}

/**
 * The graph as Graphviz DOT text. Layout and rendering are separate (`renderSvg`), so this is
 * cheap and synchronous: useful for diffing, or for a Graphviz you already have.
 */
export function toDot(graph: Graph, options: DrawOptions = {}): string {
  const max = options.maxLabelLength ?? DEFAULT_MAX;
  const d = describeGraph(graph, options);
  const lines = header(options.title ?? graph.name, counts(graph), options, d.nodes.length);
  for (const spec of d.nodes) lines.push(nodeStatement(spec, max));
  for (const [from, to] of d.edges) lines.push(edgeStatement(from, to));
  if (options.legend ?? true) lines.push(...legendLines(legendContent(d.nodes)));
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

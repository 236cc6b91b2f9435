import type { OpCategory } from "@aotjs/ir";

// One visual language for every drawing: fill colour says what an op costs (its catalog
// category), shape says where a value comes from, border says what happens to it. Keeping the
// tables here lets the legend be generated from the same data that styles the nodes.

export interface CategoryStyle {
  readonly fill: string;
  readonly label: string;
}

/**
 * Pale fills so black text stays readable, hues far enough apart to tell apart at a glance.
 * Compute-heavy ops are the warmest: they are what a reader looks for first.
 */
export const CATEGORY_STYLE: Readonly<Record<OpCategory, CategoryStyle>> = {
  pointwise: { fill: "#cfe3f7", label: "pointwise" },
  reduction: { fill: "#fcd9a8", label: "reduction" },
  layout: { fill: "#e4e4e4", label: "layout (view / copy)" },
  "compute-heavy": { fill: "#f5a3a3", label: "compute-heavy" },
  random: { fill: "#dcc6f0", label: "random" },
  creation: { fill: "#c9ebc3", label: "creation" },
};

/** For ops outside the catalog (hand-built graphs): white, with a dashed border (see nodeAttrs). */
export const UNKNOWN_FILL = "#ffffff";

/** Where a value of the drawing comes from. `op` is a node; the rest are graph inputs. */
export type ValueKind = "op" | "input" | "parameter" | "constant" | "tangent" | "saved";

export interface KindStyle {
  readonly shape: string;
  readonly fill: string;
  readonly label: string;
  readonly style?: string;
}

/**
 * Graph inputs are ellipses (ops are boxes), told apart by fill; parameters and buffers are
 * cylinders, stored state. Ellipses fit a three-line label more tightly than the pointed shapes.
 */
export const KIND_STYLE: Readonly<Record<Exclude<ValueKind, "op">, KindStyle>> = {
  input: { shape: "ellipse", fill: "#ffffff", label: "input" },
  parameter: { shape: "cylinder", fill: "#fff3b0", label: "parameter / buffer" },
  constant: { shape: "note", fill: "#f2f2f2", label: "captured constant" },
  tangent: { shape: "ellipse", fill: "#ffc9de", label: "tangent (incoming gradient)" },
  saved: { shape: "ellipse", fill: "#e3dcff", label: "saved by the forward" },
};

/** Borders that mark what happens to a value; these stack on top of the kind's fill. */
export const MARK = {
  /** A graph output: a double border. */
  output: { color: "#1a1a1a", peripheries: 2 },
  /** An input the graph updates in place. */
  mutated: { color: "#d1001f", penwidth: 2.5 },
  /** Partition drawings: a forward value the backward reads. */
  saved: { color: "#6a3d9a", penwidth: 3 },
  /** Partition drawings: a forward node the backward computes again. */
  recomputed: { color: "#1f78b4", style: "dashed", penwidth: 2 },
} as const;

/**
 * One family name each, not a CSS-style list: Graphviz sizes boxes from built-in metrics of known
 * families, and a list is not recognized (it falls back to Times, whose text is narrower, so
 * labels overflow their boxes). Browsers map Helvetica and Courier to Arial/Liberation Sans and
 * Courier New/Liberation Mono, which share these metrics.
 */
export const FONT = "Helvetica";
export const MONO = "Courier";
export const EDGE_COLOR = "#4d4d4d";
export const SAVED_EDGE_COLOR = MARK.saved.color;
/** Secondary text (attributes, metas) in a darker grey than the edges, for contrast on fills. */
export const DIM_TEXT = "#333333";

import { byteSize, formatBytes, formatMeta, type Graph, type TensorMeta, type Value } from "@aotjs/ir";
import { type DrawOptions, describeGraph, type NodeSpec } from "./describe.js";
import { edgeStatement, header, legendContent, legendLines, nodeStatement, plural } from "./dot.js";
import { quote } from "./escape.js";
import { dotToSvg } from "./render.js";
import { SAVED_EDGE_COLOR } from "./style.js";

/**
 * What a partitioner returns (`@aotjs/partitioner`'s `PartitionResult`), typed structurally so
 * the drawer depends on `@aotjs/ir` alone.
 */
export interface PartitionLike {
  /** Outputs with role `saved` are what the backward reads. */
  readonly forward: Graph;
  /** Inputs with role `saved` name the forward output they are; the others are tangents. */
  readonly backward: Graph;
  readonly savedValues: readonly Value[];
  readonly numForwardOutputs: number;
}

/** What a partition saves and recomputes, in the form the drawer labels it. */
export interface PartitionSummary {
  readonly saved: readonly { name: string; meta: TensorMeta; bytes: number; isInput: boolean }[];
  readonly savedBytes: number;
  /** Saved bytes that are not graph inputs: the activation memory the partition adds. */
  readonly savedBytesBeyondInputs: number;
  /** Forward nodes the backward runs again (by name: the partitioners keep joint-graph names). */
  readonly recomputed: readonly string[];
}

const safeBytes = (meta: TensorMeta): number => {
  try {
    return byteSize(meta);
  } catch {
    return Number.NaN;
  }
};

/** The saved values (with bytes) and recomputed nodes of a partition result. */
export function partitionSummary(result: PartitionLike): PartitionSummary {
  const saved = result.savedValues.map((v) => ({
    name: v.name,
    meta: v.meta,
    bytes: safeBytes(v.meta),
    isInput: v.producer === undefined,
  }));
  const forwardNodes = new Set(result.forward.nodes.map((n) => n.name));
  return {
    saved,
    savedBytes: saved.reduce((s, v) => s + v.bytes, 0),
    savedBytesBeyondInputs: saved.reduce((s, v) => s + (v.isInput ? 0 : v.bytes), 0),
    recomputed: result.backward.nodes.filter((n) => forwardNodes.has(n.name)).map((n) => n.name),
  };
}

function cluster(id: string, title: string, fill: string, body: string[]): string[] {
  return [
    `  subgraph cluster_${id} {`,
    `    graph [label=<<B>${title}</B>> style="rounded,filled" fillcolor=${quote(fill)} color="#8c8c8c" fontsize=16 id=${quote(id)} class=${quote(`aot-region aot-${id}`)} labeljust="l"];`,
    ...body,
    "  }",
  ];
}

/**
 * The forward and backward graphs drawn together as the joint graph they came from: a forward
 * region, a backward region, and between them the saved values (purple border and arrows, with
 * their sizes). A backward node that has the name of a forward node is the partitioner's
 * recomputation: it is drawn dashed blue, so what min-cut chose to save and to recompute is
 * visible at a glance.
 */
export function partitionToDot(result: PartitionLike, options: DrawOptions = {}): string {
  const max = options.maxLabelLength ?? 40;
  const { forward, backward } = result;
  const fwRoles = forward.signature.outputs;
  const fw = describeGraph(forward, options, "f", (i) =>
    fwRoles[i]!.kind === "saved" ? undefined : `out ${i}`,
  );
  const bw = describeGraph(backward, options, "b", (i) => `grad ${i}`);
  const summary = partitionSummary(result);
  const fwSpecs = new Map(fw.nodes.map((s) => [s.id, s]));
  const specOfForwardOutput = (k: number) => {
    const v = forward.outputs[k];
    return v && fwSpecs.get(fw.idOf.get(v)!);
  };

  // Saved values (forward outputs with role `saved`): mark the forward box, once per value.
  const marked = new Set<NodeSpec>();
  fwRoles.forEach((role, k) => {
    const spec = specOfForwardOutput(k);
    if (role.kind !== "saved" || !spec || marked.has(spec)) return;
    marked.add(spec);
    const meta = forward.outputs[k]!.meta;
    const bytes = safeBytes(meta);
    spec.marks.add("saved");
    spec.tags.push({ text: `saved ${formatBytes(bytes)}`, mark: "saved" });
    spec.tooltip += `\nsaved for the backward: ${formatMeta(meta)}, ${bytes} bytes`;
  });
  // A backward input that is a saved value (role `saved` of forward output k) is drawn as that
  // forward box: its arrows start there instead of at a copy.
  const redirect = new Map<string, string>();
  backward.signature.inputs.forEach((role, i) => {
    const target = role.kind === "saved" ? specOfForwardOutput(role.forwardOutput) : undefined;
    if (target) redirect.set(bw.idOf.get(backward.inputs[i]!)!, target.id);
  });

  const recomputed = new Set(summary.recomputed);
  for (const node of backward.nodes) {
    if (!recomputed.has(node.name)) continue;
    const spec = bw.nodes.find((s) => s.id === bw.idOf.get(node.output));
    if (!spec) continue;
    spec.marks.add("recomputed");
    spec.tags.push({ text: "recomputed", mark: "recomputed" });
    spec.tooltip += "\nrecomputed: the forward computes this too, and did not save it";
  }

  const bwNodes = bw.nodes.filter((s) => !redirect.has(s.id));
  const title = options.title ?? "partition";
  const subtitle = [
    `saved ${plural(summary.saved.length, "value")}, ${formatBytes(summary.savedBytes)} (${formatBytes(summary.savedBytesBeyondInputs)} beyond the inputs)`,
    `recomputed ${plural(summary.recomputed.length, "node")}`,
    `forward ${plural(forward.nodes.length, "node")}, backward ${plural(backward.nodes.length, "node")}`,
  ].join(" · ");
  const lines = header(title, subtitle, options, fw.nodes.length + bwNodes.length);
  lines.push(
    ...cluster("forward", "forward", "#f3f8fd", [
      ...fw.nodes.map((s) => nodeStatement(s, max, "    ")),
      ...fw.edges.map(([a, b]) => edgeStatement(a, b, {}, "    ")),
    ]),
    ...cluster("backward", "backward", "#fdf6f1", [
      ...bwNodes.map((s) => nodeStatement(s, max, "    ")),
      ...bw.edges.filter(([a]) => !redirect.has(a)).map(([a, b]) => edgeStatement(a, b, {}, "    ")),
    ]),
  );
  // Arrows from saved values cross the regions, so they live outside both clusters.
  for (const [a, b] of bw.edges) {
    const from = redirect.get(a);
    if (from) lines.push(edgeStatement(from, b, { color: SAVED_EDGE_COLOR, penwidth: 1.4 }));
  }
  if (options.legend ?? true) lines.push(...legendLines(legendContent([...fw.nodes, ...bwNodes])));
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

/** The forward and backward graphs side by side, saved values marked, as SVG (Graphviz layout). */
export function renderPartitionSvg(result: PartitionLike, options: DrawOptions = {}): Promise<string> {
  return dotToSvg(partitionToDot(result, options));
}

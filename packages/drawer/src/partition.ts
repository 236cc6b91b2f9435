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
  /** Inputs: the joint's non-tangent inputs. Outputs: the forward outputs, then the saved values. */
  readonly forward: Graph;
  /** Inputs: the saved values (same names as in the forward), then the tangents. */
  readonly backward: Graph;
  readonly savedValues: readonly Value[];
  readonly numForwardOutputs: number;
}

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

const specByName = (graph: Graph, specs: readonly NodeSpec[], idOf: Map<Value, string>) => {
  const byId = new Map(specs.map((s) => [s.id, s]));
  const out = new Map<string, NodeSpec>();
  for (const v of graph.values) {
    const spec = byId.get(idOf.get(v)!);
    if (spec) out.set(v.name, spec);
  }
  return out;
};

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
  const numFw = result.numForwardOutputs;
  const fw = describeGraph(result.forward, options, "f", (i) => (i < numFw ? `out ${i}` : undefined));
  const bw = describeGraph(result.backward, options, "b", (i) => `grad ${i}`);
  const summary = partitionSummary(result);
  const fwByName = specByName(result.forward, fw.nodes, fw.idOf);

  // Saved values: mark the forward box, and let backward arrows start there instead of at a copy.
  const redirect = new Map<string, string>();
  const savedNames = new Set(summary.saved.map((s) => s.name));
  for (const s of summary.saved) {
    const spec = fwByName.get(s.name);
    if (!spec) continue;
    spec.marks.add("saved");
    spec.tags.push({ text: `saved ${formatBytes(s.bytes)}`, mark: "saved" });
    spec.tooltip += `\nsaved for the backward: ${formatMeta(s.meta)}, ${s.bytes} bytes`;
  }
  result.backward.inputs.forEach((v) => {
    const target = savedNames.has(v.name) ? fwByName.get(v.name) : undefined;
    if (target) redirect.set(bw.idOf.get(v)!, target.id);
  });

  const recomputed = new Set(summary.recomputed);
  for (const node of result.backward.nodes) {
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
    `forward ${plural(result.forward.nodes.length, "node")}, backward ${plural(result.backward.nodes.length, "node")}`,
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

export function renderPartitionSvg(result: PartitionLike, options: DrawOptions = {}): Promise<string> {
  return dotToSvg(partitionToDot(result, options));
}

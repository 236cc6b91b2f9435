import {
  byteSize,
  type EstimateCostOptions,
  estimateCost,
  formatBytes,
  formatMeta,
  type Graph,
  type GraphStats,
  graphStats,
  type TensorMeta,
} from "@aotjs/ir";
import type { PartitionResult } from "./joint.js";
import { estimatePeakMemory, type PeakMemory } from "./peak-memory.js";

/** One value a partition saves for the backward, with its size. */
export interface SavedValueInfo {
  readonly name: string;
  readonly meta: TensorMeta;
  readonly bytes: number;
  /** A graph input (primal, parameter, constant): alive anyway, so saving it costs no new memory. */
  readonly isInput: boolean;
}

/** Counts of one partitioned graph: inputs, outputs, nodes, nodes per op. */
export interface GraphSummary {
  readonly numInputs: number;
  readonly numOutputs: number;
  readonly numNodes: number;
  readonly opCounts: GraphStats["opCounts"];
}

/** What `partitionReport` finds: saved values and bytes, recompute cost, peak memory, per-graph counts. */
export interface PartitionReport {
  readonly saved: readonly SavedValueInfo[];
  readonly savedBytes: number;
  /** Saved bytes that are not graph inputs: the activation memory the partition adds. */
  readonly savedBytesExcludingInputs: number;
  readonly forward: GraphSummary;
  readonly backward: GraphSummary;
  /** Nodes of the forward graph that the backward graph runs again. */
  readonly recomputed: readonly string[];
  /** Estimated milliseconds of the recomputed nodes (`estimateCost` of the backward graph). */
  readonly recomputeMs: number;
  /** Simulated live bytes over the step (`estimatePeakMemory`). */
  readonly peak: PeakMemory;
  /** A readable table of all of the above. */
  format(): string;
  /** The same as `format()`, so a report prints in template strings. */
  toString(): string;
}

const summarize = (g: Graph): GraphSummary => {
  const s = graphStats(g);
  return { numInputs: s.numInputs, numOutputs: s.numOutputs, numNodes: s.numNodes, opCounts: s.opCounts };
};

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
}

const formatOps = (ops: GraphStats["opCounts"]): string =>
  Object.entries(ops)
    .sort(([x, a], [y, b]) => b! - a! || x.localeCompare(y))
    .map(([op, k]) => `${op} x${k}`)
    .join(", ") || "none";

/** What a partition saves and where the work went. */
export function partitionReport(result: PartitionResult, costs: EstimateCostOptions = {}): PartitionReport {
  const saved = result.savedValues.map((v) => ({
    name: v.name,
    meta: v.meta,
    bytes: byteSize(v.meta),
    isInput: v.isInput,
  }));
  const savedBytes = saved.reduce((s, v) => s + v.bytes, 0);
  const savedBytesExcludingInputs = saved.reduce((s, v) => s + (v.isInput ? 0 : v.bytes), 0);
  const forwardNames = new Set(result.forward.nodes.map((n) => n.name));
  const recomputed = result.backward.nodes.filter((n) => forwardNames.has(n.name)).map((n) => n.name);
  const forward = summarize(result.forward);
  const backward = summarize(result.backward);
  const backwardCost = estimateCost(result.backward, costs);
  const recomputeMs = recomputed.reduce((s, name) => s + backwardCost.byName.get(name)!.ms, 0);
  const peak = estimatePeakMemory(result);

  const format = () => {
    const rows = saved.map((v) => [
      v.name,
      formatMeta(v.meta),
      formatBytes(v.bytes),
      v.isInput ? "input" : "",
    ]);
    const lines = [
      `saved values: ${saved.length}, ${formatBytes(savedBytes)} (${formatBytes(savedBytesExcludingInputs)} beyond the inputs)`,
      ...(rows.length ? table(["name", "type", "bytes", "kind"], rows).map((l) => `  ${l}`) : []),
      `forward:  ${forward.numInputs} inputs, ${forward.numOutputs} outputs, ${forward.numNodes} nodes: ${formatOps(forward.opCounts)}`,
      `backward: ${backward.numInputs} inputs, ${backward.numOutputs} outputs, ${backward.numNodes} nodes: ${formatOps(backward.opCounts)}`,
      `recomputed in backward: ${recomputed.length ? recomputed.join(", ") : "nothing"}`,
      `recompute cost: ${recomputeMs.toFixed(3)} ms (estimated)`,
      `peak memory: ${formatBytes(peak.peakBytes)} (forward ${formatBytes(peak.forwardPeakBytes)}, backward ${formatBytes(peak.backwardPeakBytes)}, inputs ${formatBytes(peak.inputBytes)}; at ${peak.peakAt})`,
    ];
    return lines.join("\n");
  };
  return {
    saved,
    savedBytes,
    savedBytesExcludingInputs,
    forward,
    backward,
    recomputed,
    recomputeMs,
    peak,
    format,
    toString: format,
  };
}

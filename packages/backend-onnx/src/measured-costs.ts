import { estimateCost, type Graph, type MeasuredCosts } from "@aotjs/ir";
import { OnnxBackendError } from "./errors.js";
import type { OnnxProfile } from "./profile.js";

/** One compiled graph and ORT's profile of it (`compiler.profiles()` is in compile order). */
export interface ProfiledGraph {
  readonly graph: Graph;
  readonly profile: OnnxProfile;
}

/**
 * The measured table `estimateCost` (and the memory-budget partitioner) reads, from ORT's per-op
 * profiles: each IR node's kernel milliseconds per run, and per IR op the milliseconds, FLOPs and
 * bytes over all profiled nodes of that op, so nodes that were not profiled are priced by their
 * share of the op's work. A node in several graphs (the backward recomputing a forward node) gets
 * the mean of its times. Kernels ORT made itself (layout reorders) belong to no IR node and are
 * left out: they are the backend's overhead, not a node's.
 */
export function measuredCosts(profiled: readonly ProfiledGraph[]): MeasuredCosts {
  const nodeTimes = new Map<string, number[]>();
  const ops = new Map<string, { ms: number; flops: number; bytes: number }>();
  for (const { graph, profile } of profiled) {
    if (profile.graph !== graph.name)
      throw new OnnxBackendError(
        `measuredCosts: the profile of graph '${profile.graph}' was paired with graph '${graph.name}'`,
      );
    const cost = estimateCost(graph);
    const work = new Map<string, { flops: number; bytes: number }>();
    for (const c of cost.nodes) {
      const w = work.get(c.op) ?? { flops: 0, bytes: 0 };
      w.flops += c.flops;
      w.bytes += c.bytes;
      work.set(c.op, w);
    }
    for (const row of profile.byNode) {
      if (!cost.byName.has(row.name)) continue;
      const list = nodeTimes.get(row.name) ?? [];
      list.push(row.ms);
      nodeTimes.set(row.name, list);
    }
    for (const row of profile.byIrOp) {
      const w = work.get(row.name);
      if (!w) continue;
      const o = ops.get(row.name) ?? { ms: 0, flops: 0, bytes: 0 };
      o.ms += row.ms;
      o.flops += w.flops;
      o.bytes += w.bytes;
      ops.set(row.name, o);
    }
  }
  return {
    nodes: Object.fromEntries(
      [...nodeTimes].map(([k, ms]) => [k, ms.reduce((a, b) => a + b, 0) / ms.length]),
    ),
    ops: Object.fromEntries(ops),
  };
}

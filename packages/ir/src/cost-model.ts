import { nodeFlops } from "./cost.js";
import { IRError } from "./errors.js";
import type { AnyNode, Graph } from "./graph.js";
import { byteSize } from "./tensor-data.js";

/**
 * Milliseconds a backend actually spent, from its per-op profile (see `measuredCosts` in
 * `@aotjs/backend-onnx`). `nodes` times named nodes (node names survive partitioning, so a
 * forward graph's profile prices the nodes a backward graph recomputes); `ops` prices every other
 * node of a profiled op by its share of that op's profiled work (FLOPs, or bytes for ops without
 * FLOPs).
 */
export interface MeasuredCosts {
  readonly nodes?: Readonly<Record<string, number>>;
  readonly ops?: Readonly<
    Record<string, { readonly ms: number; readonly flops: number; readonly bytes: number }>
  >;
}

/**
 * The machine a node is priced on when nothing was measured: a roofline, where a node takes as
 * long as the slower of its arithmetic and its memory traffic. Defaults are this project's CPU
 * (ORT on 2 threads: ~150 GFLOP/s on matmul, ~10 GB/s streaming).
 */
export interface Roofline {
  readonly flopsPerMs: number;
  readonly bytesPerMs: number;
}

/** The roofline used when nothing is measured: rough CPU throughput of this project's reference machine. */
export const DEFAULT_ROOFLINE: Roofline = { flopsPerMs: 150e6, bytesPerMs: 10e6 };

/** The estimated cost of one node: flops, bytes moved, milliseconds, and where the time came from. */
export interface NodeCost {
  readonly name: string;
  readonly op: string;
  readonly flops: number;
  /** Bytes read and written: every input once plus the result. */
  readonly bytes: number;
  readonly ms: number;
  /** Where `ms` came from. */
  readonly source: "measured node" | "measured op" | "roofline";
}

/** The estimated cost of a graph: per node and in total. */
export interface GraphCost {
  readonly nodes: readonly NodeCost[];
  readonly byName: ReadonlyMap<string, NodeCost>;
  readonly flops: number;
  readonly ms: number;
}

/** Options of `estimateCost`: measured costs to prefer, and the roofline for the rest. */
export interface EstimateCostOptions {
  readonly measured?: MeasuredCosts;
  readonly roofline?: Roofline;
}

/** Bytes a node moves: each distinct input read once, the result written once. */
export const nodeBytes = (node: AnyNode): number =>
  [...new Set(node.inputs)].reduce((s, v) => s + byteSize(v.meta), byteSize(node.meta));

function checkMs(what: string, ms: number): number {
  if (!(ms >= 0) || !Number.isFinite(ms)) throw new IRError(`estimateCost: ${what} is ${ms} ms`);
  return ms;
}

/**
 * What each node of `graph` costs to run: FLOPs and bytes from its shapes (`nodeFlops`,
 * `nodeBytes`), and milliseconds from the measured table where it covers the node, else from the
 * roofline. A partitioner reads `ms` as the price of recomputing a node.
 */
export function estimateCost(graph: Graph, options: EstimateCostOptions = {}): GraphCost {
  const roof = options.roofline ?? DEFAULT_ROOFLINE;
  if (!(roof.flopsPerMs > 0 && roof.bytesPerMs > 0))
    throw new IRError(
      `estimateCost: roofline needs positive rates, got ${roof.flopsPerMs} FLOP/ms and ${roof.bytesPerMs} B/ms`,
    );
  const measuredNodes = options.measured?.nodes ?? {};
  const measuredOps = options.measured?.ops ?? {};
  const nodes = graph.nodes.map((node): NodeCost => {
    const flops = nodeFlops(node);
    const bytes = nodeBytes(node);
    const base = { name: node.name, op: node.op as string, flops, bytes };
    const own = Object.hasOwn(measuredNodes, node.name) ? measuredNodes[node.name] : undefined;
    if (own !== undefined)
      return { ...base, ms: checkMs(`node '${node.name}' (${node.op})`, own), source: "measured node" };
    const op = Object.hasOwn(measuredOps, node.op) ? measuredOps[node.op] : undefined;
    // Scale by FLOPs where the op has any (matmul, conv, pointwise), else by bytes (layout).
    const work = op && (op.flops > 0 ? [flops, op.flops] : op.bytes > 0 ? [bytes, op.bytes] : undefined);
    if (op && work) {
      const ms = checkMs(`op '${node.op}'`, op.ms) * (work[0]! / work[1]!);
      return { ...base, ms, source: "measured op" };
    }
    return { ...base, ms: Math.max(flops / roof.flopsPerMs, bytes / roof.bytesPerMs), source: "roofline" };
  });
  return {
    nodes,
    byName: new Map(nodes.map((c) => [c.name, c])),
    flops: nodes.reduce((s, c) => s + c.flops, 0),
    ms: nodes.reduce((s, c) => s + c.ms, 0),
  };
}

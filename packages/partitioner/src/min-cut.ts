import { byteSize, catalog, cse, dce, type Graph, type Node, type Value } from "@aotjs/ir";
import {
  analyzeJoint,
  assemblePartition,
  type JointAnalysis,
  PartitionError,
  type PartitionOptions,
  type PartitionResult,
} from "./joint.js";
import { FlowNetwork } from "./maxflow.js";
import { type RecomputePolicy, recomputePredicate } from "./policy.js";
import { checkpointInner, checkpointInputs, inRegion } from "./regions.js";

export interface MinCutOptions extends PartitionOptions {
  /**
   * Which forward nodes may be recomputed in the backward graph (see `RecomputePolicy`). Inside
   * a `checkpoint()` region every node may be, random ops too (they take their seed and offset
   * as inputs, so a recomputation draws the same numbers), and the region's inner values must be.
   */
  readonly recomputable?: RecomputePolicy;
  /**
   * Nodes the backward receives saved, never recomputed (op names or a predicate). Min-cut
   * honours it inside checkpoint regions, as selective activation checkpointing's "must save"
   * (save the matmuls of a checkpointed block, recompute the rest); `memoryBudgetPartition`
   * below budget 1 honours it everywhere.
   */
  readonly mustSave?: RecomputePolicy;
  /**
   * What saving a graph input costs, as a fraction of its bytes. Inputs (primals, parameters,
   * constants) are in memory anyway, so keeping them alive until the backward costs less than a
   * fresh activation. PyTorch weighs them in full (1). Default 0.5.
   */
  readonly inputWeight?: number;
  /**
   * Bias towards saving values the backward reads soon: a value `d` nodes from the backward weighs
   * `base^d` times its bytes (d clamped to [1, 100]). PyTorch's guess, 1.1, is the default.
   */
  readonly distanceBase?: number;
  /**
   * A value every consumer fuses with is never written to memory in a fused forward, so saving it
   * adds a write; it weighs this many times its bytes. Default 2, as PyTorch.
   */
  readonly unmaterializedFactor?: number;
  /**
   * A reduction whose result is this many times smaller than its inputs is saved rather than
   * recomputed: the result is cheap to keep and the reduction is not cheap to redo (this keeps
   * normalization statistics). Default 4, as PyTorch; 0 turns it off.
   */
  readonly reductionRatio?: number;
  /** Never recompute a forward node further than this from the backward (PyTorch's inductor hack). Default: no limit. */
  readonly maxDistFromBackward?: number;
  /** Merge duplicate nodes before cutting, as PyTorch does. Default true. */
  readonly cse?: boolean;
}

const MAX_DIST = 100;

/**
 * Choose what to save by a minimum cut, as PyTorch's `min_cut_rematerialization_partition`: the
 * forward may save any set of values from which the backward can recompute everything else it
 * needs, and the cheapest such set (in weighted bytes) is a minimum s-t cut of the joint graph
 * with each value split into an `in -> out` edge of capacity equal to its weight.
 */
export function minCutRematerializationPartition(joint: Graph, options: MinCutOptions = {}): PartitionResult {
  const graph = options.cse === false ? dce(joint) : cse(dce(joint));
  const a = analyzeJoint(graph, options);
  const { saved, ...graphs } = assemblePartition(a, chooseSavedValues(a, options));
  // Values of the cleaned copy the cut ran on (the joint's own when DCE and CSE changed nothing).
  return { ...graphs, savedValues: saved };
}

function checkOption(name: string, value: number, min: number): number {
  if (!(value >= min) || Number.isNaN(value)) {
    throw new PartitionError(
      `minCutRematerializationPartition: ${name} must be a number >= ${min}, got ${value}`,
    );
  }
  return value;
}

/** The values whose `in -> out` edge a minimum cut crosses, in graph order. */
export function chooseSavedValues(a: JointAnalysis, options: MinCutOptions): Value[] {
  const inputWeight = checkOption("inputWeight", options.inputWeight ?? 0.5, 0);
  const base = checkOption("distanceBase", options.distanceBase ?? 1.1, 1);
  const unmaterialized = checkOption("unmaterializedFactor", options.unmaterializedFactor ?? 2, 0);
  const ratio = checkOption("reductionRatio", options.reductionRatio ?? 4, 0);
  const maxDist = checkOption(
    "maxDistFromBackward",
    options.maxDistFromBackward ?? Number.POSITIVE_INFINITY,
    0,
  );
  const recomputable = recomputePredicate(options.recomputable);
  const mustSave = options.mustSave === undefined ? () => false : recomputePredicate(options.mustSave);

  const { values, users, numInputs, tangentDependent, forwardRequired, isLiteral } = a;
  const n = values.length;
  const canRecompute = new Uint8Array(n);
  const fusible = new Uint8Array(n);
  const inner = checkpointInner(a);
  const regionInputs = checkpointInputs(a);
  for (let i = numInputs; i < n; i++) {
    const node = values[i]!.producer!;
    canRecompute[i] = (inRegion(a, i) ? !mustSave(node) : recomputable(node)) ? 1 : 0;
    // Random ops fuse like pointwise ops even though they are not redrawn, as in PyTorch.
    fusible[i] = canRecompute[i] || catalog[node.op].category === "random" ? 1 : 0;
  }
  const isOutput = new Uint8Array(n);
  const isForwardOutput = new Uint8Array(n);
  const isBackwardOutput = new Uint8Array(n);
  for (const v of a.forwardOutputs) isForwardOutput[a.index.get(v)!] = isOutput[a.index.get(v)!] = 1;
  for (const v of a.backwardOutputs) isBackwardOutput[a.index.get(v)!] = isOutput[a.index.get(v)!] = 1;

  // Distance (in nodes) from a forward value to its nearest use outside the forward graph. A
  // forward output counts as used at distance 1: in PyTorch the output node is one of its users.
  const dist = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    if (!forwardRequired[i]) continue;
    let d = isForwardOutput[i] ? 1 : Number.POSITIVE_INFINITY;
    for (const u of users[i]!) d = Math.min(d, dist[u]! + 1);
    dist[i] = d;
  }

  const weight = (i: number): number => {
    const v = values[i]!;
    let w = Math.floor(byteSize(v.meta) * base ** Math.max(1, Math.min(dist[i]!, MAX_DIST)));
    // Inputs and outputs live in memory anyway; so does a value some consumer can't fuse with.
    const materialized = i < numInputs || isOutput[i] || users[i]!.some((u) => !(fusible[i] && fusible[u]));
    if (!materialized) w *= unmaterialized;
    if (i < numInputs) w *= inputWeight;
    return w;
  };

  const banned = (i: number): boolean => {
    if (i < numInputs || !forwardRequired[i] || isLiteral[i]) return false;
    // What a checkpoint region reads from outside it is kept, as PyTorch's checkpoint keeps its
    // arguments: without this, min-cut (which weighs bytes, not time) would recompute a chain of
    // checkpointed blocks all the way from the graph inputs.
    if (regionInputs[i]) return true;
    // A region decides for itself: recompute, unless a mustSave policy keeps the value.
    if (inRegion(a, i)) return !canRecompute[i];
    if (!canRecompute[i] || dist[i]! > maxDist) return true;
    const node = values[i]!.producer as Node;
    if (ratio > 0 && catalog[node.op].category === "reduction") {
      const inputBytes = node.inputs.reduce((s, v) => s + byteSize(v.meta), 0);
      return byteSize(node.meta) * ratio < inputBytes;
    }
    return false;
  };

  // Vertex 2i is value i's "in", 2i + 1 its "out"; cutting in -> out means saving the value.
  const source = 2 * n;
  const sink = 2 * n + 1;
  const net = new FlowNetwork(2 * n + 2);
  const INF = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    if (tangentDependent[i]) {
      // Backward work proper: it can't move to the forward graph, so the cut must fall before it.
      net.addEdge(2 * i, sink, INF);
      continue;
    }
    // Graph inputs are where recomputation starts; banned nodes can only be saved, never redone.
    if (i < numInputs || banned(i)) net.addEdge(source, 2 * i, INF);
    // A region's inner value can't be saved (unless mustSave), so the cut falls before it.
    net.addEdge(2 * i, 2 * i + 1, inner[i] && canRecompute[i] ? INF : weight(i));
    for (const u of users[i]!) net.addEdge(2 * i + 1, 2 * u, INF);
    // A gradient that doesn't depend on a tangent (zeros, say) is still a backward output.
    if (isBackwardOutput[i]) net.addEdge(2 * i + 1, sink, INF);
  }
  net.maxFlow(source, sink);
  const reach = net.reachable();
  const saved: Value[] = [];
  for (let i = 0; i < n; i++) if (reach[2 * i] && !reach[2 * i + 1]) saved.push(values[i]!);
  return saved;
}

import { byteSize, type Graph, type Value } from "@aotjs/ir";
import type { PartitionResult } from "./joint.js";

/** Live tensor bytes over a training step: the forward, then the backward. */
export interface PeakMemory {
  /** The most bytes alive at once, the forward's inputs (parameters, data, buffers) included. */
  readonly peakBytes: number;
  /** The forward graph's own peak (inputs included). */
  readonly forwardPeakBytes: number;
  /** The backward graph's peak: inputs, saved values, tangents and what it computes. */
  readonly backwardPeakBytes: number;
  /** The forward's inputs: alive for the whole step. */
  readonly inputBytes: number;
  /** Saved activations (saved values that are not forward inputs), alive from forward to backward. */
  readonly savedBytes: number;
  /** The node whose result was allocated when the peak was reached. */
  readonly peakAt: string;
}

interface Phase {
  readonly peak: number;
  readonly at: string;
}

/**
 * Walk one graph's schedule (its node order) from `start` live bytes: a node's result is
 * allocated while its inputs are still alive, then every value whose last reader it was is freed,
 * unless it is a graph output or `keep` says it outlives the graph. Inputs in `free` die after
 * their last reader too; other inputs are someone else's and are not counted here.
 */
function walk(graph: Graph, start: number, freeInputs: ReadonlySet<Value>, keep: ReadonlySet<Value>): Phase {
  const last = new Map<Value, number>();
  graph.nodes.forEach((n, k) => {
    for (const v of n.inputs) last.set(v, k);
  });
  const outputs = new Set(graph.outputs);
  let live = start;
  let peak = start;
  let at = graph.inputs[0]?.name ?? graph.name;
  const dies = (v: Value) =>
    !outputs.has(v) && !keep.has(v) && (v.producer !== undefined || freeInputs.has(v));
  for (const v of freeInputs) if (!last.has(v) && dies(v)) live -= byteSize(v.meta);
  graph.nodes.forEach((node, k) => {
    live += byteSize(node.meta);
    if (live > peak) {
      peak = live;
      at = node.name;
    }
    if (!last.has(node.output) && dies(node.output)) live -= byteSize(node.meta);
    for (const v of new Set(node.inputs)) if (last.get(v) === k && dies(v)) live -= byteSize(v.meta);
  });
  return { peak, at };
}

/**
 * Estimate the peak memory of a partition's training step by simulating value lifetimes: the
 * forward runs with its inputs alive; its user outputs die at its end and its saved values
 * live on; the backward then runs from the inputs, the saved values and the tangents, freeing
 * each saved value after its last reader. Kernel scratch space and a backend's copies of
 * outputs are not modelled.
 */
export function estimatePeakMemory(result: PartitionResult): PeakMemory {
  const { forward, backward } = result;
  const inputBytes = forward.inputs.reduce((s, v) => s + byteSize(v.meta), 0);
  const forwardPhase = walk(forward, inputBytes, new Set(), new Set());
  // The backward receives the saved values by position; a saved forward input is already counted.
  const numSaved = result.savedValues.length;
  const savedInputs = backward.inputs.slice(0, numSaved);
  const owned = new Set<Value>();
  let start = inputBytes;
  let savedBytes = 0;
  savedInputs.forEach((v, j) => {
    if (result.savedValues[j]!.isInput) return;
    owned.add(v);
    start += byteSize(v.meta);
    savedBytes += byteSize(v.meta);
  });
  for (const v of backward.inputs.slice(numSaved)) {
    owned.add(v);
    start += byteSize(v.meta);
  }
  const backwardPhase = walk(backward, start, owned, new Set());
  const forwardWins = forwardPhase.peak >= backwardPhase.peak;
  return {
    peakBytes: Math.max(forwardPhase.peak, backwardPhase.peak),
    forwardPeakBytes: forwardPhase.peak,
    backwardPeakBytes: backwardPhase.peak,
    inputBytes,
    savedBytes,
    peakAt: forwardWins ? `forward ${forwardPhase.at}` : `backward ${backwardPhase.at}`,
  };
}

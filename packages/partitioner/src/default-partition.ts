import type { Graph, Value } from "@aotjs/ir";
import { analyzeJoint, assemblePartition, type PartitionOptions, type PartitionResult } from "./joint.js";

/**
 * Split a joint graph the way the user's code ran, as PyTorch's `default_partition`: the forward
 * graph runs what the forward outputs need, and every forward value (inputs included) the backward
 * reads is saved. Forward-only work the forward outputs don't need (the `sin` in the derivative
 * of `cos`, say) runs in the backward graph, from saved values.
 *
 * One difference: a node with no inputs (the `full` a scalar becomes) is recomputed in the backward
 * graph instead of saved. PyTorch keeps scalars as literals inside the ops that use them, so this
 * saves what PyTorch would.
 */
export function defaultPartition(joint: Graph, options: PartitionOptions = {}): PartitionResult {
  const a = analyzeJoint(joint, options);
  const candidates: Value[] = [];
  a.values.forEach((v, i) => {
    if (a.forwardRequired[i] && !a.isLiteral[i]) candidates.push(v);
  });
  const { saved, ...graphs } = assemblePartition(a, candidates);
  return { ...graphs, savedValues: saved };
}

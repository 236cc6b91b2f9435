import type { JointAnalysis } from "./joint.js";

/**
 * The inner values of `checkpoint()` regions (see `Node.region` in @aotjs/ir): forward values a
 * region computed that nothing outside the region reads. No partition saves them; the backward
 * recomputes them from what the region reads. A region's outputs (read by a node outside the
 * region, or forward outputs of the graph) are not inner: the code after the region may save
 * them, as PyTorch's checkpoint lets the next op save its input.
 *
 * Derivative rules of a region's ops are traced inside the region too, so a value read only by
 * the region's own backward (relu's input, which its mask needs) counts as inner.
 */
export function checkpointInner(a: JointAnalysis): Uint8Array {
  const { values, users, numInputs, tangentDependent } = a;
  const n = values.length;
  const inner = new Uint8Array(n);
  const isOutput = new Set(a.forwardOutputs.map((v) => a.index.get(v)!));
  for (let i = numInputs; i < n; i++) {
    const region = values[i]!.producer!.region;
    if (region === undefined || tangentDependent[i] || isOutput.has(i)) continue;
    inner[i] = users[i]!.every((u) => values[u]!.producer!.region === region) ? 1 : 0;
  }
  return inner;
}

/**
 * A checkpoint region's inputs: forward values (graph inputs aside) that a node of some region
 * reads although they were computed outside it (by code before the region, or by the region
 * before it). Min-cut saves them rather than recompute them, as PyTorch's checkpoint keeps its
 * arguments; so consecutive checkpointed blocks save their boundaries and recompute the inside.
 */
export function checkpointInputs(a: JointAnalysis): Uint8Array {
  const { values, users, numInputs, tangentDependent, isLiteral } = a;
  const n = values.length;
  const boundary = new Uint8Array(n);
  for (let i = numInputs; i < n; i++) {
    if (tangentDependent[i] || isLiteral[i]) continue;
    const region = values[i]!.producer!.region;
    boundary[i] = users[i]!.some((u) => {
      const r = values[u]!.producer!.region;
      return r !== undefined && r !== region;
    })
      ? 1
      : 0;
  }
  return boundary;
}

/** Whether the node of value `i` was traced inside a checkpoint region. */
export const inRegion = (a: JointAnalysis, i: number): boolean =>
  i >= a.numInputs && a.values[i]!.producer!.region !== undefined;

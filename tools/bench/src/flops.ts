import type { Graph } from "@aotjs/ir";

const prod = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);

/**
 * Multiply-add FLOPs (2 per multiply-accumulate) of a graph's matmuls and convolutions, the work
 * a training step's GFLOP/s is measured against; pointwise ops and reductions are not counted.
 */
export function matmulConvFlops(graph: Graph): number {
  let total = 0;
  for (const n of graph.nodes) {
    if (n.op === "matmul") {
      const k = n.inputs[0]!.meta.shape.at(-1) ?? 1;
      total += 2 * prod(n.meta.shape) * k;
    } else if (n.op === "conv2d") {
      const [, cg, kh, kw] = n.inputs[1]!.meta.shape as [number, number, number, number];
      total += 2 * prod(n.meta.shape) * cg * kh * kw;
    } else if (n.op === "conv2dBackwardInput") {
      // As many multiply-adds as the forward conv: every output gradient meets every tap once.
      const [, cg, kh, kw] = n.inputs[1]!.meta.shape as [number, number, number, number];
      total += 2 * prod(n.inputs[0]!.meta.shape) * cg * kh * kw;
    } else if (n.op === "conv2dBackwardWeight") {
      const [, cg, kh, kw] = n.attrs.weightShape as [number, number, number, number];
      total += 2 * prod(n.inputs[0]!.meta.shape) * cg * kh * kw;
    }
  }
  return total;
}

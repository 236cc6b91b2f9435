import { type Graph, nodeFlops } from "@aotjs/ir";

const GEMM_OPS = new Set(["matmul", "conv2d", "conv2dBackwardInput", "conv2dBackwardWeight"]);

/**
 * FLOPs of a graph's matmuls and convolutions (2 per multiply-add, ir's `nodeFlops`): the work a
 * training step's GFLOP/s is measured against; pointwise ops, reductions and pools are not counted.
 */
export const matmulConvFlops = (graph: Graph): number =>
  graph.nodes.reduce((a, n) => a + (GEMM_OPS.has(n.op) ? nodeFlops(n) : 0), 0);

import type { ComputeOpName, CreationOpName } from "@aotjs/ir";
import {
  avgPool2d,
  avgPool2dBackward,
  conv2d,
  conv2dBackwardInput,
  conv2dBackwardWeight,
  maxPool2dBackward,
  type Tensor,
} from "@aotjs/tensor";
import { sumToShape } from "./helpers.js";
import { notDifferentiable, type RulesFor } from "./types.js";

type Compute = ComputeOpName | CreationOpName;

/**
 * d(a @ b)/db = a^T @ g summed over the batch dims b was broadcast over. When b has no batch dims
 * above 1 (a Linear's weight applied to [B, T, K] inputs), every batch of a shares b, and the
 * batch dims fold into the contraction: [rows, K]^T @ [rows, N] with rows = B*T, one GEMM instead
 * of a batched product followed by a reduction. Both reshapes are free (the batch dims and M are
 * adjacent in a and in g).
 */
function matmulGradB(a: Tensor, b: Tensor, g: Tensor): Tensor {
  const k = a.shape[a.ndim - 1]!;
  const n = g.shape[g.ndim - 1]!;
  if (a.ndim > 2 && b.shape.slice(0, -2).every((d) => d === 1)) {
    const rows = a.shape.slice(0, -1).reduce((p, d) => p * d, 1);
    const grad = a
      .reshape([rows, k])
      .transpose(0, 1)
      .matmul(g.reshape([rows, n]));
    return b.ndim > 2 ? grad.reshape(b.shape) : grad;
  }
  return sumToShape(a.transpose(-1, -2).matmul(g), b.shape);
}

/**
 * The conv backward ops are bilinear in their two inputs, so their own derivatives are the other
 * two members of the conv family: this closes the table under differentiation (double backward).
 */
export const computeRules: RulesFor<Compute> = {
  matmul: (g, { inputs: [a, b], needsGrad }) => [
    needsGrad[0] ? sumToShape(g.matmul(b!.transpose(-1, -2)), a!.shape) : null,
    needsGrad[1] ? matmulGradB(a!, b!, g) : null,
  ],
  conv2d: (g, { inputs: [x, w], attrs, needsGrad }) => [
    needsGrad[0] ? conv2dBackwardInput(g, w!, x!.shape, attrs) : null,
    needsGrad[1] ? conv2dBackwardWeight(g, x!, w!.shape, attrs) : null,
  ],
  conv2dBackwardInput: (g, { inputs: [gy, w], attrs, needsGrad }) => [
    needsGrad[0] ? conv2d(g, w!, attrs) : null,
    needsGrad[1] ? conv2dBackwardWeight(gy!, g, w!.shape, attrs) : null,
  ],
  conv2dBackwardWeight: (g, { inputs: [gy, x], attrs, needsGrad }) => [
    needsGrad[0] ? conv2d(x!, g, attrs) : null,
    needsGrad[1] ? conv2dBackwardInput(gy!, g, x!.shape, attrs) : null,
  ],
  maxPool2d: (g, { inputs: [x], attrs }) => [maxPool2dBackward(g, x!, attrs)],
  // Routing by argmax is piecewise constant in x; its derivative in the gradient would need an
  // argmax-select op the catalog does not have. Double backward through max pooling is unsupported.
  maxPool2dBackward: notDifferentiable,
  avgPool2d: (g, { inputs: [x], attrs }) => [avgPool2dBackward(g, x!.shape, attrs)],
  avgPool2dBackward: (g, { attrs }) => [avgPool2d(g, attrs)],
  full: notDifferentiable,
  arange: notDifferentiable,
  uniform: notDifferentiable,
  bernoulli: notDifferentiable,
};

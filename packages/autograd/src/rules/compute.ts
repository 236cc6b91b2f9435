import type { ComputeOpName, CreationOpName } from "@aotjs/ir";
import {
  avgPool2d,
  avgPool2dBackward,
  conv2d,
  conv2dBackwardInput,
  conv2dBackwardWeight,
  maxPool2dBackward,
} from "@aotjs/tensor";
import { sumToShape } from "./helpers.js";
import { notDifferentiable, type RulesFor } from "./types.js";

type Compute = ComputeOpName | CreationOpName;

/**
 * The conv backward ops are bilinear in their two inputs, so their own derivatives are the other
 * two members of the conv family: this closes the table under differentiation (double backward).
 */
export const computeRules: RulesFor<Compute> = {
  matmul: (g, { inputs: [a, b], needsGrad }) => [
    needsGrad[0] ? sumToShape(g.matmul(b!.transpose(-1, -2)), a!.shape) : null,
    needsGrad[1] ? sumToShape(a!.transpose(-1, -2).matmul(g), b!.shape) : null,
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

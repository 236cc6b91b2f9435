import { isFloating, type PointwiseOpName } from "@aotjs/ir";
import { type Tensor, where, zerosLike } from "@aotjs/tensor";
import { sumToShape } from "./helpers.js";
import { notDifferentiable, type RulesFor } from "./types.js";

type Pointwise = PointwiseOpName;

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/**
 * Pointwise rules use the forward's inputs or output, whichever keeps the backward cheapest to
 * save: exp/tanh/sigmoid reuse the output; relu's backward reads the bool mask `relu(x) > 0`
 * (the same as `x > 0`, NaN and -0 included) from its output, as PyTorch's threshold_backward
 * does. The output is usually kept anyway, as the next layer's input (a conv's weight gradient
 * reads it), so the input need not be: in resnet18's one-graph trainStep, reading `x` kept every
 * BatchNorm and residual-add output alive into the backward (70 MiB at batch 8). The min-cut
 * partitioner can still compute the mask in the forward and save it at 1 byte per element.
 */
export const pointwiseRules: RulesFor<Pointwise> = {
  neg: (g) => [g.neg()],
  abs: (g, { inputs: [x] }) => [g.mul(x!.sign())],
  // Zero almost everywhere, as PyTorch: a zero tensor rather than "no gradient", so the input counts as used.
  sign: (g) => [zerosLike(g)],
  exp: (g, { output }) => [g.mul(output)],
  log: (g, { inputs: [x] }) => [g.div(x!)],
  sqrt: (g, { output }) => [g.div(output.mul(2))],
  rsqrt: (g, { output }) => [g.mul(output.mul(output).mul(output).mul(-0.5))],
  reciprocal: (g, { output }) => [g.mul(output.mul(output).neg())],
  sin: (g, { inputs: [x] }) => [g.mul(x!.cos())],
  cos: (g, { inputs: [x] }) => [g.mul(x!.sin().neg())],
  tanh: (g, { output }) => [g.mul(output.mul(output).neg().add(1))],
  sigmoid: (g, { output }) => [g.mul(output.mul(output.neg().add(1)))],
  relu: (g, { output }) => [where(output.gt(0), g, 0)],
  erf: (g, { inputs: [x] }) => [g.mul(x!.mul(x!).neg().exp().mul(TWO_OVER_SQRT_PI))],
  logicalNot: notDifferentiable,
  add: (g, { inputs: [a, b], needsGrad }) => [
    needsGrad[0] ? sumToShape(g, a!.shape) : null,
    needsGrad[1] ? sumToShape(g, b!.shape) : null,
  ],
  sub: (g, { inputs: [a, b], needsGrad }) => [
    needsGrad[0] ? sumToShape(g, a!.shape) : null,
    needsGrad[1] ? sumToShape(g.neg(), b!.shape) : null,
  ],
  mul: (g, { inputs: [a, b], needsGrad }) => [
    needsGrad[0] ? sumToShape(g.mul(b!), a!.shape) : null,
    needsGrad[1] ? sumToShape(g.mul(a!), b!.shape) : null,
  ],
  div: (g, { inputs: [a, b], needsGrad }) => [
    needsGrad[0] ? sumToShape(g.div(b!), a!.shape) : null,
    needsGrad[1] ? sumToShape(g.mul(a!).div(b!.mul(b!)).neg(), b!.shape) : null,
  ],
  pow: (g, { inputs: [a, b], output, needsGrad }) => [
    // d/da a^b = b a^(b-1); PyTorch defines it as 0 where b == 0 (else 0^-1 makes 0 * inf = NaN).
    needsGrad[0] ? sumToShape(where(b!.eq(0), 0, g.mul(b!).mul(a!.pow(b!.sub(1)))), a!.shape) : null,
    // d/db a^b = a^b log a; PyTorch defines it as 0 where a == 0 and b >= 0.
    needsGrad[1]
      ? sumToShape(where(a!.eq(0).logicalAnd(b!.ge(0)), 0, g.mul(output).mul(a!.log())), b!.shape)
      : null,
  ],
  // Ties split the gradient evenly between the two inputs, as in PyTorch.
  maximum: (g, { inputs: [a, b], needsGrad }) =>
    splitTies(g, a!.gt(b!), b!.gt(a!), a!.eq(b!), needsGrad, a!.shape, b!.shape),
  minimum: (g, { inputs: [a, b], needsGrad }) =>
    splitTies(g, a!.lt(b!), b!.lt(a!), a!.eq(b!), needsGrad, a!.shape, b!.shape),
  eq: notDifferentiable,
  ne: notDifferentiable,
  lt: notDifferentiable,
  le: notDifferentiable,
  gt: notDifferentiable,
  ge: notDifferentiable,
  logicalAnd: notDifferentiable,
  logicalOr: notDifferentiable,
  where: (g, { inputs: [c, a, b], needsGrad }) => [
    null,
    needsGrad[1] ? sumToShape(where(c!, g, 0), a!.shape) : null,
    needsGrad[2] ? sumToShape(where(c!, 0, g), b!.shape) : null,
  ],
  cast: (g, { inputs: [x] }) => [isFloating(x!.dtype) ? g.to(x!.dtype) : null],
};

function splitTies(
  g: Tensor,
  aWins: Tensor,
  bWins: Tensor,
  tie: Tensor,
  needsGrad: readonly boolean[],
  aShape: readonly number[],
  bShape: readonly number[],
) {
  const half = g.mul(0.5);
  return [
    needsGrad[0] ? sumToShape(where(aWins, g, where(tie, half, 0)), aShape) : null,
    needsGrad[1] ? sumToShape(where(bWins, g, where(tie, half, 0)), bShape) : null,
  ];
}

import { bernoulli, type Generator, type Tensor, where } from "@aotjs/tensor";
import { describe, NNError } from "../errors.js";

/** `max(x, 0)` elementwise. */
export const relu = (x: Tensor): Tensor => x.relu();
/** The logistic sigmoid elementwise. */
export const sigmoid = (x: Tensor): Tensor => x.sigmoid();
/** The hyperbolic tangent elementwise. */
export const tanh = (x: Tensor): Tensor => x.tanh();
/** x * sigmoid(x) (swish). */
export const silu = (x: Tensor): Tensor => x.mul(x.sigmoid());

/** GELU's form: exact (`"none"`, with erf) or the tanh approximation. */
export type GeluApproximate = "none" | "tanh";

/**
 * torch.nn.functional.gelu: the exact form x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)), or the tanh
 * approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) that GPT-2 used.
 */
export function gelu(x: Tensor, approximate: GeluApproximate = "none"): Tensor {
  if (approximate === "none") return x.mul(x.mul(Math.SQRT1_2).erf().add(1)).mul(0.5);
  if (approximate === "tanh") {
    const inner = x.add(x.mul(x).mul(x).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
    return x.mul(inner.tanh().add(1)).mul(0.5);
  }
  throw new NNError(`gelu: approximate must be 'none' or 'tanh', got '${String(approximate)}'`);
}

/** Softmax of `x` along `dim`. */
export const softmax = (x: Tensor, dim: number): Tensor => x.softmax(dim);
/** Log-softmax of `x` along `dim`, computed stably. */
export const logSoftmax = (x: Tensor, dim: number): Tensor => x.logSoftmax(dim);

/** Options of `dropout`: the generator the mask is drawn from. */
export interface DropoutOptions {
  readonly generator?: Generator;
}

/**
 * Inverted dropout: keep each element with probability 1 - p and scale the kept ones by
 * 1 / (1 - p), so evaluation needs no rescaling. The mask comes from `bernoulli`, whose explicit
 * (seed, offset) makes a traced or recomputed mask equal the eager one.
 */
export function dropout(x: Tensor, p = 0.5, training = true, options: DropoutOptions = {}): Tensor {
  if (!(p >= 0 && p <= 1)) throw new NNError(`dropout: p must be in [0, 1], got ${p} (input ${describe(x)})`);
  if (!training || p === 0) return x;
  // 1/(1-p) is infinite at p = 1; torch returns input * 0 there, so the result stays connected
  // to x (its gradient is zeros, not missing).
  if (p === 1) return x.mul(0);
  const keep = bernoulli(x.shape, 1 - p, { generator: options.generator });
  return where(keep, x.div(1 - p), 0);
}

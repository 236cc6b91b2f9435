import type { CompositeOpName } from "@aotjs/ir";
import type { RulesFor } from "./types.js";

/**
 * Composites with their own rules, as PyTorch's `_softmax_backward_data`: both read only the
 * output y, so the partitioner saves one tensor where the decomposition's backward would read
 * x, its max and its sum.
 *   softmax:     dx = y * (g - sum(g * y))
 *   logSoftmax:  dx = g - exp(y) * sum(g)
 */
export const compositeRules: RulesFor<CompositeOpName> = {
  softmax: (g, { output: y, attrs: { dim } }) => [y.mul(g.sub(g.mul(y).sum({ dim, keepdim: true })))],
  logSoftmax: (g, { output: y, attrs: { dim } }) => [g.sub(y.exp().mul(g.sum({ dim, keepdim: true })))],
};

import type { CompositeOpName } from "@aotjs/ir";
import type { Tensor } from "@aotjs/tensor";
import type { RulesFor } from "./types.js";

/**
 * Composites with their own rules. softmax and logSoftmax, as PyTorch's `_softmax_backward_data`,
 * read only the output y, so the partitioner saves one tensor where the decomposition's backward
 * would read x, its max and its sum. layerNorm's rule is the closed form PyTorch uses, a third of
 * the nodes its decomposition's backward would emit.
 *   softmax:     dx = y * (g - sum(g * y))
 *   logSoftmax:  dx = g - exp(y) * sum(g)
 */
/** The normalized input and 1/std, recomputed from x: the partitioner may compute them in the forward and save the statistics. */
function normalized(x: Tensor, rank: number, eps: number): { xhat: Tensor; rstd: Tensor; dims: number[] } {
  const dims = Array.from({ length: rank }, (_, i) => x.ndim - rank + i);
  const centered = x.sub(x.mean({ dim: dims, keepdim: true }));
  const rstd = centered.mul(centered).mean({ dim: dims, keepdim: true }).add(eps).rsqrt();
  return { xhat: centered.mul(rstd), rstd, dims };
}

export const compositeRules: RulesFor<CompositeOpName> = {
  // layerNorm: dx = rstd * (gw - mean(gw) - xhat * mean(gw * xhat)), gw = g * weight;
  // dweight = sum(g * xhat), dbias = sum(g) over the leading dims.
  layerNorm: (g, { inputs: [x, w], attrs: { normalizedRank, eps }, needsGrad }) => {
    const { xhat, rstd, dims } = normalized(x!, normalizedRank, eps);
    const lead = Array.from({ length: x!.ndim - normalizedRank }, (_, i) => i);
    const reduceLead = (t: Tensor) => (lead.length ? t.sum({ dim: lead }) : t);
    let dx: Tensor | null = null;
    if (needsGrad[0]) {
      const gw = g.mul(w!);
      const mean = (t: Tensor) => t.mean({ dim: dims, keepdim: true });
      dx = rstd.mul(gw.sub(mean(gw)).sub(xhat.mul(mean(gw.mul(xhat)))));
    }
    return [dx, needsGrad[1] ? reduceLead(g.mul(xhat)) : null, needsGrad[2] ? reduceLead(g) : null];
  },
  softmax: (g, { output: y, attrs: { dim } }) => [y.mul(g.sub(g.mul(y).sum({ dim, keepdim: true })))],
  logSoftmax: (g, { output: y, attrs: { dim } }) => [g.sub(y.exp().mul(g.sum({ dim, keepdim: true })))],
};

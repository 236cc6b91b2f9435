import type { CompositeOpName } from "@aotjs/ir";
import type { Tensor } from "@aotjs/tensor";
import type { RulesFor } from "./types.js";

/**
 * Composites with their own rules. softmax and logSoftmax, as PyTorch's `_softmax_backward_data`,
 * read only the output y, so the partitioner saves one tensor where the decomposition's backward
 * would read x, its max and its sum. layerNorm's and batchNorm's rules are the closed forms PyTorch
 * uses, a fraction of the nodes their decompositions' backwards would emit; both read only x and
 * weight and recompute the statistics, which the partitioner may instead save from the forward.
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

/**
 * Batch statistics over every dim but 1, as [1, C, 1, ...]: the same ops F.batchNorm emits for
 * the running statistics, so the joint graph's CSE computes them once.
 */
function batchStats(x: Tensor, eps: number): { mean: Tensor; rstd: Tensor; dims: number[] } {
  const dims = x.shape.map((_, i) => i).filter((i) => i !== 1);
  const mean = x.mean({ dim: dims, keepdim: true });
  const centered = x.sub(mean);
  const rstd = centered.mul(centered).mean({ dim: dims, keepdim: true }).add(eps).rsqrt();
  return { mean, rstd, dims };
}

export const compositeRules: RulesFor<CompositeOpName> = {
  // batchNorm, PyTorch's native_batch_norm_backward with M values per channel, xhat = (x - mean) * rstd:
  //   dx = weight * rstd * (g - mean(g) - xhat * mean(g * xhat)), dweight = sum(g * xhat), dbias = sum(g).
  // With sum(g * xhat) = rstd * (sum(g * x) - mean * sum(g)), dx = g * A + x * B + C for per-channel
  // A = weight * rstd, B = -A * rstd * mean(g * xhat), C = -B * mean - A * mean(g): two reductions
  // and five full-size elementwise ops, and xhat is never formed.
  batchNorm: (g, { inputs: [x, w], attrs: { eps }, needsGrad }) => {
    const { mean, rstd, dims } = batchStats(x!, eps);
    const c = x!.shape[1]!;
    const count = x!.numel() / c;
    const sum = (t: Tensor) => t.sum({ dim: dims, keepdim: true });
    const sumG = sum(g);
    const sumGXhat = needsGrad[0] || needsGrad[1] ? rstd.mul(sum(g.mul(x!)).sub(mean.mul(sumG))) : null;
    let dx: Tensor | null = null;
    if (needsGrad[0]) {
      const a = w!.reshape(mean.shape).mul(rstd);
      const b = a.mul(rstd).mul(sumGXhat!.div(count)).neg();
      const shift = b
        .mul(mean)
        .add(a.mul(sumG.div(count)))
        .neg();
      dx = g.mul(a).add(x!.mul(b)).add(shift);
    }
    return [dx, needsGrad[1] ? sumGXhat!.reshape([c]) : null, needsGrad[2] ? sumG.reshape([c]) : null];
  },
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

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
 * Batch statistics over every dim but 1, as [1, C, 1, ...], and the centered input: the same ops
 * F.batchNorm emits for the running statistics, so the joint graph's CSE computes them once.
 */
function batchStats(x: Tensor, eps: number): { centered: Tensor; rstd: Tensor; dims: number[] } {
  const dims = x.shape.map((_, i) => i).filter((i) => i !== 1);
  const centered = x.sub(x.mean({ dim: dims, keepdim: true }));
  const rstd = centered.mul(centered).mean({ dim: dims, keepdim: true }).add(eps).rsqrt();
  return { centered, rstd, dims };
}

export const compositeRules: RulesFor<CompositeOpName> = {
  // batchNorm, PyTorch's native_batch_norm_backward with M values per channel, xc = x - mean,
  // xhat = xc * rstd: dx = weight * rstd * (g - mean(g) - xhat * mean(g * xhat)),
  // dweight = sum(g * xhat), dbias = sum(g). In per-channel coefficients, dx = g * A + xc * B + C
  // with A = weight * rstd, B = -A * rstd^2 * sum(g * xc) / M, C = -A * sum(g) / M: two reductions
  // and five full-size elementwise ops. The sums read the centered input, not x: sum(g * x) -
  // mean * sum(g) would cancel in float32 when a channel's mean is far from 0 relative to its std.
  batchNorm: (g, { inputs: [x, w], attrs: { eps }, needsGrad }) => {
    const { centered, rstd, dims } = batchStats(x!, eps);
    const c = x!.shape[1]!;
    const count = x!.numel() / c;
    const sum = (t: Tensor) => t.sum({ dim: dims, keepdim: true });
    const sumG = sum(g);
    const sumGXc = needsGrad[0] || needsGrad[1] ? sum(g.mul(centered)) : null;
    let dx: Tensor | null = null;
    if (needsGrad[0]) {
      const a = w!.reshape(rstd.shape).mul(rstd);
      const b = a.mul(rstd.mul(rstd)).mul(sumGXc!.div(-count));
      dx = g
        .mul(a)
        .add(centered.mul(b))
        .add(a.mul(sumG.div(-count)));
    }
    return [
      dx,
      needsGrad[1] ? sumGXc!.mul(rstd).reshape([c]) : null,
      needsGrad[2] ? sumG.reshape([c]) : null,
    ];
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

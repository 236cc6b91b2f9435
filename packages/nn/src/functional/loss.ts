import { warnOnce } from "@aotjs/ir";
import { type Tensor, where } from "@aotjs/tensor";
import { describe, fmtShape, NNError } from "../errors.js";

/** How a loss reduces over the batch: mean, sum, or none (per element). */
export type Reduction = "mean" | "sum" | "none";

/** Options of `nllLoss`: reduction, ignored class index, class weights. */
export interface NllLossOptions {
  readonly reduction?: Reduction;
  /** Targets equal to this contribute nothing and are left out of the mean (default -100). */
  readonly ignoreIndex?: number;
  /** A weight per class, [C]; the mean divides by the summed weights of the targets. */
  readonly weight?: Tensor | null;
}

/** Options of `crossEntropy`: those of `nllLoss`, plus label smoothing. */
export interface CrossEntropyOptions extends NllLossOptions {
  /** Mix the target with the uniform distribution: (1 - s) * target + s / C. */
  readonly labelSmoothing?: number;
}

const checkReduction = (op: string, r: string) => {
  if (r !== "mean" && r !== "sum" && r !== "none")
    throw new NNError(`${op}: reduction must be 'mean', 'sum' or 'none', got '${r}'`);
};

/** [C] with a 0-d target is one sample: lift it to a batch of one and drop that dim after. */
function batchOf(
  input: Tensor,
  target: Tensor,
  op: string,
): { input: Tensor; target: Tensor; unbatched: boolean } {
  if (input.ndim === 0) throw new NNError(`${op}: input must be [N, C, ...] or [C], got ${describe(input)}`);
  if (input.ndim === 1) {
    const probs = target.dtype === "float32" || target.dtype === "float64";
    return {
      input: input.unsqueeze(0),
      target: target.unsqueeze(0),
      unbatched: probs ? target.ndim === 1 : target.ndim === 0,
    };
  }
  return { input, target, unbatched: false };
}

const classShape = (x: Tensor) => x.shape.map((d, i) => (i === 1 ? d : 1));

/** Per-target log-likelihood terms and their weights; ignored targets get weight 0. */
function pick(logp: Tensor, target: Tensor, o: NllLossOptions, op: string) {
  if (target.dtype !== "int64" && target.dtype !== "int32")
    throw new NNError(`${op}: class targets must be int64 (or int32), got ${describe(target)}`);
  const expected = logp.shape.filter((_, i) => i !== 1);
  if (target.ndim !== expected.length || target.shape.some((d, i) => d !== expected[i])) {
    throw new NNError(
      `${op}: target ${describe(target)} must be ${fmtShape(expected)} for input ${describe(logp)}`,
    );
  }
  const c = logp.shape[1]!;
  if (o.weight && (o.weight.ndim !== 1 || o.weight.shape[0] !== c))
    throw new NNError(`${op}: weight ${describe(o.weight)} must be [${c}]`);
  const valid = target.ne(o.ignoreIndex ?? -100);
  // An ignored target may be out of range (-100); gather from class 0 and mask the result.
  const safe = where(valid, target, 0);
  const picked = logp.gather(1, safe.unsqueeze(1)).squeeze(1);
  const classWeight = o.weight ? o.weight.gather(0, safe.reshape([-1])).reshape(safe.shape) : 1;
  const w = where(valid, classWeight, 0).to(logp.dtype);
  return { nll: picked.neg().mul(w), w, valid };
}

const reduce = (loss: Tensor, r: Reduction, denominator: () => Tensor): Tensor =>
  r === "none" ? loss : r === "sum" ? loss.sum() : loss.sum().div(denominator());

/** Negative log-likelihood of log-probabilities [N, C, ...] at integer targets [N, ...]. */
export function nllLoss(input: Tensor, target: Tensor, options: NllLossOptions = {}): Tensor {
  const r = options.reduction ?? "mean";
  checkReduction("nllLoss", r);
  const b = batchOf(input, target, "nllLoss");
  const { nll, w } = pick(b.input, b.target, options, "nllLoss");
  const out = reduce(nll, r, () => w.sum());
  return b.unbatched && r === "none" ? out.squeeze(0) : out;
}

/**
 * torch.nn.functional.cross_entropy: logSoftmax over dim 1, then the negative log-likelihood of
 * the targets, which are class indices [N, ...] (int64) or class probabilities shaped like the
 * input. Follows PyTorch's formulas for ignoreIndex, class weights and label smoothing.
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const r = options.reduction ?? "mean";
  const s = options.labelSmoothing ?? 0;
  checkReduction("crossEntropy", r);
  if (!(s >= 0 && s <= 1)) throw new NNError(`crossEntropy: labelSmoothing must be in [0, 1], got ${s}`);
  const b = batchOf(input, target, "crossEntropy");
  const logp = b.input.logSoftmax(1);
  const c = logp.shape[1]!;
  const weight = options.weight ? options.weight.reshape(classShape(logp)) : null;
  let out: Tensor;
  if (b.target.dtype === "float32" || b.target.dtype === "float64") {
    if (b.target.shape.join() !== logp.shape.join()) {
      throw new NNError(
        `crossEntropy: probability target ${describe(target)} must have the input's shape ${describe(input)}`,
      );
    }
    const t = s > 0 ? b.target.mul(1 - s).add(s / c) : b.target;
    let terms = logp.mul(t);
    if (weight) terms = terms.mul(weight);
    const loss = terms.sum({ dim: 1 }).neg();
    // PyTorch averages over the samples (every position but the class dim), not over weights.
    out = r === "mean" ? loss.mean() : reduce(loss, r, () => loss);
  } else {
    const { nll, w, valid } = pick(logp, b.target, options, "crossEntropy");
    if (s === 0) {
      out = reduce(nll, r, () => w.sum());
    } else {
      const smooth = where(valid, (weight ? logp.mul(weight) : logp).sum({ dim: 1 }).neg(), 0);
      const total = (a: Tensor, bb: Tensor) => a.mul(1 - s).add(bb.mul(s / c));
      out =
        r === "none"
          ? total(nll, smooth)
          : r === "sum"
            ? total(nll.sum(), smooth.sum())
            : total(nll.sum(), smooth.sum()).div(w.sum());
    }
  }
  return b.unbatched && r === "none" ? out.squeeze(0) : out;
}

/**
 * Mean (or sum) of squared differences. Shapes broadcast, as in PyTorch, which warns when they
 * differ: [4, 1] against [4] gives a [4, 4] loss, almost never what was meant.
 */
export function mseLoss(input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  const r = options.reduction ?? "mean";
  checkReduction("mseLoss", r);
  if (input.shape.join() !== target.shape.join()) {
    warnOnce(
      `mseLoss: target ${describe(target)} differs in shape from input ${describe(input)}; they broadcast ` +
        "to each other, which is likely not what you meant (reshape one, e.g. target.reshape(input.shape))",
    );
  }
  const d = input.sub(target);
  const sq = d.mul(d);
  return r === "none" ? sq : r === "sum" ? sq.sum() : sq.mean();
}

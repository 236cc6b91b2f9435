import { dispatch } from "../dispatch.js";
import { type Tensor, TensorError } from "../tensor.js";
import { normalizeDim, normalizeDims, toFloat } from "./operands.js";

/** Options of the reductions: the dimension(s) to reduce (all by default) and whether to keep them as size 1. */
export interface ReduceOptions {
  /** A dim or dims to reduce (negative counts from the end); all dims when left out. */
  readonly dim?: number | readonly number[];
  readonly keepdim?: boolean;
}

/** torch.sum: bool and int32 sum into int64, as in PyTorch. */
export function sum(x: Tensor, { dim, keepdim = false }: ReduceOptions = {}): Tensor {
  const input = x.dtype === "bool" || x.dtype === "int32" ? x.to("int64") : x;
  return dispatch("sum", [input], { dims: normalizeDims(dim, x.shape.length, "sum"), keepdim });
}

export function mean(x: Tensor, { dim, keepdim = false }: ReduceOptions = {}): Tensor {
  if (x.dtype !== "float32" && x.dtype !== "float64") {
    throw new TensorError(
      `mean: input dtype must be floating, got ${x.dtype} (cast with .to("float32") first)`,
    );
  }
  return dispatch("mean", [x], { dims: normalizeDims(dim, x.shape.length, "mean"), keepdim });
}

export function extreme(
  op: "amax" | "amin",
  x: Tensor,
  { dim, keepdim = false }: ReduceOptions = {},
): Tensor {
  return dispatch(op, [x], { dims: normalizeDims(dim, x.shape.length, op), keepdim });
}

/** torch.argmax: the first maximum; with no dim, the index into the flattened tensor. */
export function argmax(
  x: Tensor,
  { dim, keepdim = false }: { dim?: number; keepdim?: boolean } = {},
): Tensor {
  // A 0-d tensor's only dim (0 or -1) is the flattened tensor's dim 0.
  if (dim !== undefined) normalizeDim(dim, x.shape.length, "argmax");
  if (dim === undefined || x.shape.length === 0) {
    const flat = dispatch("argmax", [x.reshape([-1])], { dim: 0, keepdim: false });
    return keepdim ? flat.reshape(x.shape.map(() => 1)) : flat;
  }
  return dispatch("argmax", [x], { dim: normalizeDim(dim, x.shape.length, "argmax"), keepdim });
}

/** Variance with Bessel's correction by default (torch.var's `correction=1`). */
export function variance(
  x: Tensor,
  { dim, keepdim = false, correction = 1 }: ReduceOptions & { correction?: number } = {},
): Tensor {
  const dims = normalizeDims(dim, x.shape.length, "var");
  const count = dims.reduce((n, d) => n * x.shape[d]!, 1);
  const centered = x.sub(x.mean({ dim: dims, keepdim: true }));
  return centered
    .mul(centered)
    .sum({ dim: dims, keepdim })
    .div(Math.max(0, count - correction));
}

/** Softmax along `dim`, one catalog op (backends run it natively; autograd saves only the output). */
export function softmax(x: Tensor, dim: number): Tensor {
  return normalizeAlong("softmax", x, dim);
}

/** Log of the softmax of `x` along `dim`, computed stably. */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return normalizeAlong("logSoftmax", x, dim);
}

/** A 0-d tensor (dim 0 or -1, as PyTorch allows) is normalized as the one-element vector it holds. */
function normalizeAlong(op: "softmax" | "logSoftmax", x: Tensor, dim: number): Tensor {
  const d = normalizeDim(dim, x.shape.length, op);
  if (x.shape.length > 0) return dispatch(op, [toFloat(x)], { dim: d });
  return dispatch(op, [toFloat(x).reshape([1])], { dim: 0 }).reshape([]);
}

/** `log(sum(exp(x)))` over `dim`, computed stably. */
export function logsumexp(x: Tensor, { dim, keepdim = false }: ReduceOptions = {}): Tensor {
  const dims = normalizeDims(dim, x.shape.length, "logsumexp");
  // As torch: an infinite max is replaced by 0 so all -inf gives -inf and a +inf gives inf (not NaN).
  const max = x.amax({ dim: dims, keepdim: true }).detach();
  const m = max.where(max.abs().ne(Number.POSITIVE_INFINITY), 0);
  const out = x.sub(m).exp().sum({ dim: dims, keepdim: true }).log().add(m);
  return keepdim ? out : out.squeeze(dims);
}

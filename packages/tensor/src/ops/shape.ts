import { numel } from "@aotjs/ir";
import { dispatch } from "../dispatch.js";
import { type Tensor, TensorError } from "../tensor.js";
import { normalizeDim, normalizeDims, promote, requireTensor } from "./operands.js";

const fmt = (s: readonly number[]) => `[${s.join(", ")}]`;

/** torch.reshape: one dim may be -1 and is inferred. Results never alias their input. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  if (!Array.isArray(shape)) {
    throw new TensorError(`reshape: shape must be an array of integers, got ${JSON.stringify(shape)}`);
  }
  const inferred = shape.filter((d) => d === -1).length;
  if (inferred > 1 || shape.some((d) => !Number.isInteger(d) || d < -1)) {
    throw new TensorError(
      `reshape: invalid shape ${fmt(shape)} for ${fmt(x.shape)} (only one dim may be -1)`,
    );
  }
  const known = numel(shape.filter((d) => d !== -1));
  const total = numel(x.shape);
  const target = shape.map((d) => (d === -1 ? (known === 0 ? 0 : total / known) : d));
  if (!target.every(Number.isInteger) || numel(target) !== total) {
    throw new TensorError(
      `reshape: shape ${fmt(shape)} is invalid for input of size ${total} (shape ${fmt(x.shape)})`,
    );
  }
  return dispatch("reshape", [x], { shape: target });
}

export function permute(x: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== x.shape.length) {
    throw new TensorError(
      `permute: dims ${fmt(dims)} must list all ${x.shape.length} dims of ${fmt(x.shape)}`,
    );
  }
  const normalized = dims.map((d) => normalizeDim(d, x.shape.length, "permute"));
  if (normalized.every((d, i) => d === i)) return x;
  return dispatch("permute", [x], { dims: normalized });
}

export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const rank = x.shape.length;
  const a = normalizeDim(dim0, rank, "transpose");
  const b = normalizeDim(dim1, rank, "transpose");
  const dims = Array.from({ length: rank }, (_, i) => (i === a ? b : i === b ? a : i));
  return permute(x, dims);
}

/** torch.expand: -1 keeps a dim; new leading dims may be added. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const offset = shape.length - x.shape.length;
  if (offset < 0) throw new TensorError(`expand: cannot expand ${fmt(x.shape)} to fewer dims ${fmt(shape)}`);
  const target = shape.map((d, i) => {
    if (d !== -1) return d;
    if (i < offset) throw new TensorError(`expand: -1 is not allowed in a new leading dim (${fmt(shape)})`);
    return x.shape[i - offset]!;
  });
  if (target.length === x.shape.length && target.every((d, i) => d === x.shape[i])) return x;
  return dispatch("expand", [x], { shape: target });
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  return dispatch("unsqueeze", [x], { dims: [normalizeDim(dim, x.shape.length + 1, "unsqueeze")] });
}

/** torch.squeeze: with no dim, every size-1 dim; a listed dim whose size is not 1 is left alone. */
export function squeeze(x: Tensor, dim?: number | readonly number[]): Tensor {
  const candidates =
    dim === undefined ? x.shape.map((_, i) => i) : normalizeDims(dim, x.shape.length, "squeeze");
  const dims = candidates.filter((d) => x.shape[d] === 1);
  return dims.length ? dispatch("squeeze", [x], { dims }) : x;
}

export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.shape.length === 0) return reshape(x, [1]);
  const s = normalizeDim(startDim, x.shape.length, "flatten");
  const e = normalizeDim(endDim, x.shape.length, "flatten");
  if (s > e) throw new TensorError(`flatten: startDim ${startDim} comes after endDim ${endDim}`);
  const shape = [...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}

/** x[start:end:step] along dim with Python's rules: negatives count from the end, bounds clamp. */
export function slice(x: Tensor, dim: number, start?: number, end?: number, step = 1): Tensor {
  const d = normalizeDim(dim, x.shape.length, "slice");
  if (!Number.isInteger(step) || step < 1)
    throw new TensorError(`slice: step must be a positive integer, got ${step}`);
  const size = x.shape[d]!;
  const clampIndex = (i: number | undefined, fallback: number) => {
    if (i === undefined) return fallback;
    if (!Number.isInteger(i)) throw new TensorError(`slice: index ${i} is not an integer`);
    return Math.min(size, Math.max(0, i < 0 ? i + size : i));
  };
  const s = clampIndex(start, 0);
  const e = Math.max(s, clampIndex(end, size));
  if (s === 0 && e === size && step === 1) return x;
  return dispatch("slice", [x], { dim: d, start: s, end: e, step });
}

export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normalizeDim(dim, x.shape.length, "narrow");
  const s = start < 0 ? start + x.shape[d]! : start;
  if (s < 0 || length < 0 || s + length > x.shape[d]!) {
    throw new TensorError(
      `narrow: [${start}, ${start}+${length}) is out of range for dim ${dim} of ${fmt(x.shape)}`,
    );
  }
  return slice(x, d, s, s + length);
}

/** x[..., index, ...] along dim: the dim is removed. */
export function select(x: Tensor, dim: number, index: number): Tensor {
  const d = normalizeDim(dim, x.shape.length, "select");
  const size = x.shape[d]!;
  const i = index < 0 ? index + size : index;
  if (!Number.isInteger(i) || i < 0 || i >= size) {
    throw new TensorError(`select: index ${index} is out of range for dim ${dim} of size ${size}`);
  }
  return dispatch("squeeze", [dispatch("slice", [x], { dim: d, start: i, end: i + 1 })], { dims: [d] });
}

/** torch.split with a chunk size or a list of sizes. */
export function split(x: Tensor, sizes: number | readonly number[], dim = 0): Tensor[] {
  const d = normalizeDim(dim, x.shape.length, "split");
  const total = x.shape[d]!;
  if (
    typeof sizes === "number"
      ? !Number.isInteger(sizes) || sizes < 1
      : !sizes.every((n) => Number.isInteger(n) && n >= 0)
  ) {
    throw new TensorError(
      `split: sizes must be a positive integer or a list of non-negative integers, got ${JSON.stringify(sizes)}`,
    );
  }
  const list =
    typeof sizes === "number"
      ? Array.from({ length: Math.ceil(total / sizes) }, (_, i) => Math.min(sizes, total - i * sizes))
      : [...sizes];
  if (list.reduce((a, b) => a + b, 0) !== total) {
    throw new TensorError(`split: sizes [${list}] do not add up to ${total}, the size of dim ${dim}`);
  }
  let at = 0;
  return list.map((n) => {
    const part = slice(x, d, at, at + n);
    at += n;
    return part;
  });
}

/** `chunks` nearly equal pieces of `x` along `dim`. */
export const chunk = (x: Tensor, chunks: number, dim = 0): Tensor[] => {
  const d = normalizeDim(dim, x.shape.length, "chunk");
  if (!Number.isInteger(chunks) || chunks < 1)
    throw new TensorError(`chunk: chunks must be a positive integer, got ${chunks}`);
  return split(x, Math.ceil(x.shape[d]! / chunks), d);
};

/** The tensors joined along an existing dimension `dim`. */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0)
    throw new TensorError("cat: expected a non-empty list of tensors");
  tensors.forEach((t, i) => {
    requireTensor(t, "cat", `tensors[${i}]`);
  });
  const d = normalizeDim(dim, tensors[0]!.shape.length, "cat");
  const dtype = promote(...tensors);
  const same = tensors.every((t) => t.dtype === dtype) ? tensors : tensors.map((t) => t.to(dtype));
  // Always a new tensor, as torch.cat: even one input is copied, so an in-place update of it
  // does not show through the result.
  return dispatch("concat", same, { dim: d });
}

/** The tensors (of equal shape) stacked along a new dimension `dim`. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0)
    throw new TensorError("stack: expected a non-empty list of tensors");
  tensors.forEach((t, i) => {
    requireTensor(t, "stack", `tensors[${i}]`);
  });
  const d = normalizeDim(dim, tensors[0]!.shape.length + 1, "stack");
  return cat(
    tensors.map((t) => unsqueeze(t, d)),
    d,
  );
}

/** Constant padding: `before[i]` and `after[i]` elements of `value` around dim i. */
export function pad(x: Tensor, before: readonly number[], after: readonly number[], value = 0): Tensor {
  return dispatch("pad", [x], { before, after, value });
}

/** Values of `x` picked along `dim` at `index`, like `torch.gather`. */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  return dispatch("gather", [x, index], { dim: normalizeDim(dim, x.shape.length, "gather") });
}

/** A copy of `x` with `src` added at `index` along `dim`, like `torch.scatter_add`. */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  requireTensor(src, "scatterAdd", "src");
  return dispatch("scatterAdd", [x, index, src.to(x.dtype)], {
    dim: normalizeDim(dim, x.shape.length, "scatterAdd"),
  });
}

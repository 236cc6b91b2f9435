import {
  type AvgPool2dOptions,
  avgPool2d as avgPool2dOp,
  cat,
  conv2d as conv2dOp,
  dispatch,
  type MaxPool2dOptions,
  maxPool2d as maxPool2dOp,
  pad as padOp,
  type Tensor,
  type Conv2dOptions as TensorConv2dOptions,
  where,
} from "@aotjs/tensor";
import { describe, fmtShape, NNError } from "../errors.js";

const isInt = (t: Tensor) => t.dtype === "int32" || t.dtype === "int64";

/** y = x W^T + b over the last dim of x; W is [out, in], as torch.nn.functional.linear. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (weight.ndim !== 2 || x.ndim < 1 || x.shape[x.ndim - 1] !== weight.shape[1]) {
    throw new NNError(
      `linear: input ${describe(x)} and weight ${describe(weight)} do not fit: need x [..., in] and weight [out, in]`,
    );
  }
  const y = x.matmul(weight.t());
  return bias ? y.add(bias) : y;
}

/** One size for both spatial dimensions, or `[height, width]`. */
export type Pair = number | readonly [number, number];
const pair = (v: Pair): [number, number] => (typeof v === "number" ? [v, v] : [v[0], v[1]]);

/** Options of `conv2d`, as in `torch.nn.functional.conv2d`: stride, padding, dilation, groups. */
export interface Conv2dOptions {
  readonly stride?: Pair;
  /** Zero padding per side, or 'valid' (none) / 'same' (output size = input size; stride 1 only). */
  readonly padding?: Pair | "valid" | "same";
  readonly dilation?: Pair;
  readonly groups?: number;
}

/** Batched NCHW (or unbatched CHW) input, OIHW weight; the bias broadcasts as [1, C, 1, 1]. */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor {
  if (x.ndim === 3) return conv2d(x.unsqueeze(0), weight, bias, options).squeeze(0);
  if (x.ndim !== 4 || weight.ndim !== 4) {
    throw new NNError(
      `conv2d: expected input [N, C, H, W] and weight [O, C/groups, kH, kW], got ${describe(x)} and ${describe(weight)}`,
    );
  }
  const dilation = pair(options.dilation ?? 1);
  const opts: TensorConv2dOptions = { stride: options.stride ?? 1, dilation, groups: options.groups ?? 1 };
  let input = x;
  let padding: [number, number] = [0, 0];
  if (options.padding === "same") {
    if (pair(options.stride ?? 1).some((s) => s !== 1))
      throw new NNError(`conv2d: padding='same' needs stride 1, got stride ${String(options.stride)}`);
    // Total padding d*(k-1) per dim; when it is odd the extra element goes after, as in torch.
    const total = [0, 1].map((i) => dilation[i]! * (weight.shape[2 + i]! - 1));
    const before = total.map((t) => Math.floor(t / 2)) as [number, number];
    if (total.every((t, i) => t - before[i]! === before[i])) padding = before;
    else input = padOp(x, [0, 0, before[0], before[1]], [0, 0, total[0]! - before[0], total[1]! - before[1]]);
  } else if (options.padding !== undefined && options.padding !== "valid") {
    padding = pair(options.padding);
  }
  const y = conv2dOp(input, weight, { ...opts, padding });
  return bias ? y.add(bias.reshape([1, -1, 1, 1])) : y;
}

/** Options of the 2-D poolings: stride, padding, ceil mode. */
export interface PoolOptions {
  /** Defaults to the kernel size, as in PyTorch. */
  readonly stride?: Pair;
  readonly padding?: Pair;
  readonly ceilMode?: boolean;
}

const batched = (x: Tensor, op: string, fn: (x4: Tensor) => Tensor): Tensor => {
  if (x.ndim === 3) return fn(x.unsqueeze(0)).squeeze(0);
  if (x.ndim !== 4) throw new NNError(`${op}: expected input [N, C, H, W] or [C, H, W], got ${describe(x)}`);
  return fn(x);
};

/** 2-D max pooling over an NCHW input, like `torch.nn.functional.max_pool2d`. */
export function maxPool2d(
  x: Tensor,
  kernelSize: Pair,
  options: PoolOptions & { dilation?: Pair } = {},
): Tensor {
  const o: MaxPool2dOptions = { kernelSize, ...options, stride: options.stride ?? kernelSize };
  return batched(x, "maxPool2d", (x4) => maxPool2dOp(x4, o));
}

/** 2-D average pooling over an NCHW input, like `torch.nn.functional.avg_pool2d`. */
export function avgPool2d(
  x: Tensor,
  kernelSize: Pair,
  options: PoolOptions & { countIncludePad?: boolean } = {},
): Tensor {
  const o: AvgPool2dOptions = { kernelSize, ...options, stride: options.stride ?? kernelSize };
  return batched(x, "avgPool2d", (x4) => avgPool2dOp(x4, o));
}

/** A target size per spatial dim; null keeps the input's size there. */
export type AdaptiveSize = number | readonly [number | null, number | null];

/**
 * Output cell i averages input rows floor(i*in/out) to ceil((i+1)*in/out), as PyTorch. A 1x1
 * target is a mean over H and W, an exact divisor is an ordinary avgPool2d, and otherwise each
 * dim is pooled in turn (averaging a rectangle is averaging its rows, then its columns).
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: AdaptiveSize): Tensor {
  return batched(x, "adaptiveAvgPool2d", (x4) => {
    const [h, w] = [x4.shape[2]!, x4.shape[3]!];
    const size = typeof outputSize === "number" ? [outputSize, outputSize] : outputSize;
    const [oh, ow] = [size[0] ?? h, size[1] ?? w];
    if (!(Number.isInteger(oh) && Number.isInteger(ow) && oh > 0 && ow > 0)) {
      throw new NNError(
        `adaptiveAvgPool2d: output size must be positive integers, got ${JSON.stringify(outputSize)} for input ${describe(x)}`,
      );
    }
    if (oh === 1 && ow === 1) return x4.mean({ dim: [2, 3], keepdim: true });
    if (h % oh === 0 && w % ow === 0)
      return avgPool2dOp(x4, { kernelSize: [h / oh, w / ow], stride: [h / oh, w / ow] });
    const pool1d = (t: Tensor, dim: number, out: number): Tensor => {
      const len = t.shape[dim]!;
      if (len === out) return t;
      const cells = Array.from({ length: out }, (_, i) => {
        const start = Math.floor((i * len) / out);
        const end = Math.ceil(((i + 1) * len) / out);
        return t.slice(dim, start, end).mean({ dim, keepdim: true });
      });
      return cat(cells, dim);
    };
    return pool1d(pool1d(x4, 2, oh), 3, ow);
  });
}

/** Normalise over the trailing `normalizedShape` dims with the biased variance, as torch. */
export function layerNorm(
  x: Tensor,
  normalizedShape: readonly number[],
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps = 1e-5,
): Tensor {
  const k = normalizedShape.length;
  const tail = x.shape.slice(x.ndim - k);
  if (k === 0 || x.ndim < k || tail.some((d, i) => d !== normalizedShape[i])) {
    throw new NNError(
      `layerNorm: input ${describe(x)} does not end in the normalized shape ${fmtShape(normalizedShape)}`,
    );
  }
  // With both affine parameters it is one catalog op (ONNX LayerNormalization, a closed-form rule).
  if (weight && bias && weight.dtype === x.dtype && bias.dtype === x.dtype) {
    return dispatch("layerNorm", [x, weight, bias], { normalizedRank: k, eps });
  }
  const dims = Array.from({ length: k }, (_, i) => x.ndim - k + i);
  const centered = x.sub(x.mean({ dim: dims, keepdim: true }));
  const variance = centered.mul(centered).mean({ dim: dims, keepdim: true });
  let y = centered.mul(variance.add(eps).rsqrt());
  if (weight) y = y.mul(weight);
  if (bias) y = y.add(bias);
  return y;
}

/**
 * Batch normalisation over dim 1 of [N, C, ...]. In training it uses the batch's statistics and,
 * when running stats are given, updates them IN PLACE:
 * running = (1 - momentum) * running + momentum * batch, with the unbiased batch variance for
 * running_var, as PyTorch. `momentum` may be a 0-d tensor (BatchNorm's cumulative average).
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight?: Tensor | null,
  bias?: Tensor | null,
  training = false,
  momentum: number | Tensor = 0.1,
  eps = 1e-5,
): Tensor {
  if (x.ndim < 2) throw new NNError(`batchNorm: expected input [N, C, ...], got ${describe(x)}`);
  const c = x.shape[1]!;
  const shape = x.shape.map((d, i) => (i === 1 ? d : 1));
  for (const [name, t] of [
    ["runningMean", runningMean],
    ["runningVar", runningVar],
    ["weight", weight],
    ["bias", bias],
  ] as const) {
    if (t && (t.ndim !== 1 || t.shape[0] !== c))
      throw new NNError(`batchNorm: ${name} ${describe(t)} must be [${c}] for input ${describe(x)}`);
  }
  let mean: Tensor;
  let variance: Tensor;
  if (training) {
    const dims = x.shape.map((_, i) => i).filter((i) => i !== 1);
    const count = x.numel() / c;
    if (count <= 1)
      throw new NNError(`batchNorm: training needs more than 1 value per channel, got input ${describe(x)}`);
    // With both affine parameters the output is one catalog op: a closed-form derivative rule that
    // saves only x, and one fused kernel per backend.
    const composite =
      weight && bias && weight.dtype === x.dtype && bias.dtype === x.dtype
        ? () => dispatch("batchNorm", [x, weight, bias], { eps })
        : null;
    if (composite && !(runningMean && runningVar)) return composite();
    // The same ops batchNorm's derivative rule recomputes, so a joint graph computes them once.
    mean = x.mean({ dim: dims, keepdim: true });
    const centered = x.sub(mean);
    variance = centered.mul(centered).mean({ dim: dims, keepdim: true });
    if (runningMean && runningVar) {
      const keep = typeof momentum === "number" ? 1 - momentum : momentum.neg().add(1);
      const batchMean = mean.detach().reshape([c]);
      const batchVar = variance
        .detach()
        .reshape([c])
        .mul(count / (count - 1));
      runningMean.copy_(runningMean.mul(keep).add(batchMean.mul(momentum)));
      runningVar.copy_(runningVar.mul(keep).add(batchVar.mul(momentum)));
    }
    if (composite) return composite();
  } else {
    if (!runningMean || !runningVar)
      throw new NNError(`batchNorm: evaluation needs running statistics (input ${describe(x)})`);
    mean = runningMean.reshape(shape);
    variance = runningVar.reshape(shape);
  }
  let y = x.sub(mean).mul(variance.add(eps).rsqrt());
  if (weight) y = y.mul(weight.reshape(shape));
  if (bias) y = y.add(bias.reshape(shape));
  return y;
}

/**
 * Rows of `weight` [V, D] picked by integer `indices` of any shape: result [...indices, D]. As in
 * torch, the row `paddingIdx` (negative counts from the end) gets no gradient.
 */
export function embedding(indices: Tensor, weight: Tensor, paddingIdx?: number | null): Tensor {
  if (!isInt(indices) || weight.ndim !== 2) {
    throw new NNError(
      `embedding: need integer indices and a [num, dim] weight, got ${describe(indices)} and ${describe(weight)}`,
    );
  }
  const [v, d] = weight.shape as [number, number];
  if (paddingIdx != null && !(Number.isInteger(paddingIdx) && paddingIdx >= -v && paddingIdx < v)) {
    throw new NNError(`embedding: paddingIdx ${paddingIdx} is out of range for weight ${describe(weight)}`);
  }
  const flat = indices.reshape([-1]);
  const rows = weight.gather(0, flat.unsqueeze(1).expand([flat.shape[0]!, d]));
  const out = rows.reshape([...indices.shape, d]);
  if (paddingIdx == null) return out;
  const pad = indices.eq(paddingIdx < 0 ? paddingIdx + v : paddingIdx).unsqueeze(-1);
  return where(pad, out.detach(), out);
}

/** Dimensions `startDim..endDim` of `x` merged into one. */
export const flatten = (x: Tensor, startDim = 0, endDim = -1): Tensor => x.flatten(startDim, endDim);

/**
 * torch.nn.functional.pad, constant mode: `pads` lists (before, after) pairs starting from the
 * LAST dim. Negative amounts crop.
 */
export function pad(
  x: Tensor,
  pads: readonly number[],
  options: { mode?: "constant"; value?: number } = {},
): Tensor {
  if ((options.mode ?? "constant") !== "constant")
    throw new NNError(`pad: only mode 'constant' is supported, got '${options.mode}'`);
  if (pads.length % 2 !== 0 || pads.length / 2 > x.ndim || !pads.every(Number.isInteger)) {
    throw new NNError(
      `pad: pads [${pads}] must be integer pairs for at most ${x.ndim} dims of input ${describe(x)}`,
    );
  }
  const before = x.shape.map(() => 0);
  const after = x.shape.map(() => 0);
  for (let i = 0; i < pads.length / 2; i++) {
    before[x.ndim - 1 - i] = pads[2 * i]!;
    after[x.ndim - 1 - i] = pads[2 * i + 1]!;
  }
  let y = x;
  before.forEach((b, d) => {
    const a = after[d]!;
    if (b < 0 || a < 0) y = y.slice(d, Math.max(0, -b), y.shape[d]! - Math.max(0, -a));
  });
  const pb = before.map((b) => Math.max(0, b));
  const pa = after.map((a) => Math.max(0, a));
  if (pb.every((v) => v === 0) && pa.every((v) => v === 0)) return y;
  return padOp(y, pb, pa, options.value ?? 0);
}

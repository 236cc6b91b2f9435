// Reductions (sum, mean, amax, amin, argmax, var, logsumexp) with dims and keepdim, and softmax/logSoftmax.
import type { Tensor } from "@aotjs/tensor";
import { type Attrs, type Json, type Meta, wrapDim } from "../program.js";
import { isFloat, isNumeric, MARGIN, maxAbs, numbers, randomDims } from "./helpers.js";
import { defineOps, type OpDef } from "./types.js";

type Dims = number | number[] | null;

/** Wrapped, sorted reduction dims (null: all), or a reason they are invalid for this rank. */
export function reductionDims(dims: Json | undefined, rank: number): number[] | string {
  if (dims === null || dims === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof dims === "number" ? [dims] : (dims as number[]);
  const wrapped = list.map((d) => wrapDim(d, rank));
  if (wrapped.some((d) => d === undefined)) return `dims [${list}] out of range for rank ${rank}`;
  if (new Set(wrapped).size !== wrapped.length) return `dims [${list}] repeat a dim`;
  // A 0-d tensor's dim 0 is the tensor itself: reducing over it leaves it 0-d (as in PyTorch).
  return rank === 0 ? [] : (wrapped as number[]).sort((a, b) => a - b);
}

function reducedMeta(x: Meta, attrs: Attrs, dtype = x.dtype): Meta | string {
  const dims = reductionDims(attrs.dim, x.shape.length);
  if (typeof dims === "string") return dims;
  const keep = attrs.keepdim === true;
  const shape = x.shape.flatMap((d, i) => (dims.includes(i) ? (keep ? [1] : []) : [d]));
  return { shape, dtype };
}

/** Elements reduced into each result element. */
function reducedCount(x: Meta, attrs: Attrs): number {
  const dims = reductionDims(attrs.dim, x.shape.length);
  return typeof dims === "string" ? 0 : dims.reduce((n, d) => n * x.shape[d]!, 1);
}

const options = (attrs: Attrs) => ({
  ...(attrs.dim === null ? {} : { dim: attrs.dim as number | number[] }),
  keepdim: attrs.keepdim === true,
});

const listOptions = (attrs: Attrs) => {
  const parts = [
    ...(attrs.dim === null ? [] : [`dim: ${JSON.stringify(attrs.dim)}`]),
    ...(attrs.keepdim ? ["keepdim: true"] : []),
  ];
  return parts.length ? `{ ${parts.join(", ")} }` : "";
};

/** For each result element, the gap between the largest and second largest reduced value must exceed MARGIN. */
function uniqueExtreme(x: Tensor, attrs: Attrs, max: boolean): string | undefined {
  if (x.ndim === 0 || x.numel() === 0) return undefined;
  const opt = options(attrs);
  const sign = max ? 1 : -1;
  const y = x.mul(sign);
  const top = y.amax({ ...opt, keepdim: true });
  const eps = MARGIN * Math.max(1, maxAbs(x));
  const close = y.ge(top.sub(eps)).to("int64").sum(opt);
  return numbers(close).some((n) => n > 1) ? "a tie for the extreme" : undefined;
}

function reduction(
  name: "sum" | "mean" | "amax" | "amin" | "var" | "logsumexp",
  weight: number,
  apply: (x: Tensor, o: ReturnType<typeof options>) => Tensor,
): OpDef {
  const floatOnly = name === "mean" || name === "var" || name === "logsumexp";
  return {
    weight,
    gen(g) {
      const x =
        g.pick((v) => (floatOnly ? isFloat(v.meta) : name === "sum" || isNumeric(v.meta))) ??
        g.newInput(g.randomShape(), "float");
      return {
        args: [x.ref],
        attrs: { dim: randomDims(g, x.meta.shape.length) as Dims, keepdim: g.rng.bool(0.4) },
      };
    },
    infer([x], attrs) {
      if (floatOnly && !isFloat(x!)) return `${name}: float tensors only`;
      if (!isNumeric(x!) && name !== "sum") return `${name}: bool tensors`;
      const count = reducedCount(x!, attrs);
      const result = reducedMeta(x!, attrs);
      if (typeof result === "string") return result;
      const empty = result.shape.some((d) => d === 0);
      // PyTorch refuses amax/amin over a reduced dim of size 0, even when the result is empty
      // ("Expected reduction dim to have non-zero size"). torch.logsumexp gives -inf there, but
      // that is outside the fuzzer's values anyway.
      if ((name === "amax" || name === "amin" || name === "logsumexp") && count === 0)
        return `${name}: reduction over zero elements`;
      // Bessel's correction divides by count - 1: 0 or negative gives inf or NaN.
      if (name === "var" && count < 2 && !empty) return "var: fewer than 2 elements per result";
      if (name === "sum" && !isFloat(x!)) return { ...result, dtype: "int64" };
      return result;
    },
    apply: ([x], attrs) => apply(x!, options(attrs)),
    ...(name === "amax" || name === "amin"
      ? {
          domain: ([x]: readonly Tensor[], attrs: Attrs) =>
            isFloat(metaOf(x!)) ? uniqueExtreme(x!, attrs, name === "amax") : undefined,
        }
      : {}),
    ...(name === "mean"
      ? { mayBeNaN: ([x]: readonly Meta[], attrs: Attrs) => reducedCount(x!, attrs) === 0 }
      : {}),
    list: ([x], attrs) => `${x}.${name}(${listOptions(attrs)})`,
  };
}

const metaOf = (t: Tensor): Meta => ({
  shape: t.shape,
  dtype: t.dtype === "float32" || t.dtype === "float64" ? "float" : (t.dtype as Meta["dtype"]),
});

function softmaxLike(name: "softmax" | "logSoftmax"): OpDef {
  return {
    weight: 1,
    gen(g) {
      const x = g.pick((v) => isFloat(v.meta)) ?? g.newInput(g.randomShape(), "float");
      const rank = x.meta.shape.length;
      const d = g.rng.int(0, Math.max(rank, 1) - 1);
      return { args: [x.ref], attrs: { dim: g.rng.bool() ? d - Math.max(rank, 1) : d } };
    },
    infer: ([x], attrs) =>
      !isFloat(x!)
        ? `${name}: float tensors only`
        : wrapDim(attrs.dim as number, x!.shape.length) === undefined
          ? `${name}: dim ${attrs.dim} out of range`
          : x!,
    apply: ([x], attrs) =>
      name === "softmax" ? x!.softmax(attrs.dim as number) : x!.logSoftmax(attrs.dim as number),
    list: ([x], attrs) => `${x}.${name}(${attrs.dim})`,
  };
}

export const reduceOps = defineOps({
  sum: reduction("sum", 2, (x, o) => x.sum(o)),
  mean: reduction("mean", 1.2, (x, o) => x.mean(o)),
  amax: reduction("amax", 0.8, (x, o) => x.amax(o)),
  amin: reduction("amin", 0.6, (x, o) => x.amin(o)),
  var: reduction("var", 0.3, (x, o) => x.var(o)),
  logsumexp: reduction("logsumexp", 0.3, (x, o) => x.logsumexp(o)),
  argmax: {
    weight: 0.4,
    gen(g) {
      const x = g.pick((v) => isNumeric(v.meta)) ?? g.newInput(g.randomShape(), "float");
      const rank = x.meta.shape.length;
      const dim = g.rng.bool(0.3) ? null : g.rng.int(0, Math.max(rank, 1) - 1);
      return { args: [x.ref], attrs: { dim, keepdim: g.rng.bool(0.3) } };
    },
    infer([x], attrs) {
      if (!isNumeric(x!)) return "argmax: bool tensors";
      const rank = x!.shape.length;
      if (attrs.dim === null) {
        if (x!.shape.some((d) => d === 0)) return "argmax: empty tensor";
        return { shape: attrs.keepdim ? x!.shape.map(() => 1) : [], dtype: "int64" };
      }
      const d = wrapDim(attrs.dim as number, rank);
      if (d === undefined) return `argmax: dim ${attrs.dim} out of range`;
      if (rank > 0 && x!.shape[d] === 0) return "argmax: reduction over an empty dim";
      const result = reducedMeta(x!, attrs, "int64");
      return result;
    },
    apply: ([x], attrs) =>
      x!.argmax({
        ...(attrs.dim === null ? {} : { dim: attrs.dim as number }),
        keepdim: attrs.keepdim === true,
      }),
    // Integer ties are exact, so every backend must pick the first maximum, as the reference does.
    domain: ([x], attrs) =>
      x!.dtype === "float32" || x!.dtype === "float64" ? uniqueExtreme(x!, attrs, true) : undefined,
    list: ([x], attrs) => `${x}.argmax(${listOptions(attrs)})`,
  },
  softmax: softmaxLike("softmax"),
  logSoftmax: softmaxLike("logSoftmax"),
});

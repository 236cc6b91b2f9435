// matmul, in-place ops on clones, in-place updates of inputs, dropout, detach.
import { F } from "@aotjs/nn";
import type { Tensor } from "@aotjs/tensor";
import { type Attrs, broadcastShapes, type Meta, promoteDTypes, sameShape } from "../program.js";
import { isFloat, isInt, isNumeric, lit, nearZero } from "./helpers.js";
import { defineOps, type GenContext, type GenValue, type OpDef } from "./types.js";

/** torch.matmul's result shape: 1-d operands are promoted and the added dim removed. */
function matmulMeta(a: Meta, b: Meta): Meta | string {
  if (!isFloat(a) || !isFloat(b)) return "matmul: float operands only";
  if (a.shape.length === 0 || b.shape.length === 0) return "matmul: 0-d operand";
  const x = a.shape.length === 1 ? [1, a.shape[0]!] : a.shape;
  const y = b.shape.length === 1 ? [b.shape[0]!, 1] : b.shape;
  if (x[x.length - 1] !== y[y.length - 2]) return `matmul: [${a.shape}] @ [${b.shape}]: inner dims differ`;
  const batch = broadcastShapes(x.slice(0, -2), y.slice(0, -2));
  if (!batch) return `matmul: batch dims of [${a.shape}] and [${b.shape}] don't broadcast`;
  const shape = [
    ...batch,
    ...(a.shape.length === 1 ? [] : [x[x.length - 2]!]),
    ...(b.shape.length === 1 ? [] : [y[y.length - 1]!]),
  ];
  return { shape, dtype: "float" };
}

/** A right operand for x: a vector, a matrix, or batched matrices whose batch broadcasts with x's. */
function matmulOperand(g: GenContext, x: GenValue): GenValue {
  const k = x.meta.shape[x.meta.shape.length - 1]!;
  const found = g.rng.bool(0.3) ? g.pick((v) => typeof matmulMeta(x.meta, v.meta) !== "string") : undefined;
  if (found) return found;
  const n = g.rng.pick([1, 2, 3, 4]);
  const r = g.rng.next();
  const xBatch = x.meta.shape.slice(0, -2);
  const batch =
    r < 0.4 ? [] : r < 0.7 ? g.broadcastableShape(xBatch).slice(-2) : [g.rng.int(1, 3), ...xBatch].slice(-3);
  const shape = r < 0.15 ? [k] : [...batch, k, n];
  return g.newInput(
    typeof matmulMeta(x.meta, { shape, dtype: "float" }) === "string" ? [k, n] : shape,
    "float",
  );
}

type InPlace = "add_" | "sub_" | "mul_" | "div_";
const inPlace: Record<InPlace, (t: Tensor, y: Tensor | number) => Tensor> = {
  add_: (t, y) => t.add_(y),
  sub_: (t, y) => t.sub_(y),
  mul_: (t, y) => t.mul_(y),
  div_: (t, y) => t.div_(y),
};

/** `target.fn(y)` keeps target's shape and dtype: y must broadcast to it, and not be a higher category. */
function inPlaceMeta(fn: InPlace, target: Meta, y: Meta | number): Meta | string {
  if (!isNumeric(target)) return `${fn}: bool target`;
  if (fn === "div_" && !isFloat(target)) return "div_: integer target (true division gives a float)";
  if (typeof y === "number")
    return isInt(target) && !Number.isInteger(y) ? `${fn}: float scalar into integers` : target;
  const shape = broadcastShapes(target.shape, y.shape);
  if (!shape || !sameShape(shape, target.shape))
    return `${fn}: [${y.shape}] does not broadcast to [${target.shape}]`;
  if (promoteDTypes(target.dtype, y.dtype) === "float" && !isFloat(target))
    return `${fn}: float into integers`;
  return target;
}

/** An operand that broadcasts *to* `shape` (never widens it). */
function intoShape(
  g: GenContext,
  x: GenValue,
  accept: (v: GenValue) => boolean,
  dtype: Meta["dtype"],
): GenValue {
  const fits = (v: GenValue) => {
    const s = broadcastShapes(v.meta.shape, x.meta.shape);
    return s !== undefined && sameShape(s, x.meta.shape);
  };
  if (g.rng.bool(0.5)) {
    const found = g.pick((v) => accept(v) && fits(v));
    if (found) return found;
  }
  const drop = g.rng.int(0, x.meta.shape.length);
  const shape = x.meta.shape.slice(drop).map((d) => (g.rng.bool(0.3) ? 1 : d));
  return g.newInput(shape, dtype);
}

function cloneInPlace(fn: InPlace, weight: number): OpDef {
  return {
    weight,
    gen(g) {
      const x =
        g.pick((v) => (fn === "div_" ? isFloat(v.meta) : isNumeric(v.meta))) ??
        g.newInput(g.randomShape(), "float");
      if (g.rng.bool(0.25))
        return { args: [x.ref], attrs: { scalar: isFloat(x.meta) ? g.rng.pick([0.5, -2, 1.5]) : 2 } };
      const dtype = isFloat(x.meta) ? "float" : x.meta.dtype;
      const accept = (v: GenValue) => isNumeric(v.meta) && (isFloat(x.meta) || !isFloat(v.meta));
      return { args: [x.ref, intoShape(g, x, accept, dtype).ref], attrs: {} };
    },
    infer: ([x, y], attrs) => inPlaceMeta(fn, x!, y ?? (attrs.scalar as number)),
    apply: ([x, y], attrs) => inPlace[fn](x!.clone(), y ?? (attrs.scalar as number)),
    ...(fn === "div_"
      ? { domain: ([, y]: readonly Tensor[]) => (y ? nearZero("divisor", y, 100) : undefined) }
      : {}),
    list: ([x, y], attrs) => `${x}.clone().${fn}(${y ?? lit(attrs.scalar as number)})`,
  };
}

type Mutation = "add_" | "mul_" | "copy_";

/**
 * `input.fn(y)` on an input that doesn't require grad (a buffer): the caller sees the update, and
 * later ops reading the input see the new value. The result is the input itself.
 */
function mutate(fn: Mutation, weight: number): OpDef {
  return {
    weight,
    gen(g) {
      const target = g.pick((v) => v.input !== undefined && !v.input.requiresGrad && isNumeric(v.meta));
      if (!target) return undefined;
      if (fn === "mul_") return { args: [target.ref], attrs: { scalar: g.rng.pick([0.5, -1, 0.75]) } };
      const dtype = isFloat(target.meta) ? "float" : target.meta.dtype;
      const accept = (v: GenValue) => isNumeric(v.meta) && (isFloat(target.meta) || !isFloat(v.meta));
      if (fn === "add_" && g.rng.bool(0.3))
        return { args: [target.ref], attrs: { scalar: isFloat(target.meta) ? 0.5 : 1 } };
      return { args: [target.ref, intoShape(g, target, accept, dtype).ref], attrs: {} };
    },
    infer([x, y], attrs) {
      if (fn === "copy_") {
        if (!y) return "copy_: needs a source";
        const shape = broadcastShapes(x!.shape, y.shape);
        if (!shape || !sameShape(shape, x!.shape)) return "copy_: source does not broadcast to the target";
        if (isFloat(y) && !isFloat(x!)) return "copy_: float source into integers (truncation, a kink)";
        return x!;
      }
      return inPlaceMeta(fn, x!, y ?? (attrs.scalar as number));
    },
    apply: ([x, y], attrs) =>
      fn === "copy_" ? x!.copy_(y!) : inPlace[fn](x!, y ?? (attrs.scalar as number)),
    list: ([x, y], attrs) => `${x}.${fn}(${y ?? lit(attrs.scalar as number)})`,
  };
}

export const miscOps = defineOps({
  matmul: {
    weight: 1.5,
    gen(g) {
      const x =
        g.pick((v) => isFloat(v.meta) && v.meta.shape.length >= 1) ??
        g.newInput([g.rng.int(1, 4), g.rng.int(1, 4)], "float");
      return { args: [x.ref, matmulOperand(g, x).ref], attrs: {} };
    },
    infer: ([a, b]) => matmulMeta(a!, b!),
    apply: ([a, b]) => a!.matmul(b!),
    list: ([a, b]) => `${a}.matmul(${b})`,
  },
  clone_add_: cloneInPlace("add_", 0.6),
  clone_sub_: cloneInPlace("sub_", 0.3),
  clone_mul_: cloneInPlace("mul_", 0.5),
  clone_div_: cloneInPlace("div_", 0.3),
  mutate_add_: mutate("add_", 1),
  mutate_mul_: mutate("mul_", 0.4),
  mutate_copy_: mutate("copy_", 0.5),
  dropout: {
    weight: 0.6,
    gen(g) {
      const x = g.pick((v) => isFloat(v.meta)) ?? g.newInput(g.randomShape(), "float");
      return { args: [x.ref], attrs: { p: g.rng.pick([0.25, 0.5]) } };
    },
    infer: ([x]) => (isFloat(x!) ? x! : "dropout: float tensors only"),
    apply: ([x], attrs: Attrs) => F.dropout(x!, attrs.p as number, true),
    list: ([x], attrs) => `F.dropout(${x}, ${attrs.p})`,
  },
  detach: {
    weight: 0.2,
    gen(g) {
      const x = g.pick((v) => v.requiresGrad);
      return x ? { args: [x.ref], attrs: {} } : undefined;
    },
    infer: ([x]) => x!,
    apply: ([x]) => x!.detach(),
    list: ([x]) => `${x}.detach()`,
  },
});

// Pointwise ops: unary math, broadcasting binary arithmetic and comparisons, logic, where, casts, clamp.
import { type Tensor, where } from "@aotjs/tensor";
import { type Attrs, broadcastShapes, type Meta, resultDType, type VDType } from "../program.js";
import {
  isFloat,
  isInt,
  isNumeric,
  lit,
  MARGIN,
  maxAbs,
  nearZero,
  notAbove,
  numbers,
  opt,
  secondOperand,
  tie,
} from "./helpers.js";
import { defineOps, type GenContext, type GenValue, type OpDef, type Proposal } from "./types.js";

const dtypeOf = (d: VDType, float: "float32" | "float64") => (d === "float" ? float : d);

interface UnaryOptions {
  readonly weight: number;
  /** Also defined on integer tensors (neg, abs, sign, relu, square). */
  readonly ints?: boolean;
  readonly domain?: (x: Tensor) => string | undefined;
  /** New inputs for this op are drawn positive (log, sqrt). */
  readonly positive?: boolean;
}

function unary(method: (x: Tensor) => Tensor, name: string, o: UnaryOptions): OpDef {
  const accepts = (m: Meta) => isFloat(m) || (o.ints === true && isInt(m));
  return {
    weight: o.weight,
    gen(g) {
      const x = g.pick((v) => accepts(v.meta) && !o.domain?.(v.value));
      if (x) return { args: [x.ref], attrs: {} };
      return {
        args: [g.newInput(g.randomShape(), "float", o.positive ? "positive" : "normal").ref],
        attrs: {},
      };
    },
    infer: ([x]) =>
      accepts(x!) ? x! : `${name} takes ${o.ints ? "numeric" : "float"} tensors, got ${x!.dtype}`,
    apply: ([x]) => method(x!),
    ...(o.domain
      ? { domain: ([x]: readonly Tensor[]) => (isFloatTensor(x!) ? o.domain!(x!) : undefined) }
      : {}),
    list: ([x]) => `${x}.${name}()`,
  };
}

const isFloatTensor = (t: Tensor) => t.dtype === "float32" || t.dtype === "float64";

const kinkAtZero = (x: Tensor) => nearZero("input", x);
const positive = (x: Tensor) => notAbove("input", x, 0.05);
const pole = (x: Tensor) => nearZero("input", x, 100);

export const unaryOps = defineOps({
  neg: unary((x) => x.neg(), "neg", { weight: 1, ints: true }),
  abs: unary((x) => x.abs(), "abs", { weight: 1, ints: true, domain: kinkAtZero }),
  sign: unary((x) => x.sign(), "sign", { weight: 0.5, ints: true, domain: kinkAtZero }),
  relu: unary((x) => x.relu(), "relu", { weight: 1.5, ints: true, domain: kinkAtZero }),
  square: unary((x) => x.square(), "square", { weight: 1, ints: true }),
  exp: unary((x) => x.exp(), "exp", {
    weight: 1,
    domain: (x) => (numbers(x).some((v) => v > 6) ? "input above 6" : undefined),
  }),
  log: unary((x) => x.log(), "log", { weight: 1, domain: positive, positive: true }),
  sqrt: unary((x) => x.sqrt(), "sqrt", { weight: 1, domain: positive, positive: true }),
  rsqrt: unary((x) => x.rsqrt(), "rsqrt", { weight: 0.5, domain: positive, positive: true }),
  // |x| > 0.1: the pole at 0 and the gradient 1/x^2 stay moderate.
  reciprocal: unary((x) => x.reciprocal(), "reciprocal", { weight: 0.7, domain: pole }),
  sin: unary((x) => x.sin(), "sin", { weight: 1.5 }),
  cos: unary((x) => x.cos(), "cos", { weight: 1.5 }),
  tanh: unary((x) => x.tanh(), "tanh", { weight: 1 }),
  sigmoid: unary((x) => x.sigmoid(), "sigmoid", { weight: 1 }),
  erf: unary((x) => x.erf(), "erf", { weight: 0.5 }),
});

type Binary = "add" | "sub" | "mul" | "div" | "pow" | "maximum" | "minimum";
const binaryMethod: Record<Binary, (x: Tensor, y: Tensor | number) => Tensor> = {
  add: (x, y) => x.add(y),
  sub: (x, y) => x.sub(y),
  mul: (x, y) => x.mul(y),
  div: (x, y) => x.div(y),
  pow: (x, y) => x.pow(y),
  maximum: (x, y) => x.maximum(y),
  minimum: (x, y) => x.minimum(y),
};

// Scalars exact in float32, so a float32 and a float64 run see the same constant.
const floatScalars = [0.5, -1.5, 2, 0.25, -0.75, 3];
const powScalars = [2, 3, 0.5, -1, 1.5, -0.5];
const intScalars = [1, 2, -3];

/** The meta of `x op y` (y a tensor meta or a scalar), or why PyTorch (or the fuzzer's rules) refuse it. */
function binaryMeta(op: Binary, x: Meta, y: Meta | number): Meta | string {
  if (typeof y === "number") {
    if (x.dtype === "bool") return `${op}: bool tensor with a scalar`;
    if (isInt(x) && (!Number.isInteger(y) || op === "div" || op === "pow"))
      return `${op}: an integer tensor with ${y} gives the default float dtype`;
    return x;
  }
  const shape = broadcastShapes(x.shape, y.shape);
  if (!shape) return `${op}: shapes [${x.shape}] and [${y.shape}] don't broadcast`;
  if (x.dtype === "bool" && y.dtype === "bool") return `${op}: two bool tensors`;
  if ((op === "div" || op === "pow") && !isFloat(x) && !isFloat(y))
    return `${op}: integer operands give the default float dtype`;
  if (op === "pow" && !isFloat(x)) return "pow: the base must be float";
  if ((op === "maximum" || op === "minimum") && isFloat(x) !== isFloat(y))
    return `${op}: operands of different categories`;
  return { shape, dtype: resultDType(x, y) };
}

function binaryDomain(op: Binary, x: Tensor, y: Tensor | number): string | undefined {
  const floats = isFloatTensor(x) || (typeof y !== "number" && isFloatTensor(y));
  if (op === "div") return typeof y === "number" ? undefined : nearZero("divisor", y, 100);
  if (op === "pow") {
    if (typeof y !== "number")
      return notAbove("base", x, 0.05) ?? (maxAbs(y) > 3 ? "exponent above 3 in size" : undefined);
    if (!Number.isInteger(y)) return notAbove("base", x, 0.05);
    return y < 0 ? nearZero("base", x, 100) : undefined;
  }
  if ((op === "maximum" || op === "minimum") && floats) return tie("operands", x, y);
  return undefined;
}

function binary(op: Binary, weight: number): OpDef {
  return {
    weight,
    gen(g) {
      const floatOnly = op === "div" || op === "pow";
      const x =
        g.pick((v) => (floatOnly ? isFloat(v.meta) : isNumeric(v.meta))) ??
        g.newInput(g.randomShape(), "float", op === "pow" ? "positive" : "normal");
      const sameCategory = (v: GenValue) =>
        op === "maximum" || op === "minimum"
          ? isFloat(v.meta) === isFloat(x.meta) && isNumeric(v.meta)
          : op === "pow"
            ? isFloat(v.meta)
            : isNumeric(v.meta) || isFloat(x.meta);
      const y = secondOperand(g, x, sameCategory, isFloat(x.meta) || floatOnly ? "float" : x.meta.dtype, {
        scalarOk: true,
        kind: op === "div" ? "positive" : "normal",
      });
      if (y) return { args: [x.ref, y.ref], attrs: {} };
      const scalars = op === "pow" ? powScalars : isFloat(x.meta) ? floatScalars : intScalars;
      return { args: [x.ref], attrs: { scalar: g.rng.pick(scalars) } };
    },
    infer: ([x, y], attrs) => binaryMeta(op, x!, y ?? (attrs.scalar as number)),
    apply: ([x, y], attrs) => binaryMethod[op](x!, y ?? (attrs.scalar as number)),
    domain: ([x, y], attrs) => binaryDomain(op, x!, y ?? (attrs.scalar as number)),
    list: ([x, y], attrs) => `${x}.${op}(${y ?? lit(attrs.scalar as number)})`,
  };
}

export const binaryOps = defineOps({
  add: binary("add", 2),
  sub: binary("sub", 1.5),
  mul: binary("mul", 2),
  div: binary("div", 1),
  pow: binary("pow", 0.7),
  maximum: binary("maximum", 0.7),
  minimum: binary("minimum", 0.7),
});

type Compare = "eq" | "ne" | "lt" | "le" | "gt" | "ge";
const compareMethod: Record<Compare, (x: Tensor, y: Tensor | number) => Tensor> = {
  eq: (x, y) => x.eq(y),
  ne: (x, y) => x.ne(y),
  lt: (x, y) => x.lt(y),
  le: (x, y) => x.le(y),
  gt: (x, y) => x.gt(y),
  ge: (x, y) => x.ge(y),
};

function compare(op: Compare, weight: number): OpDef {
  return {
    weight,
    gen(g) {
      const x = g.pick((v) => isNumeric(v.meta)) ?? g.newInput(g.randomShape(), "float");
      const y = secondOperand(g, x, (v) => isNumeric(v.meta), isFloat(x.meta) ? "float" : x.meta.dtype, {
        scalarOk: true,
      });
      if (y) return { args: [x.ref, y.ref], attrs: {} };
      return { args: [x.ref], attrs: { scalar: g.rng.pick(isFloat(x.meta) ? [0, 0.5, -1] : [0, 1]) } };
    },
    infer([x, y], attrs) {
      if (!isNumeric(x!)) return `${op}: bool operands`;
      if (y === undefined) {
        const s = attrs.scalar as number;
        if (isInt(x!) && !Number.isInteger(s)) return `${op}: integer tensor with a float scalar`;
        return { shape: x!.shape, dtype: "bool" };
      }
      if (!isNumeric(y)) return `${op}: bool operands`;
      const shape = broadcastShapes(x!.shape, y.shape);
      return shape
        ? { shape, dtype: "bool" }
        : `${op}: shapes [${x!.shape}] and [${y.shape}] don't broadcast`;
    },
    apply: ([x, y], attrs) => compareMethod[op](x!, y ?? (attrs.scalar as number)),
    domain: ([x, y], attrs) =>
      isFloatTensor(x!) || (y && isFloatTensor(y))
        ? tie("operands", x!, y ?? (attrs.scalar as number))
        : undefined,
    list: ([x, y], attrs) => `${x}.${op}(${y ?? lit(attrs.scalar as number)})`,
  };
}

const boolOperand = (g: GenContext, x?: GenValue): GenValue =>
  g.pick(
    (v) => v.meta.dtype === "bool" && (!x || broadcastShapes(v.meta.shape, x.meta.shape) !== undefined),
  ) ?? g.newInput(x ? g.broadcastableShape(x.meta.shape) : g.randomShape(), "bool");

function logical(op: "logicalAnd" | "logicalOr"): OpDef {
  return {
    weight: 0.5,
    gen(g) {
      const x = boolOperand(g);
      return { args: [x.ref, boolOperand(g, x).ref], attrs: {} };
    },
    infer([x, y]) {
      if (x!.dtype !== "bool" || y!.dtype !== "bool") return `${op}: needs bool operands`;
      const shape = broadcastShapes(x!.shape, y!.shape);
      return shape ? { shape, dtype: "bool" } : `${op}: shapes don't broadcast`;
    },
    apply: ([x, y]) => (op === "logicalAnd" ? x!.logicalAnd(y!) : x!.logicalOr(y!)),
    list: ([x, y]) => `${x}.${op}(${y})`,
  };
}

export const logicOps = defineOps({
  eq: compare("eq", 0.3),
  ne: compare("ne", 0.3),
  lt: compare("lt", 0.6),
  le: compare("le", 0.4),
  gt: compare("gt", 0.6),
  ge: compare("ge", 0.4),
  logicalAnd: logical("logicalAnd"),
  logicalOr: logical("logicalOr"),
  logicalNot: {
    weight: 0.3,
    gen: (g) => ({ args: [boolOperand(g).ref], attrs: {} }),
    infer: ([x]) => (x!.dtype === "bool" ? x! : "logicalNot: needs a bool tensor"),
    apply: ([x]) => x!.logicalNot(),
    list: ([x]) => `${x}.logicalNot()`,
  },
  /** where(cond, x, y): y a tensor or a scalar. */
  where: {
    weight: 1.2,
    gen(g): Proposal {
      const x = g.pick((v) => isNumeric(v.meta)) ?? g.newInput(g.randomShape(), "float");
      const cond = boolOperand(g, x);
      const y = secondOperand(
        g,
        x,
        (v) => isFloat(v.meta) === isFloat(x.meta) && isNumeric(v.meta),
        x.meta.dtype,
        {
          scalarOk: true,
        },
      );
      if (y) return { args: [cond.ref, x.ref, y.ref], attrs: {} };
      return { args: [cond.ref, x.ref], attrs: { scalar: isFloat(x.meta) ? g.rng.pick([0, -1.5, 0.5]) : 0 } };
    },
    infer([c, x, y], attrs) {
      if (c!.dtype !== "bool") return "where: the condition must be bool";
      if (!isNumeric(x!) || (y && !isNumeric(y))) return "where: bool branches";
      if (y && isFloat(x!) !== isFloat(y)) return "where: branches of different categories";
      if (!y && isInt(x!) && !Number.isInteger(attrs.scalar))
        return "where: integer branch with a float scalar";
      const xy = y ? broadcastShapes(x!.shape, y.shape) : x!.shape;
      const shape = xy && broadcastShapes(c!.shape, xy);
      return shape ? { shape, dtype: y ? resultDType(x!, y) : x!.dtype } : "where: shapes don't broadcast";
    },
    apply: ([c, x, y], attrs) => where(c!, x!, y ?? (attrs.scalar as number)),
    list: ([c, x, y], attrs) => `where(${c}, ${x}, ${y ?? lit(attrs.scalar as number)})`,
  },
});

export const castOps = defineOps({
  /** x.to(dtype): float to integer truncates, so values stay away from integers. */
  cast: {
    weight: 0.8,
    gen(g) {
      const x = g.pick(() => true) ?? g.newInput(g.randomShape(), "float");
      const targets = (["float", "int32", "int64", "bool"] as const).filter((d) => d !== x.meta.dtype);
      return { args: [x.ref], attrs: { to: g.rng.pick(targets) } };
    },
    infer: ([x], attrs) =>
      attrs.to === x!.dtype ? "cast: to its own dtype" : { shape: x!.shape, dtype: attrs.to as VDType },
    apply: ([x], attrs, ctx) => x!.to(dtypeOf(attrs.to as VDType, ctx.float)),
    domain([x], attrs) {
      if (!isFloatTensor(x!)) return undefined;
      if (attrs.to === "bool") return nearZero("input", x!);
      const values = numbers(x!);
      if (values.some((v) => Math.abs(v) > 1e6)) return "input too large for an integer";
      const eps = MARGIN * Math.max(1, maxAbs(x!));
      return values.some((v) => Math.abs(v - Math.round(v)) <= eps)
        ? "input within rounding of an integer"
        : undefined;
    },
    list: ([x], attrs) => `${x}.to(${attrs.to === "float" ? "F" : JSON.stringify(attrs.to)})`,
  },
  clamp: {
    weight: 0.6,
    gen(g) {
      const x = g.pick((v) => isFloat(v.meta)) ?? g.newInput(g.randomShape(), "float");
      const [lo, hi] = g.rng
        .shuffle([-1, -0.5, 0.25, 0.5, 1])
        .slice(0, 2)
        .sort((a, b) => a - b);
      const r = g.rng.next();
      return {
        args: [x.ref],
        attrs: r < 0.33 ? { min: lo! } : r < 0.66 ? { max: hi! } : { min: lo!, max: hi! },
      };
    },
    infer: ([x]) => (isFloat(x!) ? x! : "clamp: float tensors only"),
    apply: ([x], attrs) => x!.clamp(opt<number>(attrs, "min"), opt<number>(attrs, "max")),
    domain([x], attrs) {
      const lo = opt<number>(attrs, "min");
      const hi = opt<number>(attrs, "max");
      return (
        (lo === undefined ? undefined : tie("input and min", x!, lo)) ??
        (hi === undefined ? undefined : tie("input and max", x!, hi))
      );
    },
    list: ([x], attrs: Attrs) =>
      `${x}.clamp(${opt<number>(attrs, "min") ?? "undefined"}${attrs.max === undefined ? "" : `, ${attrs.max}`})`,
  },
});

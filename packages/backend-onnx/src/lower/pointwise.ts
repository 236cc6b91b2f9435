import {
  type BinaryOpName,
  type DType,
  dtypeInfo,
  isFloating,
  isFullOf,
  isIntegral,
  numel,
  type TernaryOpName,
  type UnaryOpName,
} from "@aotjs/ir";
import type { LoweringContext } from "../context.js";
import { erf64 } from "./float64.js";
import { unlessSumFlags } from "./guards.js";
import { CAST_TO, type LoweringsFor, sameShape } from "./types.js";

type UnaryOp = UnaryOpName | "cast";

/**
 * From this many elements, a float32 `where(c, a, 0)` (ReLU's backward) is `a * cast(c)` while a
 * is finite: ORT's Where runs on one thread (1.6 ms for 1.6M elements against 0.8 for the Cast
 * and Mul, 2 threads); below it the If and the guard's sum cost more than they save.
 */
const MASK_BY_MUL = 2 ** 18;

type BinaryOp = BinaryOpName | TernaryOpName;

/** A one-to-one ONNX op. */
const direct =
  (opType: string) =>
  (ctx: LoweringContext, _node: unknown, [x]: readonly string[]): string =>
    ctx.op(opType, [x!], {}, ctx.out);

const directBinary =
  (opType: string) =>
  (ctx: LoweringContext, _node: unknown, [a, b]: readonly string[]): string =>
    ctx.op(opType, [a!, b!], {}, ctx.out);

const INT_MIN: { readonly [D in DType]?: bigint } = { int32: -(2n ** 31n), int64: -(2n ** 63n) };

/**
 * Integer division truncates toward zero (C, ONNX and the reference agree), but a zero divisor
 * and MIN / -1 trap on x86 (SIGFPE), which would kill the process. The divisor is made safe first:
 * b == -1 becomes a negation (MIN / -1 wraps to MIN, as the reference's BigInt store does), and
 * b == 0 divides by 1 and raises the runtime check (the reference throws there).
 */
function integerDiv(ctx: LoweringContext, dtype: DType, a: string, b: string): string {
  const zero = ctx.scalar(dtype, 0);
  const one = ctx.scalar(dtype, 1);
  const minusOne = ctx.scalar(dtype, -1);
  const isZero = ctx.op("Equal", [b, zero]);
  const isMinusOne = ctx.op("Equal", [b, minusOne]);
  ctx.check(() => isZero, "integer division by zero");
  const safe = ctx.op("Where", [ctx.op("Or", [isZero, isMinusOne]), one, b]);
  const q = ctx.op("Div", [a, safe]);
  return ctx.op("Where", [isMinusOne, ctx.op("Neg", [a]), q], {}, ctx.out);
}

/**
 * Integer pow by square-and-multiply with wrapping multiplies, exactly as the reference's loop:
 * ORT's integer Pow goes through double `std::pow`, which rounds past 2^53 and returns 0 or 1
 * for negative exponents where the reference throws. One step per exponent bit (31 or 63),
 * unrolled: integer pow is rare in graphs, and each step is a handful of pointwise nodes.
 */
function integerPow(ctx: LoweringContext, dtype: DType, base: string, exp: string): string {
  const zero = ctx.scalar(dtype, 0);
  const one = ctx.scalar(dtype, 1);
  const two = ctx.scalar(dtype, 2);
  ctx.check(() => ctx.op("Less", [exp, zero]), "integer pow with a negative exponent");
  // Broadcast base and exponent against each other once, so every step works on the output shape.
  let e = ctx.op("Add", [ctx.op("Max", [exp, zero]), ctx.op("Mul", [base, zero])]);
  let b = ctx.op("Add", [base, ctx.op("Mul", [exp, zero])]);
  let result = ctx.op("Add", [ctx.op("Mul", [b, zero]), one]);
  const bits = dtype === "int32" ? 31 : 63;
  for (let k = 0; k < bits; k++) {
    const odd = ctx.op("Equal", [ctx.op("Mod", [e, two]), one]);
    result = ctx.op(
      "Where",
      [odd, ctx.op("Mul", [result, b]), result],
      {},
      k === bits - 1 ? ctx.out : undefined,
    );
    if (k < bits - 1) {
      b = ctx.op("Mul", [b, b]);
      e = ctx.op("Div", [e, two]);
    }
  }
  return result;
}

/** trunc(v) fits the integer dtype iff lo < v (or lo <= v where `inclusive`) and v < hi. */
function castRangeOk(ctx: LoweringContext, from: DType, to: DType, x: string): string {
  // Between -2^31 - 1 and -2^31 only float64 has values (they truncate into range); float32 and
  // every float below -2^63 have none, so there the bound itself is the first valid value.
  const [lo, inclusive] =
    to === "int32" && from === "float64"
      ? [-(2 ** 31) - 1, false]
      : [to === "int32" ? -(2 ** 31) : -(2 ** 63), true];
  const hi = to === "int32" ? 2 ** 31 : 2 ** 63;
  const above = ctx.op(inclusive ? "GreaterOrEqual" : "Greater", [x, ctx.scalar(from, lo)]);
  return ctx.op("And", [above, ctx.op("Less", [x, ctx.scalar(from, hi)])]);
}

export const unaryLowerings: LoweringsFor<UnaryOp> = {
  neg: direct("Neg"),
  abs: direct("Abs"),
  // ORT's Sign keeps NaN, as the reference does (checked by the conformance samples).
  sign: direct("Sign"),
  exp: direct("Exp"),
  log: direct("Log"),
  sqrt: direct("Sqrt"),
  rsqrt: (ctx, _node, [x]) => ctx.op("Reciprocal", [ctx.op("Sqrt", [x!])], {}, ctx.out),
  reciprocal: direct("Reciprocal"),
  sin: direct("Sin"),
  cos: direct("Cos"),
  tanh: direct("Tanh"),
  sigmoid: direct("Sigmoid"),
  // ORT's Relu keeps NaN as the reference does (it returns -0 for -0 where the reference gives +0,
  // which compares equal). ORT has no integer Relu, so integers use Max(x, 0).
  relu: (ctx, node, [x]) => {
    const dtype = node.inputs[0]!.meta.dtype;
    if (!isFloating(dtype)) return ctx.op("Max", [x!, ctx.scalar(dtype, 0)], {}, ctx.out);
    return ctx.op("Relu", [x!], {}, ctx.out);
  },
  // ORT's Erf is float32-only; float64 evaluates the reference's own rational approximation.
  erf: (ctx, node, [x]) =>
    node.meta.dtype === "float64" ? erf64(ctx, x!) : ctx.op("Erf", [x!], {}, ctx.out),
  logicalNot: (ctx, node, [x]) => {
    const dtype = node.inputs[0]!.meta.dtype;
    if (dtype === "bool") return ctx.op("Not", [x!], {}, ctx.out);
    return ctx.op("Equal", [x!, ctx.scalar(dtype, 0)], {}, ctx.out);
  },
  cast: (ctx, node, [x]) => {
    const from = node.inputs[0]!.meta.dtype;
    const to = node.attrs.dtype;
    if (from === to) return ctx.op("Identity", [x!], {}, ctx.out);
    // Float to integer truncates toward zero in both; the reference throws on NaN, infinities and
    // out-of-range values, where C's conversion is undefined: the runtime check reports them.
    if (isFloating(from) && isIntegral(to)) {
      ctx.check(
        () => ctx.op("Not", [castRangeOk(ctx, from, to, x!)]),
        `cannot convert NaN, an infinity or a value outside the ${to} range`,
      );
    }
    return ctx.op("Cast", [x!], { to: { int: CAST_TO[to] } }, ctx.out);
  },
};

export const binaryLowerings: LoweringsFor<BinaryOp> = {
  add: directBinary("Add"),
  sub: directBinary("Sub"),
  mul: directBinary("Mul"),
  div: (ctx, node, [a, b]) => {
    const dtype = node.inputs[0]!.meta.dtype;
    if (dtypeInfo[dtype].kind !== "int") return ctx.op("Div", [a!, b!], {}, ctx.out);
    return integerDiv(ctx, dtype, a!, b!);
  },
  pow: (ctx, node, [a, b]) => {
    const dtype = node.inputs[0]!.meta.dtype;
    if (INT_MIN[dtype] === undefined) return ctx.op("Pow", [a!, b!], {}, ctx.out);
    return integerPow(ctx, dtype, a!, b!);
  },
  // ORT's Max and Min return NaN when either side is NaN, as the reference (Math.max) does.
  maximum: directBinary("Max"),
  minimum: directBinary("Min"),
  eq: directBinary("Equal"),
  ne: (ctx, _node, [a, b]) => ctx.op("Not", [ctx.op("Equal", [a!, b!])], {}, ctx.out),
  lt: directBinary("Less"),
  le: directBinary("LessOrEqual"),
  gt: directBinary("Greater"),
  ge: directBinary("GreaterOrEqual"),
  logicalAnd: directBinary("And"),
  logicalOr: directBinary("Or"),
  // ORT has no bool Where kernel; for bools, (c and a) or (not c and b) is the same function.
  where: (ctx, node, [c, a, b]) => {
    if (node.meta.dtype === "float32" && numel(node.meta.shape) >= MASK_BY_MUL) {
      const [, inA, inB] = node.inputs;
      const zeroElse = isFullOf(inB, 0) && sameShape(inA!.meta.shape, node.meta.shape);
      if (zeroElse || (isFullOf(inA, 0) && sameShape(inB!.meta.shape, node.meta.shape))) {
        const kept = zeroElse ? a! : b!;
        const keep = zeroElse ? c! : ctx.op("Not", [c!]);
        return unlessSumFlags(
          ctx,
          kept,
          "nonFinite",
          "float32",
          () => ctx.op("Where", [c!, a!, b!]),
          () => ctx.op("Mul", [kept, ctx.op("Cast", [keep], { to: { int: CAST_TO.float32 } })]),
          ctx.out,
        );
      }
    }
    if (node.meta.dtype !== "bool") return ctx.op("Where", [c!, a!, b!], {}, ctx.out);
    const left = ctx.op("And", [c!, a!]);
    return ctx.op("Or", [left, ctx.op("And", [ctx.op("Not", [c!]), b!])], {}, ctx.out);
  },
};

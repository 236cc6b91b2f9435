import { formatMeta, isFloating, type PointwiseOpName } from "@aotjs/ir";
import * as tf from "@tensorflow/tfjs-core";
import { tfDType } from "../dtypes.js";
import { TfjsBackendError } from "../errors.js";
import type { KernelFn, LowerContext, LoweringsFor } from "./types.js";
import { broadcast, isFloat, select, toBool } from "./util.js";

type PointwiseOp = PointwiseOpName;

const unary =
  (f: (x: tf.Tensor) => tf.Tensor): (() => KernelFn) =>
  () =>
  ([x]) =>
    f(x!);
const binary =
  (f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): (() => KernelFn) =>
  () =>
  ([a, b]) =>
    f(a!, b!);

// ---- erf ----

// TF.js's own Erf on the cpu backend is Abramowitz-Stegun 7.1.26: about 7e-6 relative error near 0
// and worse below, which misses the 1e-5 target. This is the rational approximation XLA and Eigen
// use for float32 (odd numerator over even denominator in x^2 on [-4, 4]); evaluated in float32 it
// stays within 4.2e-7 relative of the reference erf over [-6, 6] (checked in the tests).
const ERF_ALPHA = [
  -2.72614225801306e-10, 2.77068142495902e-8, -2.10102402082508e-6, -5.69250639462346e-5,
  -7.34990630326855e-4, -2.95459980854025e-3, -1.60960333262415e-2,
];
const ERF_BETA = [
  -1.45660718464996e-5, -2.13374055278905e-4, -1.68282697438203e-3, -7.37332916720468e-3,
  -1.42647390514189e-2,
];

/** Horner's rule in x2 over coefficients, highest power first. */
function horner(x2: tf.Tensor, coefficients: readonly number[]): tf.Tensor {
  let acc: tf.Tensor = tf.scalar(coefficients[0]!);
  for (const c of coefficients.slice(1)) acc = tf.add(tf.mul(acc, x2), c);
  return acc;
}

export function erf(x: tf.Tensor): tf.Tensor {
  const clamped = tf.clipByValue(x, -4, 4);
  const x2 = tf.mul(clamped, clamped);
  const r = tf.div(tf.mul(clamped, horner(x2, ERF_ALPHA)), horner(x2, ERF_BETA));
  // wasm's clipByValue turns NaN into -4; erf(NaN) is NaN.
  return tf.where(tf.isNaN(x), x, r);
}

// ---- integer arithmetic on the host ----

/**
 * Integer mul, div and pow with the reference kernels' exact semantics, computed on the host. No
 * TF.js backend gets them right on device: the cpu backend multiplies int32 in doubles (products
 * past 2^53 lose the bits wrapping keeps), wasm divides int32 in float32 (2147483647 / 65536 gives
 * 32768), TF.js's int div floors where the IR truncates, and division by zero must be an error.
 * Integer tensors in training graphs are small index arithmetic, so the round trip is cheap.
 */
function hostInt(ctx: LowerContext<"mul" | "div" | "pow">, f: (a: number, b: number) => number): KernelFn {
  const shape = [...ctx.out.shape];
  return ([a, b]) => {
    const x = broadcast(a!, shape).dataSync() as Int32Array;
    const y = broadcast(b!, shape).dataSync() as Int32Array;
    const out = new Int32Array(x.length);
    for (let i = 0; i < out.length; i++) out[i] = f(x[i]!, y[i]!);
    return tf.tensor(out, shape, "int32");
  };
}

function divByZero(a: number): never {
  throw new TfjsBackendError(`integer division by zero (${a} / 0)`);
}

function powInt(base: number, exp: number): number {
  if (exp < 0) throw new TfjsBackendError(`integer pow with a negative exponent (${base} ** ${exp})`);
  let result = 1;
  while (exp > 0) {
    if (exp & 1) result = Math.imul(result, base);
    exp >>>= 1;
    base = Math.imul(base, base);
  }
  return result;
}

/**
 * C's pow, as the reference: pow(1, y) = 1 and pow(x, 0) = 1 even for NaN, pow(-1, +-inf) = 1. TF.js's
 * cpu backend follows JS's ** there (NaN). A finite constant exponent needs none of this.
 */
function floatPow(ctx: LowerContext<"pow">): KernelFn {
  const c = ctx.constantScalar(1);
  const keepsShape = ctx.inputs[0]!.shape.join() === ctx.out.shape.join();
  if (c !== undefined && Number.isFinite(c) && c !== 0 && keepsShape) {
    if (c === 1) return ([a]) => tf.clone(a!);
    if (c === 2) return ([a]) => tf.square(a!);
    return ([a]) => tf.pow(a!, c);
  }
  const shape = ctx.out.shape;
  return ([a, b]) => {
    const one = tf.scalar(1);
    const special = tf.logicalOr(
      tf.logicalOr(tf.equal(a!, 1), tf.equal(b!, 0)),
      tf.logicalAnd(tf.equal(a!, -1), tf.isInf(b!)),
    );
    return select(special, one, tf.pow(a!, b!), shape);
  };
}

/**
 * maximum/minimum propagate NaN from either side, as the reference does. wasm's kernels keep a NaN
 * only when it is the first operand (maximum(1, NaN) is 1 there), so the NaN is put back explicitly.
 */
function nanPropagating(ctx: LowerContext<"maximum" | "minimum">, f: typeof tf.maximum): KernelFn {
  if (!isFloat(ctx.inputs[0]!)) return ([a, b]) => f(a!, b!);
  const shape = ctx.out.shape;
  return ([a, b]) => {
    const nan = tf.logicalOr(tf.isNaN(a!), tf.isNaN(b!));
    return select(nan, tf.scalar(Number.NaN), f(a!, b!), shape);
  };
}

// ---- cast ----

const TWO31 = 2 ** 31;

/** float -> int: truncation toward zero, and an error (as the reference) for NaN, inf and overflow. */
function floatToInt(ctx: LowerContext<"cast">): KernelFn {
  const target = ctx.attrs.dtype;
  return ([x]) => {
    const ok = tf.logicalAnd(tf.greaterEqual(x!, -TWO31), tf.less(x!, TWO31));
    if (!tf.all(ok).dataSync()[0]) {
      const values = x!.dataSync();
      const i = values.findIndex((v) => !(v >= -TWO31 && v < TWO31));
      const why =
        target === "int64"
          ? "int64 runs as int32 on TensorFlow.js, so values must fit int32"
          : "NaN, infinities and values outside int32 have no int32 value";
      throw new TfjsBackendError(
        `cannot convert ${values[i]} (element ${i} of ${formatMeta(ctx.inputs[0]!)}) to ${target}: ${why}`,
      );
    }
    return tf.cast(x!, "int32");
  };
}

function cast(ctx: LowerContext<"cast">): KernelFn {
  const from = ctx.inputs[0]!.dtype;
  const to = ctx.attrs.dtype;
  if (tfDType(from) === tfDType(to)) return ([x]) => tf.clone(x!);
  if (to === "bool") return ([x]) => toBool(x!);
  if (isFloating(from)) return floatToInt(ctx);
  return ([x]) => tf.cast(x!, tfDType(to));
}

export const pointwiseLowerings: LoweringsFor<PointwiseOp> = {
  neg: unary(tf.neg),
  abs: unary(tf.abs),
  // TF.js's Sign maps NaN to 0; the IR keeps NaN (as NumPy and JAX).
  sign: (ctx) =>
    isFloat(ctx.inputs[0]!) ? ([x]) => tf.where(tf.isNaN(x!), x!, tf.sign(x!)) : ([x]) => tf.sign(x!),
  exp: unary(tf.exp),
  log: unary(tf.log),
  sqrt: unary(tf.sqrt),
  rsqrt: unary(tf.rsqrt),
  reciprocal: unary(tf.reciprocal),
  sin: unary(tf.sin),
  cos: unary(tf.cos),
  tanh: unary(tf.tanh),
  sigmoid: unary(tf.sigmoid),
  // TF.js's Relu keeps NaN and maps -0 to 0 on cpu and wasm, as the reference does.
  relu: unary(tf.relu),
  erf: unary(erf),
  logicalNot: (ctx) =>
    ctx.inputs[0]!.dtype === "bool"
      ? ([x]) => tf.logicalNot(x!)
      : ([x]) => tf.equal(x!, tf.scalar(0, x!.dtype)),
  add: binary(tf.add),
  sub: binary(tf.sub),
  mul: (ctx) => (isFloat(ctx.inputs[0]!) ? ([a, b]) => tf.mul(a!, b!) : hostInt(ctx, Math.imul)),
  div: (ctx) =>
    isFloat(ctx.inputs[0]!)
      ? ([a, b]) => tf.div(a!, b!)
      : hostInt(ctx, (a, b) => (b === 0 ? divByZero(a) : Math.trunc(a / b))),
  pow: (ctx) => (isFloat(ctx.inputs[0]!) ? floatPow(ctx) : hostInt(ctx, powInt)),
  maximum: (ctx) => nanPropagating(ctx, tf.maximum),
  minimum: (ctx) => nanPropagating(ctx, tf.minimum),
  eq: binary(tf.equal),
  ne: binary(tf.notEqual),
  lt: binary(tf.less),
  le: binary(tf.lessEqual),
  gt: binary(tf.greater),
  ge: binary(tf.greaterEqual),
  logicalAnd: binary(tf.logicalAnd),
  logicalOr: binary(tf.logicalOr),
  where: (ctx) => {
    const shape = ctx.out.shape;
    return ([c, a, b]) => select(c!, a!, b!, shape);
  },
  cast,
};

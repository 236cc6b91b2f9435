import { type DType, isFloating } from "@aotjs/ir";
import { dispatch } from "../dispatch.js";
import type { Tensor } from "../tensor.js";
import { asTensor, promoteFor, type TensorLike, toFloat } from "./operands.js";

type FloatUnary =
  | "exp"
  | "log"
  | "sqrt"
  | "rsqrt"
  | "reciprocal"
  | "sin"
  | "cos"
  | "tanh"
  | "sigmoid"
  | "erf";
type NumericUnary = "neg" | "abs" | "sign" | "relu";

/** Float-only math promotes integer inputs to float32 first, as torch does. */
export const floatUnary = (op: FloatUnary, x: Tensor): Tensor => dispatch(op, [toFloat(x)]);
export const numericUnary = (op: NumericUnary, x: Tensor): Tensor => dispatch(op, [x]);
export const logicalNot = (x: Tensor): Tensor => dispatch("logicalNot", [x]);

type Arith = "add" | "sub" | "mul" | "pow" | "maximum" | "minimum";
type Compare = "eq" | "ne" | "lt" | "le" | "gt" | "ge";

/** Both operands are brought to PyTorch's result dtype, then the IR op (which wants one dtype) runs. */
export function arith(op: Arith, a: TensorLike, b: TensorLike): Tensor {
  const dtype = promoteFor(op, [a, b]);
  return dispatch(op, [asTensor(a, dtype, op), asTensor(b, dtype, op)]);
}

/** True division, as torch.div: integer operands divide as float32. */
export function div(a: TensorLike, b: TensorLike): Tensor {
  let dtype: DType = promoteFor("div", [a, b]);
  if (!isFloating(dtype)) dtype = "float32";
  return dispatch("div", [asTensor(a, dtype, "div"), asTensor(b, dtype, "div")]);
}

export function compare(op: Compare, a: TensorLike, b: TensorLike): Tensor {
  const dtype = promoteFor(op, [a, b]);
  return dispatch(op, [asTensor(a, dtype, op), asTensor(b, dtype, op)]);
}

export function logical(op: "logicalAnd" | "logicalOr", a: TensorLike, b: TensorLike): Tensor {
  return dispatch(op, [asTensor(a, "bool", op), asTensor(b, "bool", op)]);
}

/** torch.where(condition, a, b); a non-bool condition means `!= 0`. */
export function where(condition: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  const dtype = promoteFor("where", [a, b]);
  return dispatch("where", [
    asTensor(condition, "bool", "where"),
    asTensor(a, dtype, "where"),
    asTensor(b, dtype, "where"),
  ]);
}

export const cast = (x: Tensor, dtype: DType): Tensor =>
  x.dtype === dtype ? x : dispatch("cast", [x], { dtype });

/** clamp(min, max) as maximum/minimum, so NaN propagates as in torch.clamp. */
export function clamp(x: Tensor, min?: number, max?: number): Tensor {
  let y = x;
  if (min !== undefined) y = arith("maximum", y, min);
  if (max !== undefined) y = arith("minimum", y, max);
  return y;
}

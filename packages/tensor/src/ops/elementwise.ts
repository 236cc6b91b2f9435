import { type BinaryOpNameWithResult, type DType, isFloating, type PointwiseOpNameOf } from "@aotjs/ir";
import { dispatch } from "../dispatch.js";
import type { Tensor } from "../tensor.js";
import { asTensor, promoteFor, type TensorLike, toFloat } from "./operands.js";

// The groups come from each catalog entry's `domain` and `result`, so a new op lands in one of them.
type FloatUnary = PointwiseOpNameOf<"unary", "float">;
type NumericUnary = PointwiseOpNameOf<"unary", "numeric">;
type AnyUnary = PointwiseOpNameOf<"unary", "any">;

/** Float-only math promotes integer inputs to float32 first, as torch does. */
export const floatUnary = (op: FloatUnary, x: Tensor): Tensor => dispatch(op, [toFloat(x)]);
export const numericUnary = (op: NumericUnary, x: Tensor): Tensor => dispatch(op, [x]);
export const anyUnary = (op: AnyUnary, x: Tensor): Tensor => dispatch(op, [x]);

type Logical = PointwiseOpNameOf<"binary", "bool">;
/** `div` is true division (its own helper below), as torch.div. */
type Arith = Exclude<BinaryOpNameWithResult<"same">, "div">;
type Compare = Exclude<BinaryOpNameWithResult<"bool">, Logical>;

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

export function logical(op: Logical, a: TensorLike, b: TensorLike): Tensor {
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

/** `x` cast to `dtype`. */
export const cast = (x: Tensor, dtype: DType): Tensor =>
  x.dtype === dtype ? x : dispatch("cast", [x], { dtype });

/** clamp(min, max) as maximum/minimum, so NaN propagates as in torch.clamp. */
export function clamp(x: Tensor, min?: number, max?: number): Tensor {
  let y = x;
  if (min !== undefined) y = arith("maximum", y, min);
  if (max !== undefined) y = arith("minimum", y, max);
  return y;
}

import type { DType } from "@aotjs/ir";
import type { LoweringContext } from "../context.js";

/**
 * `fast()`, a lowering exact only on inputs without NaN (`flag: "nan"`) or without inf and NaN
 * (`"nonFinite"`), unless x's sum flags such a value; then `exact()`. One ONNX If on one
 * reduction: the sum is NaN when x holds a NaN, and the sum minus itself is NaN when the sum is
 * inf or NaN, which it is whenever x holds one (a finite sum that overflows, or +inf beside -inf,
 * also takes the exact path: slower, never wrong).
 */
export function unlessSumFlags(
  ctx: LoweringContext,
  x: string,
  flag: "nan" | "nonFinite",
  dtype: DType,
  exact: () => string,
  fast: () => string,
  out?: string,
): string {
  const sum = ctx.reduce("ReduceSum", x, null, false);
  const flagged = ctx.op("IsNaN", [flag === "nan" ? sum : ctx.op("Sub", [sum, sum])]);
  return ctx.branch(flagged, dtype, exact, fast, out);
}

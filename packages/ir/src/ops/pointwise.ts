import { attr } from "../attrs.js";
import type { DTypeKind } from "../dtype.js";
import { broadcastShapes, defineOp, requireKind, requireSameDType } from "./define.js";

const unary = (kinds: DTypeKind[], doc: string) =>
  defineOp({
    category: "pointwise",
    inputs: ["x"],
    attrs: {},
    infer: ([x]) => {
      requireKind(x!, "x", ...kinds);
      return { shape: x!.shape, dtype: x!.dtype };
    },
    doc,
  });

const FLOAT: DTypeKind[] = ["float"];
const NUMERIC: DTypeKind[] = ["float", "int"];

/** Binary ops broadcast; both inputs must share one dtype (the eager layer inserts casts). */
const binary = (kinds: DTypeKind[], result: "same" | "bool", doc: string) =>
  defineOp({
    category: "pointwise",
    inputs: ["a", "b"],
    attrs: {},
    infer: ([a, b]) => {
      const dtype = requireSameDType([a!, b!], ["a", "b"]);
      requireKind(a!, "a", ...kinds);
      return { shape: broadcastShapes(a!.shape, b!.shape), dtype: result === "bool" ? "bool" : dtype };
    },
    doc,
  });

export const pointwiseOps = {
  neg: unary(NUMERIC, "-x"),
  abs: unary(NUMERIC, "|x|"),
  sign: unary(NUMERIC, "-1, 0 or 1 by the sign of x; NaN for NaN (as NumPy and JAX)"),
  exp: unary(FLOAT, "e^x"),
  log: unary(FLOAT, "natural log"),
  sqrt: unary(FLOAT, "square root"),
  rsqrt: unary(FLOAT, "1 / sqrt(x)"),
  reciprocal: unary(FLOAT, "1 / x"),
  sin: unary(FLOAT, "sine"),
  cos: unary(FLOAT, "cosine"),
  tanh: unary(FLOAT, "hyperbolic tangent"),
  sigmoid: unary(FLOAT, "1 / (1 + e^-x)"),
  relu: unary(NUMERIC, "max(x, 0)"),
  erf: unary(FLOAT, "the error function"),
  logicalNot: defineOp({
    category: "pointwise",
    inputs: ["x"],
    attrs: {},
    infer: ([x]) => ({ shape: x!.shape, dtype: "bool" }),
    doc: "x == 0, as bool, for any dtype",
  }),
  add: binary(NUMERIC, "same", "a + b"),
  sub: binary(NUMERIC, "same", "a - b"),
  mul: binary(NUMERIC, "same", "a * b"),
  div: binary(
    NUMERIC,
    "same",
    "a / b. On integer dtypes it truncates toward zero, as C and ONNX do; division by zero is an error in " +
      "the reference kernels. (The eager `Tensor.div` casts integers to float first, as torch.div does.)",
  ),
  pow: binary(NUMERIC, "same", "a ** b"),
  maximum: binary(NUMERIC, "same", "elementwise max; NaN propagates"),
  minimum: binary(NUMERIC, "same", "elementwise min; NaN propagates"),
  eq: binary(["float", "int", "bool"], "bool", "a == b"),
  ne: binary(["float", "int", "bool"], "bool", "a != b"),
  lt: binary(NUMERIC, "bool", "a < b"),
  le: binary(NUMERIC, "bool", "a <= b"),
  gt: binary(NUMERIC, "bool", "a > b"),
  ge: binary(NUMERIC, "bool", "a >= b"),
  logicalAnd: binary(["bool"], "bool", "a && b on bools"),
  logicalOr: binary(["bool"], "bool", "a || b on bools"),
  where: defineOp({
    category: "pointwise",
    inputs: ["condition", "a", "b"],
    attrs: {},
    infer: ([c, a, b]) => {
      requireKind(c!, "condition", "bool");
      const dtype = requireSameDType([a!, b!], ["a", "b"]);
      return { shape: broadcastShapes(c!.shape, a!.shape, b!.shape), dtype };
    },
    doc: "condition ? a : b, broadcasting all three",
  }),
  cast: defineOp({
    category: "pointwise",
    inputs: ["x"],
    attrs: { dtype: attr.dtype() },
    infer: ([x], { dtype }) => ({ shape: x!.shape, dtype }),
    doc: "convert to dtype: float to int truncates toward zero; anything to bool is x != 0",
  }),
};

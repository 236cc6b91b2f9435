import { attr } from "../attrs.js";
import {
  broadcastShapes,
  definePointwise,
  domainKinds,
  type OpDomain,
  requireKind,
  requireSameDType,
} from "./define.js";

const unary = <const D extends OpDomain>(domain: D, doc: string) =>
  definePointwise({
    category: "pointwise",
    kind: "unary",
    domain,
    inputs: ["x"],
    attrs: {},
    infer: ([x]) => {
      requireKind(x!, "x", ...domainKinds[domain]);
      return { shape: x!.shape, dtype: x!.dtype };
    },
    doc,
  });

/**
 * Binary ops broadcast; both inputs must share one dtype (the eager layer inserts casts). `result`
 * is a literal type too: comparisons (`"bool"`) and arithmetic (`"same"`) get different Tensor helpers.
 */
const binary = <const D extends OpDomain, const R extends "same" | "bool">(
  domain: D,
  result: R,
  doc: string,
) => ({
  ...definePointwise({
    category: "pointwise",
    kind: "binary",
    domain,
    inputs: ["a", "b"],
    attrs: {},
    infer: ([a, b]) => {
      const dtype = requireSameDType([a!, b!], ["a", "b"]);
      requireKind(a!, "a", ...domainKinds[domain]);
      return { shape: broadcastShapes(a!.shape, b!.shape), dtype: result === "bool" ? "bool" : dtype };
    },
    doc,
  }),
  result,
});

export const pointwiseOps = {
  neg: unary("numeric", "-x"),
  abs: unary("numeric", "|x|"),
  sign: unary("numeric", "-1, 0 or 1 by the sign of x; NaN for NaN (as NumPy and JAX)"),
  exp: unary("float", "e^x"),
  log: unary("float", "natural log"),
  sqrt: unary("float", "square root"),
  rsqrt: unary("float", "1 / sqrt(x)"),
  reciprocal: unary("float", "1 / x"),
  sin: unary("float", "sine"),
  cos: unary("float", "cosine"),
  tanh: unary("float", "hyperbolic tangent"),
  sigmoid: unary("float", "1 / (1 + e^-x)"),
  relu: unary("numeric", "max(x, 0)"),
  erf: unary("float", "the error function"),
  logicalNot: definePointwise({
    category: "pointwise",
    kind: "unary",
    domain: "any",
    inputs: ["x"],
    attrs: {},
    infer: ([x]) => ({ shape: x!.shape, dtype: "bool" }),
    doc: "x == 0, as bool, for any dtype",
  }),
  add: binary("numeric", "same", "a + b"),
  sub: binary("numeric", "same", "a - b"),
  mul: binary("numeric", "same", "a * b"),
  div: binary(
    "numeric",
    "same",
    "a / b. On integer dtypes it truncates toward zero, as C and ONNX do; division by zero is an error in " +
      "the reference kernels. (The eager `Tensor.div` casts integers to float first, as torch.div does.)",
  ),
  pow: binary("numeric", "same", "a ** b"),
  maximum: binary("numeric", "same", "elementwise max; NaN propagates"),
  minimum: binary("numeric", "same", "elementwise min; NaN propagates"),
  eq: binary("any", "bool", "a == b"),
  ne: binary("any", "bool", "a != b"),
  lt: binary("numeric", "bool", "a < b"),
  le: binary("numeric", "bool", "a <= b"),
  gt: binary("numeric", "bool", "a > b"),
  ge: binary("numeric", "bool", "a >= b"),
  logicalAnd: binary("bool", "bool", "a && b on bools"),
  logicalOr: binary("bool", "bool", "a || b on bools"),
  where: definePointwise({
    category: "pointwise",
    kind: "ternary",
    domain: "any",
    inputs: ["condition", "a", "b"],
    attrs: {},
    infer: ([c, a, b]) => {
      requireKind(c!, "condition", "bool");
      const dtype = requireSameDType([a!, b!], ["a", "b"]);
      return { shape: broadcastShapes(c!.shape, a!.shape, b!.shape), dtype };
    },
    doc: "condition ? a : b, broadcasting all three",
  }),
  cast: definePointwise({
    category: "pointwise",
    kind: "cast",
    domain: "any",
    inputs: ["x"],
    attrs: { dtype: attr.dtype() },
    infer: ([x], { dtype }) => ({ shape: x!.shape, dtype }),
    doc: "convert to dtype: float to int truncates toward zero; anything to bool is x != 0",
  }),
};

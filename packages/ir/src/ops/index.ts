import type { Attrs, AttrsInput } from "../attrs.js";
import { compositeOps } from "./composite.js";
import { computeOps } from "./compute.js";
import { creationOps } from "./creation.js";
import { layoutOps } from "./layout.js";
import { pointwiseOps } from "./pointwise.js";
import { reductionOps } from "./reduction.js";

/**
 * The op catalog: one entry per core op. Every table elsewhere (kernels, derivatives, lowerings)
 * is a mapped type over `OpName`, so adding an op here is a compile error until each table has it.
 */
export const catalog = {
  ...pointwiseOps,
  ...reductionOps,
  ...layoutOps,
  ...computeOps,
  ...creationOps,
  ...compositeOps,
};

export type Catalog = typeof catalog;
export type OpName = keyof Catalog;
/** The attributes a node of op K stores (defaults filled). */
export type OpAttrs<K extends OpName> = Attrs<Catalog[K]["attrs"]>;
/** The attributes a caller passes for op K (defaults optional). */
export type OpAttrsInput<K extends OpName> = AttrsInput<Catalog[K]["attrs"]>;

/** The catalog's groups by file, for tables that split by kind (kernels, rules, lowerings). */
export type PointwiseOpName = keyof typeof pointwiseOps;
export type ReductionOpName = keyof typeof reductionOps;
export type LayoutOpName = keyof typeof layoutOps;
export type ComputeOpName = keyof typeof computeOps;
export type CreationOpName = keyof typeof creationOps;
/** Ops with a default decomposition into core ops, kept whole for backends that run them natively. */
export type CompositeOpName = keyof typeof compositeOps;
export const compositeOpNames = Object.keys(compositeOps) as CompositeOpName[];
/** Pointwise ops with one tensor input and no attributes (`cast` has one). */
export const unaryOpNames = [
  "neg",
  "abs",
  "sign",
  "exp",
  "log",
  "sqrt",
  "rsqrt",
  "reciprocal",
  "sin",
  "cos",
  "tanh",
  "sigmoid",
  "relu",
  "erf",
  "logicalNot",
] as const satisfies readonly PointwiseOpName[];
export type UnaryOpName = (typeof unaryOpNames)[number];
/** Pointwise ops with two broadcasting tensor inputs. */
export type BinaryOpName = Exclude<PointwiseOpName, UnaryOpName | "where" | "cast">;

export const opNames = Object.keys(catalog) as OpName[];
export const isOpName = (x: unknown): x is OpName => typeof x === "string" && Object.hasOwn(catalog, x);

export { conv2dShape, pool2dShape, windowOutputSize } from "./compute.js";
export type { OpCategory, OpDef } from "./define.js";
export { broadcastShapes } from "./define.js";
export { reducedShape } from "./reduction.js";

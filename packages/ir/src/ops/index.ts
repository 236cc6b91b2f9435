import type { Attrs, AttrsInput } from "../attrs.js";
import { compositeOps } from "./composite.js";
import { computeOps } from "./compute.js";
import { creationOps } from "./creation.js";
import type { ComputeKind, OpDomain, PointwiseKind } from "./define.js";
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

/** The type of the op catalog, one entry per op. */
export type Catalog = typeof catalog;
/** The name of any op in the catalog. */
export type OpName = keyof Catalog;
/** The attributes a node of op K stores (defaults filled). */
export type OpAttrs<K extends OpName> = Attrs<Catalog[K]["attrs"]>;
/** The attributes a caller passes for op K (defaults optional). */
export type OpAttrsInput<K extends OpName> = AttrsInput<Catalog[K]["attrs"]>;

/** The catalog's groups by file, for tables that split by kind (kernels, rules, lowerings). */
export type PointwiseOpName = keyof typeof pointwiseOps;
/** A reduction op's name. */
export type ReductionOpName = keyof typeof reductionOps;
/** A layout (view, shape) op's name. */
export type LayoutOpName = keyof typeof layoutOps;
/** A compute-heavy op's name. */
export type ComputeOpName = keyof typeof computeOps;
/** A creation op's name (full, arange, ...). */
export type CreationOpName = keyof typeof creationOps;
/** Ops with a default decomposition into core ops, kept whole for backends that run them natively. */
export type CompositeOpName = keyof typeof compositeOps;
/** Every composite op's name. */
export const compositeOpNames = Object.keys(compositeOps) as CompositeOpName[];

type PointwiseOps = typeof pointwiseOps;
/**
 * The pointwise ops of one `kind` (and, optionally, one `domain`), read from the catalog entries'
 * literal types: a new entry lands in exactly the tables of its kind.
 */
export type PointwiseOpNameOf<K extends PointwiseKind, D extends OpDomain = OpDomain> = {
  [N in PointwiseOpName]: PointwiseOps[N]["kind"] extends K
    ? PointwiseOps[N]["domain"] extends D
      ? N
      : never
    : never;
}[PointwiseOpName];
/** Pointwise ops with one tensor input and no attributes (`cast`, which has one, is its own kind). */
export type UnaryOpName = PointwiseOpNameOf<"unary">;
/** Pointwise ops with two broadcasting tensor inputs of one dtype. */
export type BinaryOpName = PointwiseOpNameOf<"binary">;
/** `where`: a bool condition and two broadcasting branches. */
export type TernaryOpName = PointwiseOpNameOf<"ternary">;
/** Binary ops by result: comparisons and logic give bool, arithmetic keeps its inputs' dtype. */
export type BinaryOpNameWithResult<R extends "same" | "bool"> = {
  [N in BinaryOpName]: PointwiseOps[N]["result"] extends R ? N : never;
}[BinaryOpName];

type ComputeOps = typeof computeOps;
/** The compute-heavy ops of one `kind`: matrix products, convolutions, pooling. */
export type ComputeOpNameOf<K extends ComputeKind> = {
  [N in ComputeOpName]: ComputeOps[N]["kind"] extends K ? N : never;
}[ComputeOpName];
/** A matrix-product op's name. */
export type MatmulOpName = ComputeOpNameOf<"matmul">;
/** A convolution op's name. */
export type ConvOpName = ComputeOpNameOf<"conv">;
/** A pooling op's name. */
export type PoolOpName = ComputeOpNameOf<"pool">;

const pointwiseOpNames = Object.keys(pointwiseOps) as PointwiseOpName[];
const pointwiseOfKind = <K extends PointwiseKind>(kind: K) =>
  pointwiseOpNames.filter((n) => pointwiseOps[n].kind === kind) as PointwiseOpNameOf<K>[];
/** Every unary pointwise op's name. */
export const unaryOpNames: readonly UnaryOpName[] = pointwiseOfKind("unary");
/** Every binary pointwise op's name. */
export const binaryOpNames: readonly BinaryOpName[] = pointwiseOfKind("binary");
/** Every ternary pointwise op's name. */
export const ternaryOpNames: readonly TernaryOpName[] = pointwiseOfKind("ternary");
const computeOpNames = Object.keys(computeOps) as ComputeOpName[];
const computeOfKind = <K extends ComputeKind>(kind: K) =>
  computeOpNames.filter((n) => computeOps[n].kind === kind) as ComputeOpNameOf<K>[];
/** Every matrix-product op's name. */
export const matmulOpNames: readonly MatmulOpName[] = computeOfKind("matmul");
/** Every convolution op's name. */
export const convOpNames: readonly ConvOpName[] = computeOfKind("conv");
/** Every pooling op's name. */
export const poolOpNames: readonly PoolOpName[] = computeOfKind("pool");

/** Every op name in the catalog. */
export const opNames = Object.keys(catalog) as OpName[];
/** Whether `x` names an op in the catalog. */
export const isOpName = (x: unknown): x is OpName => typeof x === "string" && Object.hasOwn(catalog, x);

export { conv2dShape, pool2dShape, windowOutputSize } from "./compute.js";
export type {
  ComputeKind,
  ComputeOpDef,
  OpCategory,
  OpDef,
  OpDomain,
  PointwiseKind,
  PointwiseOpDef,
} from "./define.js";
export { broadcastShapes, domainKinds } from "./define.js";
export { reducedShape } from "./reduction.js";

import type { AttrSchema, Attrs } from "../attrs.js";
import { type DType, type DTypeKind, dtypeInfo } from "../dtype.js";
import { ShapeError } from "../errors.js";
import { formatMeta, type TensorMeta } from "../tensor-data.js";

/**
 * How the partitioner and drawer treat an op. `compute-heavy` ops are not recomputed by default;
 * `random` ops are pure functions of their seed and offset inputs but are still never recomputed
 * by default, and `creation` ops have no tensor inputs.
 */
export type OpCategory = "pointwise" | "reduction" | "layout" | "compute-heavy" | "random" | "creation";

/** A catalog entry: category, input names, attribute schema, shape and dtype rule. */
export interface OpDef<S extends AttrSchema = AttrSchema> {
  readonly category: OpCategory;
  /** Input names, for docs and errors. With `variadic`, the one name repeats (at least once). */
  readonly inputs: readonly string[];
  readonly variadic?: boolean;
  readonly attrs: S;
  /** The shape and dtype rule. Throws `ShapeError` with a message that stands on its own. */
  readonly infer: (inputs: readonly TensorMeta[], attrs: Attrs<S>) => TensorMeta;
  readonly doc: string;
}

export const defineOp = <const S extends AttrSchema>(def: OpDef<S>): OpDef<S> => def;

/**
 * Which pointwise tables hold an op (kernels, rules and lowerings are split this way): `unary` has
 * one tensor input and no attributes, `binary` two broadcasting inputs of one dtype, `ternary` is
 * `where`, `cast` has one input and a target dtype.
 */
export type PointwiseKind = "unary" | "binary" | "ternary" | "cast";
/**
 * The dtypes an op's data inputs take: floating only (the eager layer promotes integers to
 * float32 first, as torch does), floating and integer, bool only, or any dtype.
 */
export type OpDomain = "float" | "numeric" | "bool" | "any";

/** The dtype kinds each input domain accepts. */
export const domainKinds: { readonly [D in OpDomain]: readonly DTypeKind[] } = {
  float: ["float"],
  numeric: ["float", "int"],
  bool: ["bool"],
  any: ["float", "int", "bool"],
};

/** A pointwise op: its `kind` and `domain` are literal types, so the op-name groups derive from them. */
export interface PointwiseOpDef<
  S extends AttrSchema = AttrSchema,
  K extends PointwiseKind = PointwiseKind,
  D extends OpDomain = OpDomain,
> extends OpDef<S> {
  readonly category: "pointwise";
  readonly kind: K;
  readonly domain: D;
}

export const definePointwise = <
  const S extends AttrSchema,
  const K extends PointwiseKind,
  const D extends OpDomain,
>(
  def: PointwiseOpDef<S, K, D>,
): PointwiseOpDef<S, K, D> => def;

/** Which compute-heavy tables hold an op: matrix products, convolutions, or pooling. */
export type ComputeKind = "matmul" | "conv" | "pool";

/** A compute-heavy catalog entry, tagged with its kind (matmul, conv, pool). */
export interface ComputeOpDef<S extends AttrSchema = AttrSchema, K extends ComputeKind = ComputeKind>
  extends OpDef<S> {
  readonly category: "compute-heavy";
  readonly kind: K;
}

export const defineCompute = <const S extends AttrSchema, const K extends ComputeKind>(
  def: ComputeOpDef<S, K>,
): ComputeOpDef<S, K> => def;

// ---- helpers shared by the shape rules ----

export function fail(message: string): never {
  throw new ShapeError(message);
}

export function requireKind(m: TensorMeta, input: string, ...kinds: readonly DTypeKind[]): void {
  if (!kinds.includes(dtypeInfo[m.dtype].kind)) {
    const want = kinds
      .map((k) => (k === "float" ? "floating" : k === "int" ? "integer" : "bool"))
      .join(" or ");
    fail(`${input} must be ${want}, got ${m.dtype}`);
  }
}

export function requireSameDType(ms: readonly TensorMeta[], names: readonly string[]): DType {
  const first = ms[0]!.dtype;
  ms.forEach((m, i) => {
    if (m.dtype !== first) {
      fail(
        `${names[i]} has dtype ${m.dtype} but ${names[0]} has ${first}; insert a cast (the IR does not promote)`,
      );
    }
  });
  return first;
}

export function requireRank(m: TensorMeta, input: string, rank: number): void {
  if (m.shape.length !== rank) fail(`${input} must have rank ${rank}, got ${formatMeta(m)}`);
}

/** NumPy/PyTorch broadcasting: align trailing dims; each pair must be equal or contain a 1. */
export function broadcastShapes(...shapes: (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: number[] = new Array(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i]!;
      if (d === out[o] || d === 1) continue;
      if (out[o] === 1) out[o] = d;
      else
        fail(
          `shapes ${shapes.map((x) => `[${x.join(",")}]`).join(" and ")} do not broadcast (dim ${o}: ${out[o]} vs ${d})`,
        );
    }
  }
  return out;
}

/** Dims must be canonical: in [0, rank), unique. The eager layer normalizes negative dims. */
export function checkDims(dims: readonly number[], rank: number, what = "dims"): void {
  const seen = new Set<number>();
  for (const d of dims) {
    if (d < 0 || d >= rank)
      fail(`${what} ${d} is out of range for rank ${rank} (the IR takes dims in [0, ${rank}))`);
    if (seen.has(d)) fail(`${what} lists dim ${d} twice`);
    seen.add(d);
  }
}

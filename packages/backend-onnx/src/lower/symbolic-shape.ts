import {
  constPoly,
  type Dim,
  decodeNumber,
  describeNode,
  formatDim,
  type Graph,
  isSymExpr,
  MARKER_SETS,
  mulPoly,
  type Poly,
  type SymExpr,
  specialize,
  symExpr,
  symPoly,
} from "@aotjs/ir";
import type { NodeProto } from "onnx-buf";
import type { LoweringContext } from "../context.js";
import { OnnxBackendError } from "../errors.js";
import type { OnnxType } from "../proto.js";
import { CAST_TO } from "./types.js";

/**
 * A symbolic graph that cannot become one ONNX model for every size (a symbol no input carries as
 * a plain dim, a size that ends up in an attribute or in a constant's shape). `onnxCompiler`
 * catches it and compiles the graph at its hints instead, so aot compiles once per size.
 */
export class NotSymbolicError extends OnnxBackendError {}

/**
 * How a symbolic graph is lowered without teaching every lowering about symbols: the graph is
 * specialized at marker sizes (large primes, `MARKER_SETS`) and lowered as a static graph; every
 * number that a lowering derived from a size then reads back as a polynomial of the symbols. A
 * constant holding such a number (a Reshape's shape, a mean's 1/N, Slice ends) becomes a runtime
 * value computed from the inputs' `Shape`s, so the same model serves every size. Sizes that land
 * where ONNX takes no input (an attribute, the shape of an initializer) cannot, and raise
 * `NotSymbolicError`.
 */
export class SymbolicSizes {
  readonly markers: ReadonlyMap<string, number>;
  /** The graph at the marker sizes: what the lowerings see. */
  readonly graph: Graph;
  readonly #sources = new Map<string, { readonly input: string; readonly axis: number }>();
  /** int64[1] values already emitted, by polynomial. */
  readonly #polys = new Map<string, string>();

  constructor(
    readonly symbolicGraph: Graph,
    onnxInputs: ReadonlySet<string>,
  ) {
    const symbols = symbolicGraph.symbolic?.symbols ?? [];
    if (symbols.length > MARKER_SETS[0]!.length)
      throw new NotSymbolicError(`graph '${symbolicGraph.name}' has ${symbols.length} symbols`);
    this.markers = new Map(symbols.map((s, i) => [s.name, MARKER_SETS[0]![i]!]));
    for (const v of symbolicGraph.inputs) {
      if (!onnxInputs.has(v.name)) continue;
      (symbolicGraph.symbolic?.shapes[v.name] ?? []).forEach((d, axis) => {
        if (typeof d === "number") return;
        const name = formatDim(d);
        if (this.markers.has(name) && !this.#sources.has(name))
          this.#sources.set(name, { input: v.name, axis });
      });
    }
    for (const s of symbols)
      if (!this.#sources.has(s.name))
        throw new NotSymbolicError(
          `graph '${symbolicGraph.name}': no ONNX input has symbol ${s.name} as a plain dim to read it from`,
        );
    this.graph = specialize(symbolicGraph, this.markers);
  }

  #decode(v: number | bigint): Dim {
    const n = Number(v);
    const d = decodeNumber(n, this.markers);
    if (isSymExpr(d) || !Number.isFinite(n) || n === 0) return d;
    // decodeNumber keeps coefficients below 20000, as sizes in shapes are; a lowering also
    // multiplies whole shapes out (a flat scatter's N*C*H*W = 65536*B), exact multiples of the
    // prime markers, which read back without ambiguity.
    if (Number.isInteger(n)) return this.#monomial(n) ?? d;
    const inv = 1 / n;
    const m =
      Math.abs(inv - Math.round(inv)) <= 1e-6 * Math.abs(inv) ? this.#monomial(Math.round(inv)) : undefined;
    return m ? symExpr(constPoly(1), m.num) : d;
  }

  #monomial(n: number): SymExpr | undefined {
    let rest = n;
    let poly: Poly | undefined;
    for (const [name, p] of this.markers)
      while (Number.isSafeInteger(rest) && rest % p === 0) {
        rest /= p;
        poly = mulPoly(poly ?? constPoly(1), symPoly(name));
      }
    return poly && Number.isSafeInteger(rest) ? symExpr(mulPoly(poly, constPoly(rest))) : undefined;
  }

  /** Whether a number a lowering holds reads as a size expression at the markers. */
  dependsOnSymbols(v: number | bigint): boolean {
    return isSymExpr(this.#decode(v));
  }

  /**
   * The runtime value of a constant whose values depend on the symbols, or undefined when none
   * does (the constant stays an initializer).
   */
  constant(
    ctx: LoweringContext,
    dtype: OnnxType,
    shape: readonly number[],
    values: ArrayLike<number | bigint>,
  ): string | undefined {
    if (dtype === "bool") return undefined;
    const dims: Dim[] = [];
    let symbolic = false;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      // Sizes are integers ≥ 20000 at the markers, or their reciprocals and ratios: skip the rest fast.
      const n = Number(v);
      const d =
        Math.abs(n) >= 2e4 || (n !== 0 && Math.abs(n) < 1e-4) || (n > 1 && n < 2) ? this.#decode(v) : n;
      if (isSymExpr(d)) symbolic = true;
      dims.push(d);
    }
    if (shape.some((d) => isSymExpr(this.#decode(d))))
      throw new NotSymbolicError(
        `cannot lower ${describeNode(ctx.node)} symbolically: it builds a constant of shape [${shape}] that grows with a symbol`,
      );
    if (!symbolic) return undefined;
    if ((dtype === "int32" || dtype === "int64") && dims.some((d) => isSymExpr(d) && !isOne(d.den)))
      throw new NotSymbolicError(
        `cannot lower ${describeNode(ctx.node)} symbolically: an integer constant reads as a fraction of sizes`,
      );
    const pieces: string[] = [];
    let run: number[] = [];
    const flush = () => {
      if (run.length) pieces.push(ctx.staticConstant(dtype, [run.length], run));
      run = [];
    };
    for (const d of dims) {
      if (!isSymExpr(d)) {
        run.push(d);
        continue;
      }
      flush();
      const num = this.#cast(ctx, this.#poly(ctx, d.num), dtype);
      pieces.push(isOne(d.den) ? num : ctx.op("Div", [num, this.#cast(ctx, this.#poly(ctx, d.den), dtype)]));
    }
    flush();
    const flat = pieces.length === 1 ? pieces[0]! : ctx.op("Concat", pieces, { axis: { int: 0 } });
    return shape.length === 1
      ? flat
      : ctx.op("Reshape", [flat, ctx.staticConstant("int64", [shape.length], shape)]);
  }

  #cast(ctx: LoweringContext, int64: string, dtype: OnnxType): string {
    return dtype === "int64"
      ? int64
      : ctx.op("Cast", [int64], { to: { int: CAST_TO[dtype as keyof typeof CAST_TO] } });
  }

  /** A polynomial of the symbols as an int64[1], from the inputs' shapes. */
  #poly(ctx: LoweringContext, p: Poly): string {
    const key = JSON.stringify(p.terms);
    const hit = this.#polys.get(key);
    if (hit) return hit;
    const terms = p.terms.map((t) => {
      let v: string | undefined =
        t.coef === 1 && t.vars.length ? undefined : ctx.staticConstant("int64", [1], [t.coef]);
      for (const [name, power] of t.vars)
        for (let k = 0; k < power; k++) {
          const s = this.#symbol(ctx, name);
          v = v === undefined ? s : ctx.op("Mul", [v, s]);
        }
      return v!;
    });
    const out =
      terms.length === 0
        ? ctx.staticConstant("int64", [1], [0])
        : terms.reduce((a, b) => ctx.op("Add", [a, b]));
    this.#polys.set(key, out);
    return out;
  }

  #symbol(ctx: LoweringContext, name: string): string {
    const key = `sym:${name}`;
    const hit = this.#polys.get(key);
    if (hit) return hit;
    const { input, axis } = this.#sources.get(name)!;
    const out = ctx.op(
      "Shape",
      [input],
      { start: { int: axis }, end: { int: axis + 1 } },
      ctx.unique(`sym_${name}`),
    );
    this.#polys.set(key, out);
    return out;
  }

  /** Sizes that a lowering wrote into an attribute cannot follow the symbols: find them. */
  checkAttributes(nodes: readonly NodeProto[]): void {
    for (const n of nodes)
      for (const a of n.attribute) {
        const ints = [a.i, ...a.ints];
        const bad = ints.find((i) => i !== 0n && isSymExpr(this.#decode(i)));
        if (bad !== undefined)
          throw new NotSymbolicError(
            `ONNX node '${n.name}' (${n.opType}, from ${n.docString}) takes size ${formatDim(this.#decode(bad))} in attribute '${a.name}'`,
          );
      }
  }
}

const isOne = (p: Poly) => p.terms.length === 1 && p.terms[0]!.vars.length === 0 && p.terms[0]!.coef === 1;

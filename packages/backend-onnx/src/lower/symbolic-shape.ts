import {
  constPoly,
  type Dim,
  decodeNumber,
  describeNode,
  dimEquals,
  evalPoly,
  formatDim,
  type Graph,
  isSymExpr,
  MARKER_SETS,
  mulPoly,
  type Poly,
  polyConstant,
  type SymExpr,
  scalePoly,
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
 * A size a symbolic model was specialized for: a lowering that picks its method by a size (a
 * short float sum's one ReduceSum) chose at the hints, and that choice holds while `size` is at
 * most `atMost`. A runner evaluates `size` at each call's symbols and, past the limit, runs a
 * model lowered without such choices (`onnxCompiler` does).
 */
export interface SizeLimit {
  readonly size: Dim;
  readonly atMost: number;
  /** What chose by the size: the node and its method. */
  readonly why: string;
}

/**
 * How a symbolic graph is lowered without teaching every lowering about symbols: the graph is
 * specialized at marker sizes (large primes, `MARKER_SETS`) and lowered as a static graph, twice,
 * once per marker set. A number that differs between the two lowerings was derived from a size;
 * it must read back as the same polynomial of the symbols from both (`decodeNumber`), and then a
 * constant holding it (a Reshape's shape, a mean's 1/N, Slice ends) becomes a runtime value
 * computed from the inputs' `Shape`s, so one model serves every size. A number equal in both is
 * static, whatever it reads as (LayerNorm's 1e-5 is 1/(2*T - 42) at the first markers). Sizes that
 * land where ONNX takes no input (an attribute, the shape of an initializer), or lowerings that
 * differ in structure between the sizes, raise `NotSymbolicError`.
 */
export class SymbolicSizes {
  readonly markers: ReadonlyMap<string, number>;
  readonly #twinMarkers: ReadonlyMap<string, number>;
  /** The graph at the first marker sizes: what the final lowering sees. */
  readonly graph: Graph;
  /** The graph at the second marker sizes: what the recording lowering sees. */
  readonly twin: Graph;
  readonly #sources = new Map<string, { readonly input: string; readonly axis: number }>();
  /** int64[1] values already emitted, by polynomial. */
  #polys = new Map<string, string>();
  /** The recording lowering's constant and tensor-attribute values, in call order. */
  readonly #calls: { readonly shape: readonly number[]; readonly values: readonly (number | bigint)[] }[] =
    [];
  #recording = true;
  #next = 0;
  #reference: readonly NodeProto[] = [];
  /** ONNX nodes emitted to compute sizes, which the recording lowering does not have. */
  readonly #helpers = new Set<NodeProto>();
  readonly #hints: ReadonlyMap<string, number>;
  /** With `nearHints`: the sizes this lowering's choices hold for. */
  readonly limits: SizeLimit[] = [];

  constructor(
    readonly symbolicGraph: Graph,
    onnxInputs: ReadonlySet<string>,
    /** Make size-dependent choices at the hints and record their `limits` (see `exceeds`). */
    readonly nearHints = false,
  ) {
    const symbols = symbolicGraph.symbolic?.symbols ?? [];
    if (symbols.length > MARKER_SETS[0]!.length)
      throw new NotSymbolicError(`graph '${symbolicGraph.name}' has ${symbols.length} symbols`);
    this.markers = new Map(symbols.map((s, i) => [s.name, MARKER_SETS[0]![i]!]));
    this.#twinMarkers = new Map(symbols.map((s, i) => [s.name, MARKER_SETS[1]![i]!]));
    this.#hints = new Map(symbols.map((s) => [s.name, s.hint]));
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
    this.twin = specialize(symbolicGraph, this.#twinMarkers);
  }

  /** End the recording lowering (of `twin`); the next lowering (of `graph`) is compared with it. */
  recorded(nodes: readonly NodeProto[]): void {
    this.#recording = false;
    this.#reference = nodes;
  }

  /**
   * Whether the product of `dims` (sizes in the graph being lowered) exceeds `limit`, for a
   * lowering that picks its method by it. Undefined when the product is static, or without
   * `nearHints`: the caller then compares the marker sizes, which are large, so it takes the method
   * that holds at every size. With `nearHints` the choice is made at the hints, and a choice for
   * "at most" is recorded as a `SizeLimit`.
   */
  exceeds(dims: readonly number[], limit: number, why: string): boolean | undefined {
    if (!this.nearHints) return undefined;
    const markers = this.#recording ? this.#twinMarkers : this.markers;
    let product = constPoly(1);
    for (const n of dims) {
      const d = this.#decode(n, markers);
      if (typeof d === "number") product = scalePoly(product, d);
      else if (isOne(d.den)) product = mulPoly(product, d.num);
      else return undefined;
    }
    if (polyConstant(product) !== undefined) return undefined;
    if (evalPoly(product, this.#hints) > limit) return true;
    if (!this.#recording) this.limits.push({ size: symExpr(product), atMost: limit, why });
    return false;
  }

  #decode(v: number | bigint, markers: ReadonlyMap<string, number>): Dim {
    const n = Number(v);
    const d = decodeNumber(n, markers);
    if (isSymExpr(d) || !Number.isFinite(n) || n === 0) return d;
    // decodeNumber keeps coefficients below 20000, as sizes in shapes are; a lowering also
    // multiplies whole shapes out (a flat scatter's N*C*H*W = 65536*B), exact multiples of the
    // prime markers, which read back without ambiguity.
    if (Number.isInteger(n)) return monomial(n, markers) ?? d;
    const inv = 1 / n;
    const m =
      Math.abs(inv - Math.round(inv)) <= 1e-6 * Math.abs(inv)
        ? monomial(Math.round(inv), markers)
        : undefined;
    return m ? symExpr(constPoly(1), m.num) : d;
  }

  /**
   * What the k-th number set of this lowering is: per element, a static number or the size
   * expression both lowerings agree on. Undefined while recording, or when nothing depends on a size.
   */
  #compare(
    ctx: LoweringContext,
    shape: readonly number[],
    values: ArrayLike<number | bigint>,
    what: string,
  ): Dim[] | undefined {
    const vs = Array.from(values);
    if (this.#recording) {
      this.#calls.push({ shape: [...shape], values: vs });
      return undefined;
    }
    const ref = this.#calls[this.#next++];
    const here = `cannot lower ${describeNode(ctx.node)} symbolically`;
    if (!ref || ref.values.length !== vs.length || ref.shape.length !== shape.length)
      throw new NotSymbolicError(`${here}: its lowering differs in structure between sizes`);
    if (ref.shape.some((d, i) => d !== shape[i]))
      throw new NotSymbolicError(`${here}: it builds ${what} of shape [${shape}] that grows with a symbol`);
    let symbolic = false;
    const dims = vs.map((v, i): Dim => {
      if (v === ref.values[i] || (Number.isNaN(Number(v)) && Number.isNaN(Number(ref.values[i]))))
        return Number(v);
      const a = this.#decode(v, this.markers);
      const b = this.#decode(ref.values[i]!, this.#twinMarkers);
      if (!isSymExpr(a) || !dimEquals(a, b))
        throw new NotSymbolicError(
          `${here}: ${what} holds ${v} at one marker size and ${ref.values[i]} at the other, which read as no one size expression`,
        );
      symbolic = true;
      return a;
    });
    return symbolic ? dims : undefined;
  }

  /** A tensor attribute's values: they cannot follow the symbols, so they must not depend on them. */
  checkTensorAttribute(
    ctx: LoweringContext,
    shape: readonly number[],
    values: ArrayLike<number | bigint>,
  ): void {
    if (this.#compare(ctx, shape, values, "a tensor attribute"))
      throw new NotSymbolicError(
        `cannot lower ${describeNode(ctx.node)} symbolically: a size-dependent value lands in a tensor attribute`,
      );
  }

  /** Whether attribute `name` of `node` is symbolic in the graph (a `full` whose value is a size). */
  attrIsSymbolic(node: string, name: string): boolean {
    return this.symbolicGraph.symbolic?.attrs[node]?.[name] !== undefined;
  }

  /**
   * Size values emitted from here on are forgotten when the returned function runs: a branch's
   * subgraph (`LoweringContext.branch`) computes its own, which nodes outside it cannot read.
   */
  scope(): () => void {
    const saved = this.#polys;
    this.#polys = new Map(saved);
    return () => {
      this.#polys = saved;
    };
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
    const start = ctx.nodes.length;
    const dims = this.#compare(ctx, shape, values, "a constant");
    if (!dims) return undefined;
    if (dtype === "bool")
      throw new NotSymbolicError(
        `cannot lower ${describeNode(ctx.node)} symbolically: a bool constant depends on a size`,
      );
    const out = this.#runtime(ctx, dtype, shape, dims);
    for (const n of ctx.nodes.slice(start)) this.#helpers.add(n);
    return out;
  }

  #runtime(ctx: LoweringContext, dtype: OnnxType, shape: readonly number[], dims: readonly Dim[]): string {
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
      if (isOne(d.den)) {
        pieces.push(this.#cast(ctx, this.#poly(ctx, d.num), dtype));
        continue;
      }
      // A ratio in float64, then rounded once, as the constant it replaces was: sizes past 2^24
      // are not exact in float32.
      const ratio = ctx.op("Div", [
        this.#cast(ctx, this.#poly(ctx, d.num), "float64"),
        this.#cast(ctx, this.#poly(ctx, d.den), "float64"),
      ]);
      pieces.push(
        dtype === "float64"
          ? ratio
          : ctx.op("Cast", [ratio], { to: { int: CAST_TO[dtype as keyof typeof CAST_TO] } }),
      );
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

  /** Sizes that a lowering wrote into an attribute cannot follow the symbols: compare with the recording. */
  checkAttributes(nodes: readonly NodeProto[]): void {
    const mine = nodes.filter((n) => !this.#helpers.has(n));
    if (mine.length !== this.#reference.length)
      throw new NotSymbolicError(
        `graph '${this.symbolicGraph.name}': its lowering has ${mine.length} ONNX nodes at one marker size and ${this.#reference.length} at the other`,
      );
    mine.forEach((n, k) => {
      const r = this.#reference[k]!;
      const key = (x: NodeProto) =>
        JSON.stringify([
          x.opType,
          x.attribute.map((a) => [a.name, String(a.i), a.ints.map(String), a.f, a.floats]),
        ]);
      if (key(n) !== key(r))
        throw new NotSymbolicError(
          `ONNX node '${n.name}' (${n.opType}, from ${n.docString}) takes a size in an attribute, or differs between sizes`,
        );
    });
  }
}

function monomial(n: number, markers: ReadonlyMap<string, number>): SymExpr | undefined {
  let rest = n;
  let poly: Poly | undefined;
  for (const [name, p] of markers)
    while (Number.isSafeInteger(rest) && rest % p === 0) {
      rest /= p;
      poly = mulPoly(poly ?? constPoly(1), symPoly(name));
    }
  return poly && Number.isSafeInteger(rest) ? symExpr(mulPoly(poly, constPoly(rest))) : undefined;
}

const isOne = (p: Poly) => p.terms.length === 1 && p.terms[0]!.vars.length === 0 && p.terms[0]!.coef === 1;

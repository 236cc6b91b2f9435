import { GraphBuilder } from "./builder.js";
import { ShapeError } from "./errors.js";
import { Graph, type Value } from "./graph.js";
import {
  type Dim,
  decodeNumber,
  dimEquals,
  dimSymbols,
  evalExpr,
  formatDim,
  isSymExpr,
  parseDim,
  polyConstant,
} from "./symbolic.js";
import type { TensorMeta } from "./tensor-data.js";

/** A symbol of a graph: its name, its hint (the size first seen: what costs and byte weights use), its lower bound. */
export interface SymbolInfo {
  readonly name: string;
  readonly hint: number;
  /** Guard: the symbol's value must be at least this (1: no empty batches). */
  readonly min: number;
  /** Guard: the symbol's value must be at most this (a model's `sizeAtMost`, GPT's T <= seqLen); absent: no bound. */
  readonly max?: number;
}

/** A symbolic attribute: a number attribute, or one entry per element of a number-list attribute. */
export type SymbolicAttr = Dim | readonly Dim[];

/**
 * What is symbolic about a graph. The graph's own metas and attributes hold the values at the
 * hints, so code that knows nothing of symbols (costs, byte weights, the drawer) sees a valid
 * static graph at the first-seen sizes; code that runs the graph at other sizes reads this. Keyed
 * by value and node names, which JSON keeps. Passes build new graphs without it: symbolize last.
 */
export interface SymbolicShapes {
  readonly symbols: readonly SymbolInfo[];
  /** The dims of every value with a symbolic dim, by value name. */
  readonly shapes: Readonly<Record<string, readonly Dim[]>>;
  /** Attributes holding a symbolic number, by node name, then attribute name. */
  readonly attrs: Readonly<Record<string, Readonly<Record<string, SymbolicAttr>>>>;
}

/** A value's dims: symbolic where the graph says so, else its meta's shape. */
export function symbolicShape(graph: Graph, value: Value): readonly Dim[] {
  return graph.symbolic?.shapes[value.name] ?? value.meta.shape;
}

/** `f32[B,784]` for a value of a symbolic graph (and `formatMeta` for a static one). */
export function formatSymbolicMeta(graph: Graph, value: Value, short: string): string {
  return `${short}[${symbolicShape(graph, value)
    .map((d) => formatDim(d))
    .join(",")}]`;
}

const describe = (where: string, d: Dim) => `${where} reads as ${formatDim(d)}`;

function decodeAttr(value: unknown, markers: ReadonlyMap<string, number>): SymbolicAttr | undefined {
  if (typeof value === "number") {
    const d = decodeNumber(value, markers);
    return typeof d === "number" ? undefined : d;
  }
  if (Array.isArray(value) && value.every((x) => typeof x === "number")) {
    const ds = value.map((x: number) => decodeNumber(x, markers));
    return ds.some(isSymExpr) ? ds : undefined;
  }
  return undefined;
}

const attrEquals = (a: SymbolicAttr | undefined, b: SymbolicAttr | undefined): boolean => {
  if (a === undefined || b === undefined) return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (!Array.isArray(a)) return dimEquals(a as Dim, b as Dim);
  const bs = b as readonly Dim[];
  return a.length === bs.length && a.every((d, i) => dimEquals(d, bs[i]!));
};
const formatAttr = (a: SymbolicAttr | undefined, raw: unknown): string =>
  a === undefined
    ? JSON.stringify(raw)
    : Array.isArray(a)
      ? `[${a.map((d) => formatDim(d)).join(",")}]`
      : formatDim(a as Dim);

/**
 * Read the symbols back out of two traces of one function, made with the two marker sets for the
 * symbols (`MARKER_SETS`), and return the first graph at the hints with its `SymbolicShapes`.
 * Every shape and number attribute is decoded from both traces; where the two disagree the size
 * did not follow the symbols as a polynomial (a strided window, a size compared against a
 * constant, a coincidence), and this throws a `ShapeError` naming the value or node.
 */
export function symbolize(
  traces: readonly [Graph, Graph],
  markers: readonly [ReadonlyMap<string, number>, ReadonlyMap<string, number>],
  symbols: readonly SymbolInfo[],
): Graph {
  const [a, b] = traces;
  const who = `symbolic shapes of graph '${a.name}'`;
  if (
    a.nodes.length !== b.nodes.length ||
    a.inputs.length !== b.inputs.length ||
    a.outputs.length !== b.outputs.length
  )
    throw new ShapeError(`${who}: the two traces built different graphs (the function branches on a size)`);
  const shapes: Record<string, readonly Dim[]> = {};
  const attrs: Record<string, Record<string, SymbolicAttr>> = {};
  const decodeMeta = (va: Value, vb: Value) => {
    if (
      va.name !== vb.name ||
      va.meta.shape.length !== vb.meta.shape.length ||
      va.meta.dtype !== vb.meta.dtype
    )
      throw new ShapeError(
        `${who}: value '${va.name}' differs between the traces (the function branches on a size)`,
      );
    const dims = va.meta.shape.map((n, i) => {
      const da = decodeNumber(n, markers[0]);
      const db = decodeNumber(vb.meta.shape[i]!, markers[1]);
      if (!dimEquals(da, db))
        throw new ShapeError(
          `${who}: dim ${i} of '${va.name}' is not a polynomial of the symbols (${describe("one trace", da)}, ${describe("the other", db)}); keep that size static`,
        );
      return da;
    });
    if (dims.some(isSymExpr)) shapes[va.name] = dims;
  };
  a.inputs.forEach((v, i) => {
    decodeMeta(v, b.inputs[i]!);
  });
  a.nodes.forEach((na, k) => {
    const nb = b.nodes[k]!;
    if (na.op !== nb.op)
      throw new ShapeError(`${who}: node ${k} is ${na.op} in one trace and ${nb.op} in the other`);
    decodeMeta(na.output, nb.output);
    const ra = na.attrs as Record<string, unknown>;
    const rb = nb.attrs as Record<string, unknown>;
    for (const key of Object.keys(ra)) {
      // Equal in both traces: no size went into it, whatever it reads as (1e-5 = 1/(2*T - 42)).
      if (ra[key] === rb[key] || JSON.stringify(ra[key]) === JSON.stringify(rb[key])) continue;
      const da = decodeAttr(ra[key], markers[0]);
      const db = decodeAttr(rb[key], markers[1]);
      const same =
        da || db
          ? attrEquals(da, db)
          : JSON.stringify(ra[key]) === JSON.stringify(rb[key]) || ra[key] === rb[key];
      if (!same)
        throw new ShapeError(
          `${who}: ${na.op} (node '${na.name}') attribute ${key} is ${formatAttr(da, ra[key])} in one trace and ${formatAttr(db, rb[key])} in the other; keep that size static`,
        );
      if (da) {
        const forNode = attrs[na.name] ?? {};
        forNode[key] = da;
        attrs[na.name] = forNode;
      }
    }
  });
  const symbolic: SymbolicShapes = { symbols, shapes, attrs };
  const hints = new Map(symbols.map((s) => [s.name, s.hint]));
  return withSymbolic(instantiate(a, symbolic, hints), symbolic);
}

/** `graph` with `symbolic` attached (checked against the graph's values at the hints). */
export function withSymbolic(graph: Graph, symbolic: SymbolicShapes): Graph {
  const g = new Graph(graph.name, graph.inputs, graph.nodes, graph.outputs, graph.signature, symbolic);
  checkSymbolic(g);
  return g;
}

/**
 * Build `graph` again with its symbolic numbers evaluated at `bindings` (shape rules run again),
 * using `symbolic` in place of the graph's own.
 */
function instantiate(graph: Graph, symbolic: SymbolicShapes, bindings: ReadonlyMap<string, number>): Graph {
  const b = new GraphBuilder(graph.name);
  const map = new Map<Value, Value>();
  const at = (d: Dim) => evalExpr(d, bindings);
  graph.inputs.forEach((v, i) => {
    const dims = symbolic.shapes[v.name];
    const meta: TensorMeta = dims ? { shape: dims.map(at), dtype: v.meta.dtype } : v.meta;
    map.set(v, b.input(v.name, meta, graph.signature.inputs[i]));
  });
  for (const node of graph.nodes) {
    const sym = symbolic.attrs[node.name];
    const attrs = sym
      ? {
          ...(node.attrs as Record<string, unknown>),
          ...Object.fromEntries(
            Object.entries(sym).map(([k, v]) => [k, Array.isArray(v) ? v.map(at) : at(v as Dim)]),
          ),
        }
      : node.attrs;
    b.region = node.region; // checkpoint regions survive a symbolic capture
    map.set(
      node.output,
      b.op(
        node.op,
        node.inputs.map((v) => map.get(v)!),
        attrs as never,
        node.name,
      ),
    );
  }
  b.region = undefined;
  b.output(
    graph.outputs.map((v) => map.get(v)!),
    graph.signature.outputs,
  );
  return b.build();
}

/**
 * The static graph of a symbolic one at `bindings` (a symbol's value by name), what the
 * reference interpreter and eager backends run; a static graph is returned as is.
 */
export function specialize(graph: Graph, bindings: ReadonlyMap<string, number>): Graph {
  return graph.symbolic ? instantiate(graph, graph.symbolic, bindings) : graph;
}

/**
 * The symbols' values for one call, read from the inputs' shapes, with every guard checked: each
 * input has its rank and its static sizes, a symbol read twice has one value, and each symbol is
 * at least its `min`. Throws a `ShapeError` naming the input, the dim, the symbol and the value.
 */
export function bindSymbols(graph: Graph, shapes: readonly (readonly number[])[]): Map<string, number> {
  const bindings = new Map<string, number>();
  const where = new Map<string, string>();
  const who = `graph '${graph.name}'`;
  graph.inputs.forEach((v, i) => {
    const dims = graph.symbolic?.shapes[v.name] ?? v.meta.shape;
    const shape = shapes[i];
    const at = `input ${i} '${v.name}'`;
    if (!shape || shape.length !== dims.length)
      throw new ShapeError(
        `${who}: ${at} has shape [${shape ?? ""}], the graph takes rank ${dims.length} [${dims.map((d) => formatDim(d))}]`,
      );
    dims.forEach((d, k) => {
      const n = shape[k]!;
      if (typeof d === "number") {
        if (d !== n)
          throw new ShapeError(`${who}: ${at} dim ${k} is ${n}, the graph was compiled for ${d} there`);
        return;
      }
      const names = [...dimSymbols(d)];
      // Inputs' dims are single symbols by construction; a compound one is bound where its symbol is.
      if (names.length !== 1 || formatDim(d) !== names[0]) return;
      const name = names[0]!;
      const seen = bindings.get(name);
      if (seen !== undefined && seen !== n)
        throw new ShapeError(
          `${who}: guard ${name} == ${name} failed: ${at} dim ${k} is ${n} but ${where.get(name)} is ${seen}`,
        );
      bindings.set(name, n);
      where.set(name, `${at} dim ${k}`);
    });
  });
  for (const s of graph.symbolic?.symbols ?? []) {
    const value = bindings.get(s.name);
    if (value === undefined) throw new ShapeError(`${who}: no input gives symbol ${s.name}`);
    if (value < s.min)
      throw new ShapeError(
        `${who}: guard ${s.name} >= ${s.min} failed: ${s.name} = ${value} (from ${where.get(s.name)})`,
      );
    if (s.max !== undefined && value > s.max)
      throw new ShapeError(
        `${who}: guard ${s.name} <= ${s.max} failed: ${s.name} = ${value} (from ${where.get(s.name)})`,
      );
  }
  // Compound input dims (none today) must agree with what the plain ones bound.
  graph.inputs.forEach((v, i) => {
    (graph.symbolic?.shapes[v.name] ?? []).forEach((d, k) => {
      if (typeof d !== "number" && evalExpr(d, bindings) !== shapes[i]![k])
        throw new ShapeError(
          `${who}: guard failed: input ${i} '${v.name}' dim ${k} is ${shapes[i]![k]}, not ${formatDim(d)}`,
        );
    });
  });
  return bindings;
}

/** Each output's meta at the sizes `shapes` give the graph's inputs; `bindSymbols` checks the guards first. */
export function outputMetasAt(graph: Graph, shapes: readonly (readonly number[])[]): TensorMeta[] {
  const bindings = bindSymbols(graph, shapes);
  return graph.outputs.map((v) => ({
    dtype: v.meta.dtype,
    shape: symbolicShape(graph, v).map((d) => evalExpr(d, bindings)),
  }));
}

/**
 * The invariants of a graph's `SymbolicShapes` (lint runs this): symbols are distinct identifiers
 * with integer hints at least their `min`; every symbolic entry names a value or node of the
 * graph, uses only declared symbols, is a whole polynomial for a size, and evaluates at the hints
 * to what the graph holds.
 */
export function checkSymbolic(graph: Graph): void {
  const s = graph.symbolic;
  if (!s) return;
  const who = `graph '${graph.name}'`;
  const declared = new Set<string>();
  for (const sym of s.symbols) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(sym.name) || declared.has(sym.name))
      throw new ShapeError(`${who}: symbol name '${sym.name}' is not a distinct identifier`);
    if (!Number.isSafeInteger(sym.hint) || !Number.isSafeInteger(sym.min) || sym.hint < sym.min)
      throw new ShapeError(
        `${who}: symbol ${sym.name} has hint ${sym.hint} below its guard ${sym.name} >= ${sym.min}`,
      );
    if (sym.max !== undefined && (!Number.isSafeInteger(sym.max) || sym.hint > sym.max))
      throw new ShapeError(
        `${who}: symbol ${sym.name} has hint ${sym.hint} above its guard ${sym.name} <= ${sym.max}`,
      );
    declared.add(sym.name);
  }
  const hints = new Map(s.symbols.map((x) => [x.name, x.hint]));
  const check = (d: Dim, what: string, held: unknown) => {
    for (const n of dimSymbols(d))
      if (!declared.has(n)) throw new ShapeError(`${who}: ${what} uses undeclared symbol ${n}`);
    const v = evalExpr(d, hints);
    const ok =
      typeof held === "number" &&
      (Number.isInteger(held) ? v === held : Math.abs(v - held) <= 1e-12 * Math.abs(held));
    if (!ok)
      throw new ShapeError(
        `${who}: ${what} is ${formatDim(d)} = ${v} at the hints, but the graph holds ${String(held)}`,
      );
  };
  const values = new Map(graph.values.map((v) => [v.name, v]));
  for (const [name, dims] of Object.entries(s.shapes)) {
    const v = values.get(name);
    if (!v || v.meta.shape.length !== dims.length)
      throw new ShapeError(`${who}: symbolic shape for '${name}' fits no value of the graph`);
    dims.forEach((d, i) => {
      if (typeof d !== "number" && polyConstant(d.den) !== 1)
        throw new ShapeError(`${who}: dim ${i} of '${name}' is a fraction ${formatDim(d)}`);
      check(d, `dim ${i} of '${name}'`, v.meta.shape[i]);
    });
  }
  const nodes = new Map(graph.nodes.map((n) => [n.name, n]));
  for (const [name, attrs] of Object.entries(s.attrs)) {
    const node = nodes.get(name);
    if (!node) throw new ShapeError(`${who}: symbolic attributes for '${name}' fit no node of the graph`);
    for (const [key, a] of Object.entries(attrs)) {
      const held = (node.attrs as Record<string, unknown>)[key];
      if (Array.isArray(a)) {
        if (!Array.isArray(held) || held.length !== a.length)
          throw new ShapeError(
            `${who}: ${node.op} (node '${name}') attribute ${key} is not a list of ${a.length}`,
          );
        a.forEach((d, i) => {
          check(d, `${node.op} (node '${name}') ${key}[${i}]`, held[i]);
        });
      } else check(a as Dim, `${node.op} (node '${name}') ${key}`, held);
    }
  }
}

// ---- JSON form: dims as numbers or strings (`"784*B"`) ----

/** The JSON form of a graph's symbolic shapes: symbols, and dims as numbers or strings (`"784*B"`). */
export interface SymbolicShapesJSON {
  readonly symbols: readonly SymbolInfo[];
  readonly shapes: Readonly<Record<string, readonly (number | string)[]>>;
  readonly attrs: Readonly<
    Record<string, Readonly<Record<string, number | string | readonly (number | string)[]>>>
  >;
}

/** A dim as JSON and ONNX write it: a number, or its expression as text (`"784*B"`, an ONNX `dim_param`). */
export const dimToJSON = (d: Dim): number | string => (typeof d === "number" ? d : formatDim(d));
const dimFromJSON = (x: unknown, path: string): Dim => {
  if (typeof x === "number") return x;
  if (typeof x === "string") return parseDim(x);
  throw new ShapeError(`${path}: a dim is a number or a string like "784*B"`);
};

/** Symbolic shapes to their JSON form. */
export function symbolicToJSON(s: SymbolicShapes): SymbolicShapesJSON {
  return {
    symbols: s.symbols.map((x) => ({ ...x })),
    shapes: Object.fromEntries(Object.entries(s.shapes).map(([k, ds]) => [k, ds.map(dimToJSON)])),
    attrs: Object.fromEntries(
      Object.entries(s.attrs).map(([k, as]) => [
        k,
        Object.fromEntries(
          Object.entries(as).map(([n, a]) => [n, Array.isArray(a) ? a.map(dimToJSON) : dimToJSON(a as Dim)]),
        ),
      ]),
    ),
  };
}

/** Symbolic shapes from their JSON form; throws, naming `path`, on a malformed one. */
export function symbolicFromJSON(x: unknown, path = "$.symbolic"): SymbolicShapes {
  const o = x as Partial<SymbolicShapesJSON> | null;
  if (typeof o !== "object" || o === null || !Array.isArray(o.symbols))
    throw new ShapeError(`${path}: expected { symbols, shapes, attrs }`);
  const symbols = o.symbols.map((s, i) => {
    if (
      typeof s?.name !== "string" ||
      typeof s.hint !== "number" ||
      typeof s.min !== "number" ||
      (s.max !== undefined && typeof s.max !== "number")
    )
      throw new ShapeError(`${path}.symbols[${i}]: expected { name, hint, min, max? }`);
    return { name: s.name, hint: s.hint, min: s.min, ...(s.max !== undefined ? { max: s.max } : {}) };
  });
  const shapes = Object.fromEntries(
    Object.entries(o.shapes ?? {}).map(([k, ds]) => [
      k,
      (ds as unknown[]).map((d, i) => dimFromJSON(d, `${path}.shapes.${k}[${i}]`)),
    ]),
  );
  const attrs = Object.fromEntries(
    Object.entries(o.attrs ?? {}).map(([k, as]) => [
      k,
      Object.fromEntries(
        Object.entries(as as Record<string, unknown>).map(([n, a]) => [
          n,
          Array.isArray(a)
            ? a.map((d, i) => dimFromJSON(d, `${path}.attrs.${k}.${n}[${i}]`))
            : dimFromJSON(a, `${path}.attrs.${k}.${n}`),
        ]),
      ),
    ]),
  );
  return { symbols, shapes, attrs };
}

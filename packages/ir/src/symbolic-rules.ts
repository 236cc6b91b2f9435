import { GraphBuilder } from "./builder.js";
import type { DType } from "./dtype.js";
import { ShapeError } from "./errors.js";
import type { OpAttrsInput, OpName } from "./ops/index.js";
import { type Dim, dimSymbols, evalExpr, isSymExpr, MARKER_SETS, MAX_SYMBOLS } from "./symbolic.js";
import { type SymbolInfo, symbolicShape, symbolize } from "./symbolic-graph.js";

/** A meta with symbolic dims, as a shape rule's input. */
export interface SymbolicMeta {
  readonly shape: readonly Dim[];
  readonly dtype: DType;
}

/**
 * Run `op`'s catalog shape rule on symbolic inputs and attributes: `[B,784] @ [784,10]` gives
 * `[B,10]`. The rules themselves are written on numbers; this evaluates every symbol at two sets
 * of marker sizes, runs the rule on each, and reads the symbols back (`symbolize`), so every rule
 * in the catalog takes symbols, and a result that is not a polynomial of them (a strided window
 * over a symbolic height) is a `ShapeError` that says to keep that size static. Traces use the
 * same mechanism on whole functions.
 */
export function inferSymbolic<K extends OpName>(
  op: K,
  inputs: readonly SymbolicMeta[],
  attrs: Record<string, unknown> = {},
): SymbolicMeta {
  const names = new Set<string>();
  for (const m of inputs) for (const d of m.shape) dimSymbols(d, names);
  for (const v of Object.values(attrs))
    for (const d of Array.isArray(v) ? v : [v]) if (isSymExpr(d)) dimSymbols(d, names);
  if (names.size > MAX_SYMBOLS)
    throw new ShapeError(`${op}: at most ${MAX_SYMBOLS} symbols, got ${names.size}`);
  const symbols = [...names].sort();
  const markers = MARKER_SETS.map((set) => new Map(symbols.map((n, i) => [n, set[i]!]))) as [
    Map<string, number>,
    Map<string, number>,
  ];
  const at = (m: Map<string, number>) => (d: unknown) => (isSymExpr(d) ? evalExpr(d, m) : d);
  const traces = markers.map((m) => {
    const b = new GraphBuilder(op);
    const xs = inputs.map((x, i) =>
      b.input(`x${i}`, { shape: x.shape.map((d) => evalExpr(d, m)), dtype: x.dtype }),
    );
    const a = Object.fromEntries(
      Object.entries(attrs).map(([k, v]) => [k, Array.isArray(v) ? v.map(at(m)) : at(m)(v)]),
    );
    b.output([b.op(op, xs, a as OpAttrsInput<K>, "out")]);
    return b.build();
  }) as [ReturnType<GraphBuilder["build"]>, ReturnType<GraphBuilder["build"]>];
  // Hints only fill the graph's metas; 2 keeps every rule's size-1 special cases out of the way.
  const info: SymbolInfo[] = symbols.map((name) => ({ name, hint: 2, min: 1 }));
  const g = symbolize(traces, markers, info);
  const out = g.outputs[0]!;
  return { shape: symbolicShape(g, out), dtype: out.meta.dtype };
}

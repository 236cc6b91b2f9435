import { ShapeError } from "./errors.js";

/**
 * Symbolic sizes. A `SymExpr` is a normalized ratio of two polynomials with integer coefficients
 * over named symbols: `B`, `784*B`, `B*T`, `T - 1`, `1/(784*B)`, `(49*B)/(49*B - 1)`. Sizes
 * (shapes, shape attributes) are polynomials (denominator 1); scalar attributes that a trace
 * computed from sizes (`1/count` in a mean's backward, BatchNorm's `n/(n-1)`) may be ratios.
 * A polynomial is enough for every rule here: broadcasting compares, reshape multiplies and divides
 * exactly, matmul and reductions copy dims. Windowed spatial dims (`floor((H - k)/s) + 1`) are not
 * polynomials and stay concrete.
 */

/** One term: `coef * prod(name^power)`, powers by name in sorted order. */
export interface Monomial {
  readonly coef: number;
  readonly vars: readonly (readonly [string, number])[];
}

/** A sum of monomials in canonical order, no zero coefficients, like terms merged. */
export interface Poly {
  readonly terms: readonly Monomial[];
}

/** A symbolic size: a ratio of polynomials of symbols (denominator 1 for a plain polynomial). */
export interface SymExpr {
  readonly num: Poly;
  /** `1` for a plain polynomial. */
  readonly den: Poly;
}

/** A size: a number or a symbolic expression (always with denominator 1). */
export type Dim = number | SymExpr;

const varsKey = (vars: Monomial["vars"]): string =>
  vars.map(([n, p]) => (p === 1 ? n : `${n}^${p}`)).join("*");

function normalize(terms: readonly Monomial[]): Poly {
  const byKey = new Map<string, Monomial>();
  for (const t of terms) {
    const key = varsKey(t.vars);
    const prev = byKey.get(key);
    byKey.set(key, { coef: (prev?.coef ?? 0) + t.coef, vars: t.vars });
  }
  const out = [...byKey.values()].filter((t) => t.coef !== 0);
  // Higher degree first, then by name: `B*T + 3*B - 1`.
  const degree = (t: Monomial) => t.vars.reduce((s, [, p]) => s + p, 0);
  out.sort((a, b) => degree(b) - degree(a) || (varsKey(a.vars) < varsKey(b.vars) ? -1 : 1));
  return { terms: out };
}

/** The constant polynomial `n`. */
export const constPoly = (n: number): Poly => normalize([{ coef: n, vars: [] }]);
/** The polynomial of one symbol. */
export const symPoly = (name: string): Poly => ({ terms: [{ coef: 1, vars: [[name, 1]] }] });
const ONE = constPoly(1);

/** `a + b`. */
export function addPoly(a: Poly, b: Poly): Poly {
  return normalize([...a.terms, ...b.terms]);
}

/** `k * a`. */
export function scalePoly(a: Poly, k: number): Poly {
  return normalize(a.terms.map((t) => ({ coef: t.coef * k, vars: t.vars })));
}

/** `a * b`. */
export function mulPoly(a: Poly, b: Poly): Poly {
  const terms: Monomial[] = [];
  for (const x of a.terms)
    for (const y of b.terms) {
      const powers = new Map(x.vars);
      for (const [n, p] of y.vars) powers.set(n, (powers.get(n) ?? 0) + p);
      terms.push({ coef: x.coef * y.coef, vars: [...powers].sort(([m], [n]) => (m < n ? -1 : 1)) });
    }
  return normalize(terms);
}

/** Whether two polynomials are equal. */
export const polyEquals = (a: Poly, b: Poly): boolean => formatPoly(a) === formatPoly(b);

/** The constant a polynomial is, or undefined when it has a symbol. */
export const polyConstant = (p: Poly): number | undefined =>
  p.terms.length === 0
    ? 0
    : p.terms.length === 1 && p.terms[0]!.vars.length === 0
      ? p.terms[0]!.coef
      : undefined;

/** The symbols a polynomial uses, added to `into`. */
export function polySymbols(p: Poly, into = new Set<string>()): Set<string> {
  for (const t of p.terms) for (const [n] of t.vars) into.add(n);
  return into;
}

/** The polynomial's value with `bindings` for its symbols. */
export function evalPoly(p: Poly, bindings: ReadonlyMap<string, number>): number {
  let total = 0;
  for (const t of p.terms) {
    let v = t.coef;
    for (const [n, power] of t.vars) {
      const b = bindings.get(n);
      if (b === undefined)
        throw new ShapeError(
          `symbol ${n} has no value (bound: ${[...bindings.keys()].join(", ") || "none"})`,
        );
      v *= b ** power;
    }
    total += v;
  }
  return total;
}

function formatMonomial(t: Monomial, first: boolean, times: string): string {
  const abs = Math.abs(t.coef);
  const factors = t.vars.map(([n, p]) => (p === 1 ? n : `${n}^${p}`));
  const body =
    t.vars.length === 0 ? String(abs) : abs === 1 ? factors.join(times) : [abs, ...factors].join(times);
  if (first) return t.coef < 0 ? `-${body}` : body;
  return t.coef < 0 ? ` - ${body}` : ` + ${body}`;
}

/** `784*B`, `B*T - 1`; `times` is `·` in reports. */
export function formatPoly(p: Poly, times = "*"): string {
  if (!p.terms.length) return "0";
  return p.terms.map((t, i) => formatMonomial(t, i === 0, times)).join("");
}

// ---- expressions (ratios) ----

/** The expression `num / den`. */
export const symExpr = (num: Poly, den: Poly = ONE): SymExpr => ({ num, den });
/** The expression of one symbol. */
export const sym = (name: string): SymExpr => symExpr(symPoly(name));
/** Whether `d` is a symbolic expression (not a number). */
export const isSymExpr = (d: unknown): d is SymExpr =>
  typeof d === "object" && d !== null && "num" in d && "den" in d;

/** A dim as an expression (numbers become constants). */
export const toExpr = (d: Dim): SymExpr => (typeof d === "number" ? symExpr(constPoly(d)) : d);

/** A plain number when `e` has no symbol, else `e` itself. */
export function simplify(e: SymExpr): Dim | SymExpr {
  const n = polyConstant(e.num);
  const d = polyConstant(e.den);
  if (n !== undefined && d !== undefined) return n / d;
  return e;
}

/** The symbols a size uses, added to `into`. */
export function dimSymbols(d: Dim, into = new Set<string>()): Set<string> {
  if (typeof d !== "number") {
    polySymbols(d.num, into);
    polySymbols(d.den, into);
  }
  return into;
}

/** A size's value with `bindings` for its symbols. */
export function evalExpr(d: Dim, bindings: ReadonlyMap<string, number>): number {
  return typeof d === "number" ? d : evalPoly(d.num, bindings) / evalPoly(d.den, bindings);
}

/** Whether two sizes are equal (as numbers, or as expressions). */
export function dimEquals(a: Dim, b: Dim): boolean {
  if (typeof a === "number" || typeof b === "number") return a === b;
  return formatDim(a) === formatDim(b);
}

/** `B`, `784*B`, `1/(784*B)`: the printer's and JSON's spelling; `parseDim` reads it back. */
export function formatDim(d: Dim, times = "*"): string {
  if (typeof d === "number") return Object.is(d, -0) ? "-0" : String(d);
  const num = formatPoly(d.num, times);
  if (polyConstant(d.den) === 1) return num;
  // Read back left to right, so a denominator with any operator needs parentheses.
  const wrapNum = (p: Poly, s: string) => (p.terms.length === 1 && p.terms[0]!.coef > 0 ? s : `(${s})`);
  const den = formatPoly(d.den, times);
  return `${wrapNum(d.num, num)}/${/^[A-Za-z0-9_]+$/.test(den) ? den : `(${den})`}`;
}

/** Read `formatDim`'s output (and any sum of products of integers, names and `name^k`, over one `/`). */
export function parseDim(text: string): Dim {
  let i = 0;
  const fail = (why: string): never => {
    throw new ShapeError(`cannot read dim '${text}': ${why} at position ${i}`);
  };
  const skip = () => {
    while (text[i] === " ") i++;
  };
  const factor = (): Poly => {
    skip();
    if (text[i] === "(") {
      i++;
      const p = sum();
      skip();
      if (text[i] !== ")") fail("expected ')'");
      i++;
      return p;
    }
    const m = /^(\d+|[A-Za-z_][A-Za-z0-9_]*)(\^(\d+))?/.exec(text.slice(i));
    if (!m) return fail("expected a number, a name or '('");
    i += m[0].length;
    const base = /^\d/.test(m[1]!) ? constPoly(Number(m[1])) : symPoly(m[1]!);
    let out = ONE;
    for (let k = 0; k < Number(m[3] ?? 1); k++) out = mulPoly(out, base);
    return out;
  };
  const product = (): Poly => {
    let p = factor();
    skip();
    while (text[i] === "*" || text[i] === "·") {
      i++;
      p = mulPoly(p, factor());
      skip();
    }
    return p;
  };
  const sum = (): Poly => {
    skip();
    let sign = 1;
    if (text[i] === "-") {
      sign = -1;
      i++;
    }
    let p = scalePoly(product(), sign);
    skip();
    while (text[i] === "+" || text[i] === "-") {
      const s = text[i] === "-" ? -1 : 1;
      i++;
      p = addPoly(p, scalePoly(product(), s));
      skip();
    }
    return p;
  };
  if (/^-?\d+(\.\d+)?(e[-+]?\d+)?$/.test(text.trim())) return Number(text);
  const num = sum();
  let den = ONE;
  if (text[i] === "/") {
    i++;
    den = sum();
  }
  skip();
  if (i < text.length) fail("unexpected text");
  return simplify(symExpr(num, den));
}

// ---- markers: how a trace carries symbols through code that only sees numbers ----

/**
 * Two sets of marker sizes, one per trace: distinct primes far from each other and from sizes a
 * model uses, so a number a trace computed from marker sizes can be read back as a polynomial of
 * the symbols (`decodeNumber`). Tracing the same function with both sets and comparing the two
 * decoded graphs tells a true symbolic result from a coincidence or a non-polynomial size.
 */
export const MARKER_SETS: readonly (readonly number[])[] = [
  [30011, 50021, 70001, 90001, 110017, 130003],
  [40009, 60013, 80021, 100003, 120011, 140009],
];
/** How many distinct symbols one trace can carry (one marker size each). */
export const MAX_SYMBOLS = MARKER_SETS[0]!.length;

/** Offsets from a multiple of a marker that still read as symbolic (`T - 1` from a shifted slice). */
const MAX_OFFSET = 256;
/** Integers below this are constants, never symbolic. */
const CONSTANT_BELOW = 20000;

/** Monomials of the markers up to degree 3, largest first, for `c * M + r` decoding. */
function markerMonomials(markers: ReadonlyMap<string, number>): { value: number; poly: Poly }[] {
  const names = [...markers.keys()];
  const out: { value: number; poly: Poly }[] = [];
  const walk = (start: number, value: number, poly: Poly, degree: number) => {
    if (degree > 0) out.push({ value, poly });
    if (degree === 3) return;
    for (let k = start; k < names.length; k++)
      walk(k, value * markers.get(names[k]!)!, mulPoly(poly, symPoly(names[k]!)), degree + 1);
  };
  walk(0, 1, ONE, 0);
  return out.sort((a, b) => b.value - a.value);
}

/** An integer a trace computed, as a polynomial of the symbols whose markers it was traced with. */
export function decodeInteger(n: number, markers: ReadonlyMap<string, number>): Poly {
  if (!Number.isSafeInteger(n) || Math.abs(n) < CONSTANT_BELOW) return constPoly(n);
  // An exact monomial: divide the markers out.
  let rest = n;
  const vars: [string, number][] = [];
  for (const [name, p] of markers) {
    let power = 0;
    while (rest % p === 0) {
      rest /= p;
      power++;
    }
    if (power) vars.push([name, power]);
  }
  if (vars.length && Math.abs(rest) < CONSTANT_BELOW)
    return normalize([{ coef: rest, vars: vars.sort(([a], [b]) => (a < b ? -1 : 1)) }]);
  // A monomial plus a small offset.
  for (const m of markerMonomials(markers)) {
    const c = Math.round(n / m.value);
    const r = n - c * m.value;
    if (c !== 0 && Math.abs(c) < CONSTANT_BELOW && Math.abs(r) <= MAX_OFFSET)
      return addPoly(scalePoly(m.poly, c), constPoly(r));
  }
  return constPoly(n);
}

const nearInteger = (w: number): boolean =>
  Number.isFinite(w) && Math.abs(w - Math.round(w)) <= 1e-6 * Math.max(1, Math.abs(w));

/**
 * Any number a trace computed: an integer as `decodeInteger`; a fraction as `1/P` or `P/(P - 1)`
 * (a mean's `1/count`, an unbiased variance's `n/(n - 1)`) when P is symbolic. A number that
 * reads as no symbolic form stays itself.
 */
export function decodeNumber(v: number, markers: ReadonlyMap<string, number>): Dim {
  if (Number.isInteger(v)) return simplify(symExpr(decodeInteger(v, markers)));
  const symbolic = (p: Poly) => polyConstant(p) === undefined;
  const inv = 1 / v;
  if (nearInteger(inv)) {
    const p = decodeInteger(Math.round(inv), markers);
    if (symbolic(p)) return symExpr(ONE, p);
  }
  const w = 1 / (v - 1);
  if (nearInteger(w)) {
    // v - 1 loses the low bits of a large P/(P - 1) (BatchNorm's n/(n - 1) at n = 12544*B): of
    // the integers q whose ratio (q + 1)/q rounds to v, take the one whose q + 1 has the smallest
    // offset: sizes are monomials, so n/(n - 1) and not (n + 1)/n, which rounds the same.
    const r = Math.round(w);
    const span = Math.min(1024, Math.ceil(Math.abs(w) * 1e-6));
    let q = decodeInteger(r, markers);
    let offset = Number.POSITIVE_INFINITY;
    for (let k = -span; k <= span; k++) {
      if ((r + k + 1) / (r + k) !== v) continue;
      const p = decodeInteger(r + k, markers);
      if (!symbolic(p)) continue;
      const c = Math.abs((p.terms.find((t) => t.vars.length === 0)?.coef ?? 0) + 1);
      if (c < offset) {
        offset = c;
        q = p;
      }
    }
    if (symbolic(q)) return symExpr(addPoly(q, ONE), q);
  }
  return v;
}

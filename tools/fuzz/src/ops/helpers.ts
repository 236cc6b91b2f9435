import type { Tensor } from "@aotjs/tensor";
import type { Attrs, Json, Meta, VDType } from "../program.js";
import type { GenContext, GenValue } from "./types.js";

/**
 * How far (relative to the operands' scale, at least 1) float64 values must stay from a kink,
 * pole or tie. float32 rounding over 15 ops on values of order 1 moves them ~1e-6, so 1e-3 leaves
 * room for every backend's own rounding without flipping a branch.
 */
export const MARGIN = 1e-3;

export const numbers = (t: Tensor): number[] => Array.from(t.data() as ArrayLike<number | bigint>, Number);

export const maxAbs = (...ts: readonly Tensor[]): number => {
  let m = 0;
  for (const t of ts) for (const v of numbers(t)) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
  return m;
};

/** A reason when some |values| are within MARGIN (scaled by `scale`) of 0. */
export function nearZero(what: string, t: Tensor, scale = maxAbs(t)): string | undefined {
  const eps = MARGIN * Math.max(1, scale);
  return numbers(t).some((v) => Math.abs(v) <= eps)
    ? `${what} within ${eps.toExponential(1)} of 0`
    : undefined;
}

/** A reason when some of `t` is at or below `min` (a pole or branch point just below). */
export function notAbove(what: string, t: Tensor, min: number): string | undefined {
  return numbers(t).some((v) => !(v > min)) ? `${what} not above ${min}` : undefined;
}

/** Two operands within MARGIN of each other somewhere (after broadcasting): a tie. */
export function tie(what: string, a: Tensor, b: Tensor | number): string | undefined {
  const scale = typeof b === "number" ? Math.max(maxAbs(a), Math.abs(b)) : maxAbs(a, b);
  return nearZero(what, a.sub(b), scale);
}

export const isFloat = (m: Meta): boolean => m.dtype === "float";
export const isInt = (m: Meta): boolean => m.dtype === "int32" || m.dtype === "int64";
export const isNumeric = (m: Meta): boolean => m.dtype !== "bool";

export const num = (attrs: Attrs, key: string): number => attrs[key] as number;
export const opt = <T extends Json>(attrs: Attrs, key: string): T | undefined =>
  (attrs[key] ?? undefined) as T | undefined;

/** Floats are listed so they read back as the same number. */
export const lit = (v: number): string => (Object.is(v, -0) ? "-0" : String(v));

export const shapeText = (s: readonly number[]): string => `[${s.join(", ")}]`;

/** A second operand for a broadcasting binary op: an existing value, a new input, or a scalar (undefined). */
export function secondOperand(
  g: GenContext,
  x: GenValue,
  accept: (v: GenValue) => boolean,
  dtype: VDType,
  options: { scalarOk: boolean; kind?: "normal" | "positive" },
): GenValue | undefined {
  const r = g.rng.next();
  if (options.scalarOk && r < 0.25) return undefined;
  if (r < 0.7) {
    const found = g.pick(
      (v) =>
        v.ref !== x.ref && accept(v) && broadcasts(v.meta.shape, x.meta.shape) && v.meta.shape.length <= 4,
    );
    if (found) return found;
  }
  if (g.rng.bool(0.15)) return x;
  return g.newInput(g.broadcastableShape(x.meta.shape), dtype, options.kind);
}

export function broadcasts(a: readonly number[], b: readonly number[]): boolean {
  const rank = Math.max(a.length, b.length);
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return false;
  }
  return true;
}

/** Dims for a reduction over `rank` dims: all (null), one, or a list; negative half the time. */
export function randomDims(g: GenContext, rank: number): number | number[] | null {
  const r = g.rng.next();
  if (r < 0.25) return null;
  const neg = (d: number) => (g.rng.bool() ? d - Math.max(rank, 1) : d);
  if (rank === 0) return neg(0);
  if (r < 0.7 || rank === 1) return neg(g.rng.int(0, rank - 1));
  const dims = g.rng.shuffle(Array.from({ length: rank }, (_, i) => i)).slice(0, g.rng.int(1, rank));
  return dims.map(neg);
}

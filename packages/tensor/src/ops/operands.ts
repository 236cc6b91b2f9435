import { type DType, isFloating, type Operand, resultType } from "@aotjs/ir";
import { dispatch } from "../dispatch.js";
import { Tensor, TensorError } from "../tensor.js";

/** What binary methods accept: a tensor or a JS scalar, which broadcasts as a 0-d tensor. */
export type TensorLike = Tensor | number | boolean;

const describe = (x: unknown): string => (x === null ? "null" : typeof x);

function operand(x: TensorLike, op: string): Operand {
  if (x instanceof Tensor) return { dtype: x.dtype, rank: x.shape.length };
  if (typeof x === "number" || typeof x === "boolean") return x;
  throw new TensorError(`${op}: expected a Tensor or a number, got ${describe(x)}`);
}

/** PyTorch's result dtype for tensors and scalars mixed (see `resultType` in @aotjs/ir). */
export const promote = (...xs: TensorLike[]): DType => promoteFor("promote", xs);

/** `promote`, naming `op` when an operand is neither a Tensor nor a JS scalar. */
export const promoteFor = (op: string, xs: readonly TensorLike[]): DType =>
  resultType(...xs.map((x) => operand(x, op)));

/** Throws a TensorError (not a TypeError deep inside) when `x` is not a Tensor. */
export function requireTensor(x: unknown, op: string, what: string): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new TensorError(`${op}: ${what} must be a Tensor, got ${describe(x)}`);
}

/** Scalars become 0-d `full` nodes, tensors are cast when their dtype differs. */
export function asTensor(x: TensorLike, dtype: DType, op: string): Tensor {
  if (x instanceof Tensor) return x.dtype === dtype ? x : dispatch("cast", [x], { dtype });
  if (typeof x === "boolean") return dispatch("full", [], { shape: [], value: x ? 1 : 0, dtype });
  if (typeof x !== "number")
    throw new TensorError(`${op}: expected a Tensor or a number, got ${describe(x)}`);
  return dispatch("full", [], { shape: [], value: x, dtype });
}

/**
 * Python-style dim: negative counts from the end. `rank` is the rank the dim indexes into. As in
 * PyTorch, a 0-d tensor wraps dims as if it had one dim, so 0 and -1 both give 0 there.
 */
export function normalizeDim(dim: number, rank: number, op: string): number {
  if (!Number.isInteger(dim)) throw new TensorError(`${op}: dim must be an integer, got ${dim}`);
  const wrap = Math.max(rank, 1);
  const d = dim < 0 ? dim + wrap : dim;
  if (d < 0 || d >= wrap) {
    throw new TensorError(
      `${op}: dim ${dim} is out of range for a tensor of rank ${rank} (expected ${-wrap} to ${wrap - 1})`,
    );
  }
  return d;
}

/**
 * Sorted, distinct dims to reduce over. On a 0-d tensor the one valid dim (0 or -1) reduces
 * nothing, as in PyTorch, so the list is empty.
 */
export function normalizeDims(
  dims: number | readonly number[] | undefined,
  rank: number,
  op: string,
): number[] {
  // undefined or null (torch's dim=None): every dim.
  if (dims === undefined || dims === null) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof dims === "number" ? [dims] : [...dims];
  const out = list.map((d) => normalizeDim(d, rank, op));
  if (new Set(out).size !== out.length) throw new TensorError(`${op}: dim list [${list}] repeats a dim`);
  return rank === 0 ? [] : out.sort((a, b) => a - b);
}

/** Float ops on integer or bool inputs promote to the default float dtype, as torch does. */
export const toFloat = (x: Tensor): Tensor =>
  isFloating(x.dtype) ? x : dispatch("cast", [x], { dtype: "float32" });

export const pair = (v: number | readonly number[], name: string, op: string): [number, number] => {
  if (typeof v !== "number" && !Array.isArray(v))
    throw new TensorError(`${op}: ${name} must be an int or a pair of ints, got ${describe(v)}`);
  const p = typeof v === "number" ? [v, v] : [...v];
  if (p.length !== 2 || !p.every(Number.isInteger))
    throw new TensorError(`${op}: ${name} must be an int or a pair of ints, got ${v}`);
  return p as [number, number];
};

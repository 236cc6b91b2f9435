import type { PrimalRole, SymbolInfo } from "@aotjs/ir";
import type { Tensor } from "@aotjs/tensor";
import type { SymbolicPlan } from "./capture.js";
import { AotError } from "./executable.js";
import type { CallSignature } from "./recompile.js";

/**
 * `false`: every new shape compiles again. `true`: every dim of a user input of size 2 or more is
 * symbolic from the first call (PyTorch's `dynamic=True`). `"auto"` (PyTorch's automatic dynamic):
 * the first call compiles static; a call that differs from a compiled one only in some sizes
 * compiles once more with those dims symbolic, and that graph serves every later size.
 * `markDynamic(x, dim)` makes a dim symbolic from the first call in `true` and `"auto"` mode.
 */
export type DynamicMode = boolean | "auto";

const marks = new WeakMap<Tensor, Set<number>>();

/** Compile `dim` of `x` symbolic from the first call (PyTorch's `mark_dynamic`); returns `x`. */
export function markDynamic(x: Tensor, dim: number | readonly number[]): Tensor {
  const dims = marks.get(x) ?? new Set<number>();
  for (const d of typeof dim === "number" ? [dim] : dim) {
    const k = d < 0 ? d + x.ndim : d;
    if (!Number.isInteger(k) || k < 0 || k >= x.ndim)
      throw new AotError(`markDynamic: dim ${d} is out of range for a tensor of rank ${x.ndim}`);
    dims.add(k);
  }
  marks.set(x, dims);
  return x;
}

export const markedDims = (x: Tensor): ReadonlySet<number> => marks.get(x) ?? new Set();

/** One dim a compile makes symbolic. */
export interface DimRef {
  readonly leaf: number;
  readonly dim: number;
}

const baseName = (dim: number) => ["B", "T"][dim] ?? `D${dim}`;

/**
 * Name the symbols of `dims` for a call: dims of one size in this call (and in `previous`, when
 * given) share a symbol, so `x: [B,784]` and its labels `[B]` get one `B`, and the guard `B == B`
 * is checked at each call. Names follow the first dim of each group: `B` for dim 0, `T` for 1.
 */
export function planSymbols(
  signature: CallSignature,
  dims: readonly DimRef[],
  previous?: CallSignature,
): SymbolicPlan | undefined {
  if (!dims.length) return undefined;
  const groups = new Map<string, { name: string; hint: number }>();
  const used = new Set<string>();
  const plan: (string | undefined)[][] = signature.leaves.map((l) => l.shape.map(() => undefined));
  for (const { leaf, dim } of dims) {
    const size = signature.leaves[leaf]!.shape[dim]!;
    const key = `${size}|${previous?.leaves[leaf]?.shape[dim] ?? ""}`;
    let group = groups.get(key);
    if (!group) {
      let name = baseName(dim);
      for (let k = 2; used.has(name); k++) name = `${baseName(dim)}${k}`;
      used.add(name);
      group = { name, hint: size };
      groups.set(key, group);
    }
    plan[leaf]![dim] = group.name;
  }
  const symbols: SymbolInfo[] = [...groups.values()].map((g) => ({ name: g.name, hint: g.hint, min: 1 }));
  return { symbols, dims: plan };
}

/** Whether a call fits a symbolic entry: everything but the symbolic sizes equal, guards hold. */
export function fitsPlan(plan: SymbolicPlan, compiled: CallSignature, call: CallSignature): boolean {
  if (
    compiled.structure !== call.structure ||
    compiled.needsGrad !== call.needsGrad ||
    compiled.joint !== call.joint ||
    compiled.extra !== call.extra ||
    compiled.aliases !== call.aliases ||
    compiled.leaves.length !== call.leaves.length
  )
    return false;
  const bound = new Map<string, number>();
  const range = new Map(plan.symbols.map((s) => [s.name, s]));
  return call.leaves.every((y, leaf) => {
    const x = compiled.leaves[leaf]!;
    if (x.dtype !== y.dtype || x.requiresGrad !== y.requiresGrad || x.shape.length !== y.shape.length)
      return false;
    return y.shape.every((n, dim) => {
      const name = plan.dims[leaf]?.[dim];
      if (name === undefined) return n === x.shape[dim];
      const seen = bound.get(name);
      if (seen !== undefined && seen !== n) return false;
      bound.set(name, n);
      const s = range.get(name)!;
      return n >= s.min && (s.max === undefined || n <= s.max);
    });
  });
}

/** `input 0 dim 0 as B, input 1 dim 0 as B`: what a symbolic compile made symbolic. */
export function describePlan(plan: SymbolicPlan, names: readonly string[]): string {
  const parts: string[] = [];
  plan.dims.forEach((dims, leaf) => {
    dims.forEach((name, dim) => {
      if (name !== undefined) parts.push(`${names[leaf] ?? `tensor ${leaf}`} dim ${dim} as ${name}`);
    });
  });
  return parts.join(", ");
}

/** The dims `dynamic: true` makes symbolic: every dim of size >= 2 of a user input, and marked dims. */
export function allUserDims(
  signature: CallSignature,
  roles: readonly PrimalRole[],
  leaves: readonly Tensor[],
): DimRef[] {
  const out: DimRef[] = [];
  signature.leaves.forEach((l, leaf) => {
    const marked = markedDims(leaves[leaf]!);
    l.shape.forEach((n, dim) => {
      if ((roles[leaf]?.kind === "user_input" && n >= 2) || marked.has(dim)) out.push({ leaf, dim });
    });
  });
  return out;
}

import { describeInputRole, type PrimalRole } from "@aotjs/ir";

/** One distinct tensor argument of a call, as the cache sees it. */
export interface LeafSignature {
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly requiresGrad: boolean;
}

/** What a call's cache key is made of, kept apart so a miss can say which part changed. */
export interface CallSignature {
  /** The arguments' structure and non-tensor values (`specKey`). */
  readonly structure: string;
  readonly needsGrad: boolean;
  /** Called through `forwardBackward`: one joint graph instead of a forward and a backward. */
  readonly joint: boolean;
  /** The caller's extra key (a module's training flag). */
  readonly extra: string;
  /** How arguments alias each other ("" when no tensor is passed twice). */
  readonly aliases: string;
  readonly leaves: readonly LeafSignature[];
}

export function callKey(s: CallSignature): string {
  return [
    s.structure,
    s.needsGrad,
    s.joint ? "joint" : "",
    s.extra,
    s.aliases,
    ...s.leaves.map((t) => `${t.dtype}[${t.shape}]${t.requiresGrad ? "g" : ""}`),
  ].join("|");
}

/** `input 0`, `parameter fc1.weight`: how a reason names a leaf. */
export function describeLeaf(role: PrimalRole): string {
  return role.kind === "user_input" ? `input ${role.index}` : describeInputRole(role);
}

/** One size that differs between two calls of the same structure. */
export interface SizeChange {
  readonly leaf: number;
  readonly dim: number;
  readonly from: number;
  readonly to: number;
}

/**
 * The sizes that differ between `a` and `b` when nothing else does (same structure, grad mode,
 * extra key, aliasing, dtypes, ranks and requiresGrad); undefined when something else differs.
 * This is what automatic dynamic shapes may make symbolic.
 */
export function sizeChanges(a: CallSignature, b: CallSignature): SizeChange[] | undefined {
  if (
    a.structure !== b.structure ||
    a.needsGrad !== b.needsGrad ||
    a.joint !== b.joint ||
    a.extra !== b.extra ||
    a.aliases !== b.aliases ||
    a.leaves.length !== b.leaves.length
  )
    return undefined;
  const changes: SizeChange[] = [];
  for (let leaf = 0; leaf < a.leaves.length; leaf++) {
    const x = a.leaves[leaf]!;
    const y = b.leaves[leaf]!;
    if (x.dtype !== y.dtype || x.requiresGrad !== y.requiresGrad || x.shape.length !== y.shape.length)
      return undefined;
    x.shape.forEach((from, dim) => {
      const to = y.shape[dim]!;
      if (from !== to) changes.push({ leaf, dim, from, to });
    });
  }
  return changes;
}

/**
 * Why `next` missed the cache, against the closest signature already compiled: `input 0 dim 0:
 * 8 -> 5`, `input 1 dtype float32 -> float64`, `grad mode: no grad -> grad`. Several differences
 * are joined with `; `.
 */
export function recompileReason(
  previous: readonly CallSignature[],
  next: CallSignature,
  names: readonly string[],
): string {
  let best: string[] | undefined;
  for (const p of previous) {
    const diff = differences(p, next, names);
    if (!best || diff.length < best.length) best = diff;
  }
  return best?.join("; ") ?? "first call";
}

function differences(a: CallSignature, b: CallSignature, names: readonly string[]): string[] {
  const out: string[] = [];
  if (a.structure !== b.structure) out.push("the arguments' structure or non-tensor values changed");
  if (a.needsGrad !== b.needsGrad)
    out.push(`grad mode: ${a.needsGrad ? "grad" : "no grad"} -> ${b.needsGrad ? "grad" : "no grad"}`);
  if (a.joint !== b.joint) {
    const how = (joint: boolean) => (joint ? "forwardBackward" : "a call");
    out.push(`called through ${how(a.joint)} -> ${how(b.joint)}`);
  }
  if (a.extra !== b.extra) out.push(`cache key '${a.extra}' -> '${b.extra}'`);
  if (a.aliases !== b.aliases) out.push("which arguments are the same tensor changed");
  if (a.leaves.length !== b.leaves.length) {
    out.push(`tensor arguments: ${a.leaves.length} -> ${b.leaves.length}`);
    return out;
  }
  b.leaves.forEach((y, leaf) => {
    const x = a.leaves[leaf]!;
    const name = names[leaf] ?? `tensor ${leaf}`;
    if (x.dtype !== y.dtype) out.push(`${name} dtype ${x.dtype} -> ${y.dtype}`);
    if (x.requiresGrad !== y.requiresGrad)
      out.push(`${name} requiresGrad ${x.requiresGrad} -> ${y.requiresGrad}`);
    if (x.shape.length !== y.shape.length) out.push(`${name} shape [${x.shape}] -> [${y.shape}]`);
    else
      y.shape.forEach((to, dim) => {
        if (x.shape[dim] !== to) out.push(`${name} dim ${dim}: ${x.shape[dim]} -> ${to}`);
      });
  });
  return out;
}

/**
 * The warning when a function's compiles pass the cache limit: which tensors' sizes kept changing
 * (the fix is to mark those dims dynamic), or else that something else keeps changing.
 */
export function cacheLimitWarning(
  who: string,
  limit: number,
  history: readonly CallSignature[],
  names: readonly string[],
): string {
  const changing = new Map<string, Set<number>>();
  for (let i = 1; i < history.length; i++) {
    const changes = sizeChanges(history[0]!, history[i]!) ?? [];
    for (const c of changes) {
      const where = `${names[c.leaf] ?? `tensor ${c.leaf}`} dim ${c.dim}`;
      const sizes = changing.get(where) ?? new Set([c.from]);
      sizes.add(c.to);
      changing.set(where, sizes);
    }
  }
  const head = `${who}: ${history.length} signatures compiled, past the cache size limit (${limit}); every new one compiles again and keeps its executables`;
  if (!changing.size)
    return `${head}. The shapes keep the same sizes: something else changes from call to call (dtypes, grad mode, structure or non-tensor arguments)`;
  const list = [...changing].map(([where, sizes]) => `${where} (sizes ${[...sizes].join(", ")})`).join(", ");
  return `${head}. Sizes that keep changing: ${list}. Pass dynamic: true, or markDynamic(tensor, dim) on those inputs, to compile one graph for every size`;
}

import { catalog, type Node, type OpCategory, type OpName } from "@aotjs/ir";

/**
 * Which forward nodes the min-cut partitioner may recompute in the backward graph:
 *
 * - a predicate over nodes;
 * - op names (an array or set): exactly those ops, as PyTorch's `recomputable_ops` argument;
 * - `{ categories, include, exclude }`: ops of those categories (default: the recomputable
 *   categories below), plus `include`, minus `exclude`.
 */
export type RecomputePolicy =
  | ((node: Node) => boolean)
  | readonly OpName[]
  | ReadonlySet<OpName>
  | {
      readonly categories?: readonly OpCategory[];
      readonly include?: readonly OpName[];
      readonly exclude?: readonly OpName[];
    };

/**
 * Cheap to redo, and each fuses into its consumers. Compute-heavy ops (matmul, conv, pools) cost
 * real time to redo and random ops must not be redrawn by default, as in PyTorch, so neither is here.
 */
export const RECOMPUTABLE_CATEGORIES: readonly OpCategory[] = [
  "pointwise",
  "layout",
  "reduction",
  "creation",
];

/** The default recompute policy: pointwise, layout, reduction and creation ops (`RECOMPUTABLE_CATEGORIES`). */
export const defaultRecomputable = (node: Node): boolean =>
  RECOMPUTABLE_CATEGORIES.includes(catalog[node.op].category);

/** A recompute policy as a predicate over nodes (undefined: `defaultRecomputable`). */
export function recomputePredicate(policy: RecomputePolicy | undefined): (node: Node) => boolean {
  if (policy === undefined) return defaultRecomputable;
  if (typeof policy === "function") return policy;
  if (Array.isArray(policy) || policy instanceof Set) {
    const ops = new Set<string>(policy as Iterable<OpName>);
    return (node) => ops.has(node.op);
  }
  const p = policy as Exclude<
    RecomputePolicy,
    ((node: Node) => boolean) | readonly OpName[] | ReadonlySet<OpName>
  >;
  const categories = new Set<OpCategory>(p.categories ?? RECOMPUTABLE_CATEGORIES);
  const include = new Set<string>(p.include ?? []);
  const exclude = new Set<string>(p.exclude ?? []);
  return (node) =>
    !exclude.has(node.op) && (include.has(node.op) || categories.has(catalog[node.op].category));
}

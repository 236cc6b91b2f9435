import { AotjsError } from "@aotjs/ir";
import { Tensor } from "@aotjs/tensor";

/**
 * Pytrees: nested arrays and plain objects whose leaves are tensors. Everything that is not a
 * tensor (numbers, strings, booleans, null, undefined) is kept in the spec by value, so a spec
 * plus a leaf list rebuilds the tree, and a spec's key is a cache key for "same structure and
 * same non-tensor arguments".
 */
export type PyTree =
  | Tensor
  | number
  | string
  | boolean
  | null
  | undefined
  | readonly PyTree[]
  | { readonly [key: string]: PyTree };

/** The structure of a pytree (arrays, objects, leaves, constants) without its tensors. */
export type TreeSpec =
  | { readonly kind: "leaf" }
  | { readonly kind: "array"; readonly children: readonly TreeSpec[] }
  | { readonly kind: "object"; readonly keys: readonly string[]; readonly children: readonly TreeSpec[] }
  | { readonly kind: "value"; readonly value: number | string | boolean | null | undefined };

export class PyTreeError extends AotjsError {
  override name = "PyTreeError";
}

const isPlainObject = (x: unknown): x is Record<string, unknown> => {
  if (typeof x !== "object" || x === null) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
};

/** Leaves in depth-first order (object keys in insertion order) and the spec to rebuild the tree. */
export function flatten(tree: unknown): { leaves: Tensor[]; spec: TreeSpec } {
  const leaves: Tensor[] = [];
  const walk = (x: unknown, path: string): TreeSpec => {
    if (x instanceof Tensor) {
      leaves.push(x);
      return { kind: "leaf" };
    }
    if (Array.isArray(x)) return { kind: "array", children: x.map((c, i) => walk(c, `${path}[${i}]`)) };
    if (isPlainObject(x)) {
      const keys = Object.keys(x);
      return { kind: "object", keys, children: keys.map((k) => walk(x[k], `${path}.${k}`)) };
    }
    if (
      x === null ||
      x === undefined ||
      typeof x === "number" ||
      typeof x === "string" ||
      typeof x === "boolean"
    ) {
      return { kind: "value", value: x };
    }
    const what = typeof x === "object" ? ((x as object).constructor?.name ?? "object") : typeof x;
    throw new PyTreeError(
      `pytree: ${path || "the argument"} is a ${what}; pytrees hold tensors, arrays, plain objects, numbers, strings, booleans and null`,
    );
  };
  const spec = walk(tree, "");
  return { leaves, spec };
}

/** Rebuilds the pytree of `spec` with `leaves` in place of its tensors. */
export function unflatten(spec: TreeSpec, leaves: readonly Tensor[]): PyTree {
  let next = 0;
  const build = (s: TreeSpec): PyTree => {
    switch (s.kind) {
      case "leaf": {
        if (next >= leaves.length)
          throw new PyTreeError(`unflatten: the spec has more leaves than the ${leaves.length} given`);
        return leaves[next++]!;
      }
      case "array":
        return s.children.map(build);
      case "object":
        return Object.fromEntries(s.keys.map((k, i) => [k, build(s.children[i]!)]));
      case "value":
        return s.value;
    }
  };
  const tree = build(spec);
  if (next !== leaves.length)
    throw new PyTreeError(`unflatten: the spec has ${next} leaves but ${leaves.length} were given`);
  return tree;
}

/** How many tensor leaves a pytree of `spec` holds. */
export const countLeaves = (spec: TreeSpec): number =>
  spec.kind === "leaf"
    ? 1
    : spec.kind === "value"
      ? 0
      : spec.children.reduce((n, c) => n + countLeaves(c), 0);

/** A string that is equal for equal specs: structure, object keys and non-tensor values. */
export function specKey(spec: TreeSpec): string {
  switch (spec.kind) {
    case "leaf":
      return "T";
    case "array":
      return `[${spec.children.map(specKey).join(",")}]`;
    case "object":
      return `{${spec.keys.map((k, i) => `${JSON.stringify(k)}:${specKey(spec.children[i]!)}`).join(",")}}`;
    case "value":
      return spec.value === undefined
        ? "undefined"
        : typeof spec.value === "number" && (!Number.isFinite(spec.value) || Object.is(spec.value, -0))
          ? `#${Object.is(spec.value, -0) ? "-0" : spec.value}`
          : JSON.stringify(spec.value);
  }
}

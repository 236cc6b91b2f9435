import { type DType, dtypes, isDType } from "./dtype.js";
import { IRError } from "./errors.js";

/**
 * Attribute schemas. Each op declares its attributes with these specs; the TypeScript types of
 * the attribute values are derived from the specs, so the catalog is the single source of truth
 * for both the runtime checks and the compile-time types.
 */
export type AttrSpec =
  | { readonly kind: "int"; readonly default?: number; readonly min?: number }
  | {
      readonly kind: "ints";
      readonly default?: readonly number[];
      readonly length?: number;
      readonly min?: number;
    }
  | { readonly kind: "float"; readonly default?: number }
  | { readonly kind: "bool"; readonly default?: boolean }
  | { readonly kind: "dtype"; readonly default?: DType; readonly allowed?: readonly DType[] }
  | { readonly kind: "enum"; readonly values: readonly string[]; readonly default?: string };

/** An op's attributes: a spec per name. */
export type AttrSchema = { readonly [name: string]: AttrSpec };

/** The TypeScript type of an attribute value of spec `S` (number, number[], boolean, DType or one enum string). */
export type AttrValue<S extends AttrSpec> = S extends { kind: "int" | "float" }
  ? number
  : S extends { kind: "ints" }
    ? readonly number[]
    : S extends { kind: "bool" }
      ? boolean
      : S extends { kind: "dtype" }
        ? DType
        : S extends { kind: "enum"; values: readonly (infer V)[] }
          ? V
          : never;

/** Attributes as a node stores them: every key present, defaults filled in. */
export type Attrs<S extends AttrSchema> = { readonly [K in keyof S]: AttrValue<S[K]> };

type KeysWithDefault<S extends AttrSchema> = {
  [K in keyof S]: S[K] extends { default: unknown } ? K : never;
}[keyof S];

/** Attributes as a caller passes them: keys with a default may be left out. */
export type AttrsInput<S extends AttrSchema> = {
  readonly [K in Exclude<keyof S, KeysWithDefault<S>>]: AttrValue<S[K]>;
} & { readonly [K in KeysWithDefault<S>]?: AttrValue<S[K]> };

/** Spec constructors; `const` type parameters keep enum values as literal types. */
export const attr = {
  /** An integer attribute (with an optional default and minimum). */
  int: <const O extends { default?: number; min?: number }>(o: O = {} as O) =>
    ({ kind: "int", ...o }) as const,
  /** A list-of-integers attribute (with an optional default, length and minimum). */
  ints: <const O extends { default?: readonly number[]; length?: number; min?: number }>(o: O = {} as O) =>
    ({ kind: "ints", ...o }) as const,
  /** A float attribute (with an optional default). */
  float: <const O extends { default?: number }>(o: O = {} as O) => ({ kind: "float", ...o }) as const,
  /** A boolean attribute (with an optional default). */
  bool: <const O extends { default?: boolean }>(o: O = {} as O) => ({ kind: "bool", ...o }) as const,
  /** A dtype attribute (with an optional default and allowed set). */
  dtype: <const O extends { default?: DType; allowed?: readonly DType[] }>(o: O = {} as O) =>
    ({ kind: "dtype", ...o }) as const,
  /** An attribute that is one of `values` (with an optional default). */
  enum: <const V extends readonly string[], const O extends { default?: V[number] }>(
    values: V,
    o: O = {} as O,
  ) => ({ kind: "enum", values, ...o }) as const,
};

function describe(spec: AttrSpec): string {
  switch (spec.kind) {
    case "int":
      return spec.min === undefined ? "an integer" : `an integer >= ${spec.min}`;
    case "ints": {
      const len = spec.length === undefined ? "" : ` of length ${spec.length}`;
      const min = spec.min === undefined ? "" : `, each >= ${spec.min}`;
      return `a list of integers${len}${min}`;
    }
    case "float":
      return "a number";
    case "bool":
      return "a boolean";
    case "dtype":
      return `one of ${(spec.allowed ?? dtypes).join(", ")}`;
    case "enum":
      return `one of ${spec.values.map((v) => JSON.stringify(v)).join(", ")}`;
  }
}

function isValid(spec: AttrSpec, v: unknown): boolean {
  switch (spec.kind) {
    case "int":
      return Number.isSafeInteger(v) && (spec.min === undefined || (v as number) >= spec.min);
    case "ints":
      return (
        Array.isArray(v) &&
        (spec.length === undefined || v.length === spec.length) &&
        v.every((x) => Number.isSafeInteger(x) && (spec.min === undefined || x >= spec.min))
      );
    case "float":
      return typeof v === "number";
    case "bool":
      return typeof v === "boolean";
    case "dtype":
      return isDType(v) && (spec.allowed === undefined || spec.allowed.includes(v));
    case "enum":
      return typeof v === "string" && spec.values.includes(v);
  }
}

const show = (v: unknown): string => {
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
};

/**
 * Check `given` against `schema`, fill defaults, and return a frozen attribute record.
 * `where` names the op and node for the error message; `path` is set when reading JSON.
 */
export function normalizeAttrs<S extends AttrSchema>(
  schema: S,
  given: unknown,
  where: string,
  path?: string,
): Attrs<S> {
  const at = (key: string) => (path === undefined ? undefined : `${path}.${key}`);
  if (given === undefined || given === null) given = {};
  if (typeof given !== "object" || given === null || Array.isArray(given)) {
    throw new IRError(`${where}: attributes must be an object, got ${show(given)}`, path);
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(schema, key)) {
      const known = Object.keys(schema);
      throw new IRError(
        `${where}: unknown attribute '${key}' (${known.length ? `expected ${known.join(", ")}` : "this op takes none"})`,
        at(key),
      );
    }
  }
  for (const [key, spec] of Object.entries(schema)) {
    let v = (given as Record<string, unknown>)[key];
    if (v === undefined) {
      if (spec.default === undefined) throw new IRError(`${where}: missing attribute '${key}'`, at(key));
      v = spec.default;
    }
    if (!isValid(spec, v)) {
      throw new IRError(`${where}: attribute '${key}' must be ${describe(spec)}, got ${show(v)}`, at(key));
    }
    out[key] = Array.isArray(v) ? Object.freeze([...v]) : v;
  }
  return Object.freeze(out) as Attrs<S>;
}

/** Equal when every attribute is equal; used by CSE and by printing only non-default attributes. */
export function attrValueEquals(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
  return Object.is(a, b);
}

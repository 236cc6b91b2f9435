import type { AttrSpec } from "./attrs.js";
import { dtypes } from "./dtype.js";
import { GRAPH_FORMAT, GRAPH_FORMAT_VERSION } from "./json.js";
import { catalog, opNames } from "./ops/index.js";

const name = { type: "string", pattern: "^[A-Za-z_][A-Za-z0-9_]*$" };
const shape = { type: "array", items: { type: "integer", minimum: 0 } };
const float = { oneOf: [{ type: "number" }, { enum: ["Infinity", "-Infinity", "NaN", "-0"] }] };
const index = { type: "integer", minimum: 0 };
const path = { type: "string", minLength: 1 };

/** `{ kind, ...fields }` with exactly these fields. */
const role = (kind: string, fields: Record<string, object> = {}) => ({
  type: "object",
  required: ["kind", ...Object.keys(fields)],
  additionalProperties: false,
  properties: { kind: { const: kind }, ...fields },
});
const primalRoles = [role("user_input", { index }), role("parameter", { path }), role("buffer", { path })];
const inputRole = {
  oneOf: [
    ...primalRoles,
    role("tangent", { output: index }),
    role("rng_seed"),
    role("rng_offset"),
    role("constant", { index }),
    role("saved", { forwardOutput: index }),
  ],
};
const outputRole = {
  oneOf: [
    role("user_output", { index }),
    role("mutation", { input: index }),
    role("saved"),
    role("gradient", { of: { oneOf: primalRoles } }),
  ],
};

function attrSchema(spec: AttrSpec): object {
  switch (spec.kind) {
    case "int":
      return { type: "integer", ...(spec.min === undefined ? {} : { minimum: spec.min }) };
    case "ints":
      return {
        type: "array",
        items: { type: "integer", ...(spec.min === undefined ? {} : { minimum: spec.min }) },
        ...(spec.length === undefined ? {} : { minItems: spec.length, maxItems: spec.length }),
      };
    case "float":
      return float;
    case "bool":
      return { type: "boolean" };
    case "dtype":
      return { enum: [...(spec.allowed ?? dtypes)] };
    case "enum":
      return { enum: [...spec.values] };
  }
}

/**
 * The JSON Schema (draft 2020-12) of the graph format, generated from the catalog so the two can't
 * drift; `schema/graph.schema.json` is this, written out, and a test keeps it current. The schema
 * checks structure, roles and attributes per op; references, cycles, shape rules and whether the
 * roles fit the graph need `fromJSON`. It describes the current version; `fromJSON` also reads
 * version 1.
 */
export function graphJsonSchema(): object {
  const perOp = opNames.map((op) => {
    const attrs = catalog[op].attrs as Record<string, AttrSpec>;
    const required = Object.entries(attrs)
      .filter(([, s]) => s.default === undefined)
      .map(([k]) => k);
    return {
      if: { properties: { op: { const: op } } },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword
      then: {
        // `fromJSON` reads a missing `attrs` as {}, so an op with required attributes needs the object.
        ...(required.length ? { required: ["attrs"] } : {}),
        properties: {
          attrs: {
            type: "object",
            properties: Object.fromEntries(Object.entries(attrs).map(([k, s]) => [k, attrSchema(s)])),
            required,
            additionalProperties: false,
          },
        },
      },
    };
  });
  // A number, or an expression over symbols as `formatDim` writes it: `B`, `784*B`, `1/(784*B)`.
  const symbolicDim = {
    oneOf: [{ type: "number" }, { type: "string", pattern: "^[A-Za-z0-9_*^+\\-/() ]+$" }],
  };
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: "https://aotjs.dev/schema/graph.schema.json",
    title: "aotjs graph",
    type: "object",
    required: ["format", "version", "name", "inputs", "nodes", "outputs"],
    additionalProperties: false,
    properties: {
      format: { const: GRAPH_FORMAT },
      version: { const: GRAPH_FORMAT_VERSION },
      name,
      inputs: {
        type: "array",
        items: {
          type: "object",
          required: ["name", "dtype", "shape", "role"],
          additionalProperties: false,
          properties: { name, dtype: { enum: [...dtypes] }, shape, role: inputRole },
        },
      },
      nodes: {
        type: "array",
        items: {
          type: "object",
          required: ["name", "op", "inputs", "dtype", "shape"],
          additionalProperties: false,
          properties: {
            name,
            op: { enum: [...opNames] },
            inputs: { type: "array", items: name },
            attrs: { type: "object" },
            dtype: { enum: [...dtypes] },
            shape,
            region: { type: "integer", minimum: 1 },
          },
          allOf: perOp,
        },
      },
      outputs: {
        type: "array",
        items: {
          type: "object",
          required: ["value", "role"],
          additionalProperties: false,
          properties: { value: name, role: outputRole },
        },
      },
      symbolic: {
        description: "symbols and symbolic sizes; shapes and attributes above hold their values at the hints",
        type: "object",
        required: ["symbols", "shapes", "attrs"],
        additionalProperties: false,
        properties: {
          symbols: {
            type: "array",
            items: {
              type: "object",
              required: ["name", "hint", "min"],
              additionalProperties: false,
              properties: {
                name,
                hint: { type: "integer" },
                min: { type: "integer" },
                max: { type: "integer" },
              },
            },
          },
          shapes: { type: "object", additionalProperties: { type: "array", items: symbolicDim } },
          attrs: {
            type: "object",
            additionalProperties: {
              type: "object",
              additionalProperties: { oneOf: [symbolicDim, { type: "array", items: symbolicDim }] },
            },
          },
        },
      },
    },
  };
}

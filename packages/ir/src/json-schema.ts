import type { AttrSpec } from "./attrs.js";
import { dtypes } from "./dtype.js";
import { GRAPH_FORMAT, GRAPH_FORMAT_VERSION } from "./json.js";
import { catalog, opNames } from "./ops/index.js";

const name = { type: "string", pattern: "^[A-Za-z_][A-Za-z0-9_]*$" };
const shape = { type: "array", items: { type: "integer", minimum: 0 } };
const float = { oneOf: [{ type: "number" }, { enum: ["Infinity", "-Infinity", "NaN", "-0"] }] };

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
 * checks structure and attributes per op; references, cycles and shape rules need `fromJSON`.
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
          required: ["name", "dtype", "shape"],
          additionalProperties: false,
          properties: { name, dtype: { enum: [...dtypes] }, shape },
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
          },
          allOf: perOp,
        },
      },
      outputs: { type: "array", items: name },
      mutations: {
        type: "array",
        items: {
          type: "object",
          required: ["input", "output"],
          additionalProperties: false,
          properties: { input: name, output: { type: "integer", minimum: 0 } },
        },
      },
    },
  };
}

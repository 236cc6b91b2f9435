import { GraphBuilder, isValidName } from "./builder.js";
import { dtypes, isDType } from "./dtype.js";
import { IRError, messageOf } from "./errors.js";
import type { Graph, Value } from "./graph.js";
import { catalog, isOpName } from "./ops/index.js";
import { formatMeta, isValidShape, sameMeta, type TensorMeta } from "./tensor-data.js";

export const GRAPH_FORMAT = "aotjs.graph";
export const GRAPH_FORMAT_VERSION = 1;

/**
 * JSON has no Infinity or NaN, and `JSON.stringify(-0)` is "0", so float attributes spell those
 * four values as these strings.
 */
export type JSONFloat = number | "Infinity" | "-Infinity" | "NaN" | "-0";
export type JSONAttr = JSONFloat | boolean | string | readonly number[];

export interface GraphJSON {
  readonly format: typeof GRAPH_FORMAT;
  readonly version: typeof GRAPH_FORMAT_VERSION;
  readonly name: string;
  readonly inputs: readonly { name: string; dtype: string; shape: readonly number[] }[];
  readonly nodes: readonly {
    name: string;
    op: string;
    inputs: readonly string[];
    attrs: Readonly<Record<string, JSONAttr>>;
    dtype: string;
    shape: readonly number[];
  }[];
  readonly outputs: readonly string[];
  /** Inputs updated in place: `input` is an input's name, `output` the index of its new value. */
  readonly mutations?: readonly { input: string; output: number }[];
}

const encodeFloat = (v: unknown): unknown =>
  Object.is(v, -0) ? "-0" : typeof v === "number" && !Number.isFinite(v) ? String(v) : v;
const decodeFloat = (v: unknown): unknown =>
  v === "Infinity"
    ? Number.POSITIVE_INFINITY
    : v === "-Infinity"
      ? Number.NEGATIVE_INFINITY
      : v === "NaN"
        ? Number.NaN
        : v === "-0"
          ? -0
          : v;

/** The versioned JSON form. Every attribute is written, defaults included, so readers need no catalog. */
export function toJSON(graph: Graph): GraphJSON {
  return {
    format: GRAPH_FORMAT,
    version: GRAPH_FORMAT_VERSION,
    name: graph.name,
    inputs: graph.inputs.map((v) => ({ name: v.name, dtype: v.meta.dtype, shape: [...v.meta.shape] })),
    nodes: graph.nodes.map((n) => ({
      name: n.name,
      op: n.op,
      inputs: n.inputs.map((v) => v.name),
      attrs: Object.fromEntries(
        Object.entries(n.attrs as Record<string, unknown>).map(([k, v]) => [
          k,
          encodeFloat(Array.isArray(v) ? [...v] : v),
        ]),
      ) as Record<string, JSONAttr>,
      dtype: n.meta.dtype,
      shape: [...n.meta.shape],
    })),
    outputs: graph.outputs.map((v) => v.name),
    ...(graph.mutations.length
      ? { mutations: graph.mutations.map((m) => ({ input: graph.inputs[m.input]!.name, output: m.output })) }
      : {}),
  };
}

const kindOf = (x: unknown) => (x === null ? "null" : Array.isArray(x) ? "an array" : typeof x);

function expectObject(x: unknown, path: string): Record<string, unknown> {
  if (typeof x !== "object" || x === null || Array.isArray(x))
    throw new IRError(`expected an object, got ${kindOf(x)}`, path);
  return x as Record<string, unknown>;
}
function expectArray(x: unknown, path: string): unknown[] {
  if (!Array.isArray(x)) throw new IRError(`expected an array, got ${kindOf(x)}`, path);
  return x;
}
/** Unknown fields are errors, not silently dropped: a typo like `attr` must not mean "all defaults". */
function expectKnownFields(o: Record<string, unknown>, known: readonly string[], path: string): void {
  for (const key of Object.keys(o))
    if (!known.includes(key)) throw new IRError(`unknown field '${key}'`, `${path}.${key}`);
}
function expectName(x: unknown, path: string): string {
  if (!isValidName(x)) throw new IRError(`expected an identifier name, got ${JSON.stringify(x)}`, path);
  return x;
}
function readMeta(o: Record<string, unknown>, path: string): TensorMeta {
  if (!isDType(o.dtype))
    throw new IRError(
      `unknown dtype ${JSON.stringify(o.dtype)} (expected one of ${dtypes.join(", ")})`,
      `${path}.dtype`,
    );
  if (!isValidShape(o.shape))
    throw new IRError(
      `shape must be a list of non-negative integers, got ${JSON.stringify(o.shape)}`,
      `${path}.shape`,
    );
  return { dtype: o.dtype, shape: o.shape };
}

/**
 * Read a graph from its JSON form (an object, or a string to parse). Nodes may come in any order;
 * they are sorted topologically. Every check the builder and verifier make is made here, and each
 * failure names its JSON path (`$.nodes[3].inputs[1]`) and the reason. Nothing is evaluated.
 */
export function fromJSON(json: unknown): Graph {
  if (typeof json === "string") {
    try {
      json = JSON.parse(json);
    } catch (e) {
      throw new IRError(`not valid JSON: ${messageOf(e)}`, "$", { cause: e });
    }
  }
  const root = expectObject(json, "$");
  if (root.format !== GRAPH_FORMAT)
    throw new IRError(`expected format "${GRAPH_FORMAT}", got ${JSON.stringify(root.format)}`, "$.format");
  if (root.version !== GRAPH_FORMAT_VERSION) {
    throw new IRError(
      `unsupported version ${JSON.stringify(root.version)} (this reader knows ${GRAPH_FORMAT_VERSION})`,
      "$.version",
    );
  }
  const known = new Set(["format", "version", "name", "inputs", "nodes", "outputs", "mutations"]);
  for (const key of Object.keys(root))
    if (!known.has(key)) throw new IRError(`unknown field '${key}'`, `$.${key}`);
  const b = new GraphBuilder(expectName(root.name, "$.name"));
  const values = new Map<string, Value>();
  const definedAt = new Map<string, string>();
  const claim = (name: string, path: string) => {
    const before = definedAt.get(name);
    if (before !== undefined) throw new IRError(`name '${name}' is already defined at ${before}`, path);
    definedAt.set(name, path);
  };

  expectArray(root.inputs, "$.inputs").forEach((raw, i) => {
    const path = `$.inputs[${i}]`;
    const o = expectObject(raw, path);
    expectKnownFields(o, ["name", "dtype", "shape"], path);
    const name = expectName(o.name, `${path}.name`);
    claim(name, `${path}.name`);
    values.set(name, b.input(name, readMeta(o, path)));
  });

  // First pass: shape-check each node's own fields and collect names, so a reference to a later
  // node can be told apart from a reference to nothing.
  const pending = expectArray(root.nodes, "$.nodes").map((raw, i) => {
    const path = `$.nodes[${i}]`;
    const o = expectObject(raw, path);
    expectKnownFields(o, ["name", "op", "inputs", "attrs", "dtype", "shape"], path);
    const name = expectName(o.name, `${path}.name`);
    claim(name, `${path}.name`);
    if (!isOpName(o.op))
      throw new IRError(`unknown op ${JSON.stringify(o.op)} in node '${name}'`, `${path}.op`);
    const inputs = expectArray(o.inputs, `${path}.inputs`).map((x, j) => {
      if (typeof x !== "string")
        throw new IRError(`expected a value name, got ${kindOf(x)}`, `${path}.inputs[${j}]`);
      return x;
    });
    if (o.attrs !== undefined) expectObject(o.attrs, `${path}.attrs`);
    const attrs = Object.fromEntries(
      Object.entries((o.attrs ?? {}) as Record<string, unknown>).map(([k, v]) => {
        const spec = (catalog[o.op as keyof typeof catalog].attrs as Record<string, { kind: string }>)[k];
        return [k, spec?.kind === "float" ? decodeFloat(v) : v];
      }),
    );
    return { path, name, op: o.op, inputs, attrs, meta: readMeta(o, path) };
  });
  for (const node of pending) {
    node.inputs.forEach((ref, j) => {
      if (!definedAt.has(ref)) {
        throw new IRError(
          `'${ref}' is not defined by any input or node (dangling reference)`,
          `${node.path}.inputs[${j}]`,
        );
      }
    });
  }

  // Depth-first in file order, so a file that is already in topological order keeps its order.
  // Iterative, with an explicit stack: a long chain listed in reverse must not overflow the call stack.
  type Pending = (typeof pending)[number];
  const byName = new Map(pending.map((n) => [n.name, n]));
  const build = (n: Pending): void => {
    const v = b.opNamed(
      n.op,
      n.inputs.map((r) => values.get(r)!),
      n.attrs,
      n.name,
      n.path,
    );
    if (!sameMeta(v.meta, n.meta)) {
      throw new IRError(
        `${n.op} (node '${n.name}') records ${formatMeta(n.meta)} but its rule gives ${formatMeta(v.meta)}`,
        n.path,
      );
    }
    values.set(n.name, v);
  };
  for (const root of pending) {
    if (values.has(root.name)) continue;
    const stack: { node: Pending; next: number }[] = [{ node: root, next: 0 }];
    const onStack = new Set<Pending>([root]);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.next < top.node.inputs.length) {
        const dep = byName.get(top.node.inputs[top.next++]!);
        if (dep === undefined || values.has(dep.name)) continue;
        if (onStack.has(dep)) {
          const path = stack.map((f) => f.node);
          const cycle = [...path.slice(path.indexOf(dep)), dep].map((m) => m.name);
          throw new IRError(`cycle through ${cycle.join(" -> ")}`, dep.path);
        }
        onStack.add(dep);
        stack.push({ node: dep, next: 0 });
      } else {
        stack.pop();
        onStack.delete(top.node);
        build(top.node);
      }
    }
  }

  b.output(
    expectArray(root.outputs, "$.outputs").map((ref, i) => {
      const v = typeof ref === "string" ? values.get(ref) : undefined;
      if (!v)
        throw new IRError(
          `output ${JSON.stringify(ref)} is not defined by any input or node`,
          `$.outputs[${i}]`,
        );
      return v;
    }),
  );
  if (root.mutations !== undefined) {
    expectArray(root.mutations, "$.mutations").forEach((raw, i) => {
      const path = `$.mutations[${i}]`;
      const o = expectObject(raw, path);
      const input = typeof o.input === "string" ? values.get(o.input) : undefined;
      if (!input?.isInput) throw new IRError(`${JSON.stringify(o.input)} is not an input`, `${path}.input`);
      if (!Number.isSafeInteger(o.output))
        throw new IRError(
          `output must be an output index, got ${JSON.stringify(o.output)}`,
          `${path}.output`,
        );
      b.mutation(input, o.output as number);
    });
  }
  try {
    return b.build();
  } catch (e) {
    if (e instanceof IRError && root.mutations !== undefined)
      throw new IRError(e.message, "$.mutations", { cause: e });
    throw e;
  }
}

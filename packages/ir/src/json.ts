import { GraphBuilder, isValidName } from "./builder.js";
import { dtypes, isDType } from "./dtype.js";
import { IRError, messageOf } from "./errors.js";
import { Graph, type InputMutation, type Value } from "./graph.js";
import { catalog, isOpName } from "./ops/index.js";
import {
  checkSignature,
  type GraphSignature,
  type InputRole,
  type OutputRole,
  readInputRole,
  readOutputRole,
} from "./signature.js";
import { type SymbolicShapesJSON, symbolicFromJSON, symbolicToJSON, withSymbolic } from "./symbolic-graph.js";
import { formatMeta, isValidShape, sameMeta, type TensorMeta } from "./tensor-data.js";

/** The `format` field of a graph's JSON form. */
export const GRAPH_FORMAT = "aotjs.graph";
/** Version 2 carries the signature (a role per input and output); version 1 is still read. */
export const GRAPH_FORMAT_VERSION = 2;

/**
 * JSON has no Infinity or NaN, and `JSON.stringify(-0)` is "0", so float attributes spell those
 * four values as these strings.
 */
export type JSONFloat = number | "Infinity" | "-Infinity" | "NaN" | "-0";
export type JSONAttr = JSONFloat | boolean | string | readonly number[];

/** A graph's JSON form: format and version, inputs, nodes, outputs, signature, symbolic shapes. */
export interface GraphJSON {
  readonly format: typeof GRAPH_FORMAT;
  readonly version: typeof GRAPH_FORMAT_VERSION;
  readonly name: string;
  readonly inputs: readonly { name: string; dtype: string; shape: readonly number[]; role: InputRole }[];
  readonly nodes: readonly {
    name: string;
    op: string;
    inputs: readonly string[];
    attrs: Readonly<Record<string, JSONAttr>>;
    dtype: string;
    shape: readonly number[];
    /** The node's checkpoint region (`Node.region`), when it has one. */
    region?: number;
  }[];
  /** `value` names the input or node an output returns; `role` says what it is. */
  readonly outputs: readonly { value: string; role: OutputRole }[];
  /**
   * A symbolic graph's symbols and symbolic sizes (`"784*B"`); the shapes and attributes above
   * hold their values at the symbols' hints. Absent for a static graph.
   */
  readonly symbolic?: SymbolicShapesJSON;
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
    inputs: graph.inputs.map((v, i) => ({
      name: v.name,
      dtype: v.meta.dtype,
      shape: [...v.meta.shape],
      role: graph.signature.inputs[i]!,
    })),
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
      ...(n.region === undefined ? {} : { region: n.region }),
    })),
    outputs: graph.outputs.map((v, k) => ({ value: v.name, role: graph.signature.outputs[k]! })),
    ...(graph.symbolic ? { symbolic: symbolicToJSON(graph.symbolic) } : {}),
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
 * Read a graph from its JSON form (an object, or a string to parse), version 2 or 1. Nodes may
 * come in any order; they are sorted topologically. Every check the builder and verifier make is made here, and each
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
  if (root.version !== 1 && root.version !== GRAPH_FORMAT_VERSION) {
    throw new IRError(
      `unsupported version ${JSON.stringify(root.version)} (this reader knows 1 and ${GRAPH_FORMAT_VERSION})`,
      "$.version",
    );
  }
  const v1 = root.version === 1;
  const known = new Set([
    "format",
    "version",
    "name",
    "inputs",
    "nodes",
    "outputs",
    ...(v1 ? ["mutations"] : ["symbolic"]),
  ]);
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

  const rawRoles = expectArray(root.inputs, "$.inputs").map((raw, i) => {
    const path = `$.inputs[${i}]`;
    const o = expectObject(raw, path);
    expectKnownFields(o, v1 ? ["name", "dtype", "shape"] : ["name", "dtype", "shape", "role"], path);
    const name = expectName(o.name, `${path}.name`);
    claim(name, `${path}.name`);
    const meta = readMeta(o, path);
    if (!v1 && o.role === undefined) throw new IRError("missing field 'role'", `${path}.role`);
    const role = v1 ? undefined : readInputRole(o.role, `${path}.role`);
    values.set(name, b.input(name, meta));
    return role;
  });

  // First pass: shape-check each node's own fields and collect names, so a reference to a later
  // node can be told apart from a reference to nothing.
  const pending = expectArray(root.nodes, "$.nodes").map((raw, i) => {
    const path = `$.nodes[${i}]`;
    const o = expectObject(raw, path);
    expectKnownFields(o, ["name", "op", "inputs", "attrs", "dtype", "shape", "region"], path);
    if (o.region !== undefined && !(Number.isSafeInteger(o.region) && (o.region as number) >= 1))
      throw new IRError(
        `a checkpoint region must be an integer >= 1, got ${JSON.stringify(o.region)}`,
        `${path}.region`,
      );
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
    const region = o.region as number | undefined;
    return { path, name, op: o.op, inputs, attrs, meta: readMeta(o, path), region };
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
    b.region = n.region;
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

  const outputs = expectArray(root.outputs, "$.outputs").map((raw, i) => {
    const path = `$.outputs[${i}]`;
    let ref: unknown = raw;
    let role: OutputRole | undefined;
    if (!v1) {
      const o = expectObject(raw, path);
      expectKnownFields(o, ["value", "role"], path);
      if (o.role === undefined) throw new IRError("missing field 'role'", `${path}.role`);
      role = readOutputRole(o.role, `${path}.role`);
      ref = o.value;
    }
    const v = typeof ref === "string" ? values.get(ref) : undefined;
    if (!v)
      throw new IRError(
        `output ${JSON.stringify(ref)} is not defined by any input or node`,
        v1 ? path : `${path}.value`,
      );
    return { value: v, role };
  });
  b.region = undefined;
  b.output(outputs.map((o) => o.value));
  const plain = b.build();
  if (!v1) {
    const g = new Graph(plain.name, plain.inputs, plain.nodes, plain.outputs, {
      inputs: rawRoles.map((r) => r!),
      outputs: outputs.map((o) => o.role!),
    });
    checkSignature(g, "$");
    if (root.symbolic === undefined) return g;
    try {
      return withSymbolic(g, symbolicFromJSON(root.symbolic));
    } catch (e) {
      throw new IRError(messageOf(e), "$.symbolic", { cause: e });
    }
  }
  const mutations = readV1Mutations(root.mutations, values, plain);
  const g = new Graph(
    plain.name,
    plain.inputs,
    plain.nodes,
    plain.outputs,
    signatureFromV1(plain, mutations),
  );
  try {
    checkSignature(g);
  } catch (e) {
    if (e instanceof IRError && root.mutations !== undefined)
      throw new IRError(e.message, "$.mutations", { cause: e });
    throw e;
  }
  return g;
}

function readV1Mutations(raw: unknown, values: ReadonlyMap<string, Value>, g: Graph): InputMutation[] {
  if (raw === undefined) return [];
  return expectArray(raw, "$.mutations").map((x, i) => {
    const path = `$.mutations[${i}]`;
    const o = expectObject(x, path);
    const input = typeof o.input === "string" ? values.get(o.input) : undefined;
    if (!input?.isInput) throw new IRError(`${JSON.stringify(o.input)} is not an input`, `${path}.input`);
    if (!Number.isSafeInteger(o.output))
      throw new IRError(`output must be an output index, got ${JSON.stringify(o.output)}`, `${path}.output`);
    return { input: g.inputs.indexOf(input), output: o.output as number };
  });
}

/**
 * Version 1 stored no roles, so they are derived here, once, from what it had: its `mutations`
 * list gives the mutation outputs, and the names aotjs gave its inputs give the rest
 * (`tangents_N`: a tangent, of the first user output of its meta not yet taken; `rng_seed`,
 * `rng_offset`; `_tensor_constant_N`: constant N). Every other input is a user input and every
 * other output a user output (v1 cannot tell saved values or gradients apart from them). This is
 * the only place a role comes from a name.
 */
function signatureFromV1(g: Graph, mutations: readonly InputMutation[]): GraphSignature {
  const outputs: (OutputRole | undefined)[] = g.outputs.map(() => undefined);
  for (const m of mutations) {
    if (m.output < 0 || m.output >= outputs.length)
      throw new IRError(
        `mutation of '${g.inputs[m.input]!.name}': output index ${m.output} is out of range (${outputs.length} outputs)`,
        "$.mutations",
      );
    if (outputs[m.output] !== undefined)
      throw new IRError(`output ${m.output} is the new value of two inputs`, "$.mutations");
    outputs[m.output] = { kind: "mutation", input: m.input };
  }
  let nextOutput = 0;
  const outputRoles = outputs.map((r): OutputRole => r ?? { kind: "user_output", index: nextOutput++ });
  const taken = new Set<number>();
  let nextInput = 0;
  const inputRoles = g.inputs.map((v): InputRole => {
    if (v.name === "rng_seed") return { kind: "rng_seed" };
    if (v.name === "rng_offset") return { kind: "rng_offset" };
    const constant = /^_tensor_constant_(\d+)$/.exec(v.name);
    if (constant) return { kind: "constant", index: Number(constant[1]) };
    if (/^tangents_\d+$/.test(v.name)) {
      const k = outputRoles.findIndex(
        (r, i) => r.kind === "user_output" && !taken.has(i) && sameMeta(g.outputs[i]!.meta, v.meta),
      );
      if (k >= 0) {
        taken.add(k);
        return { kind: "tangent", output: (outputRoles[k] as { index: number }).index };
      }
    }
    return { kind: "user_input", index: nextInput++ };
  });
  return { inputs: inputRoles, outputs: outputRoles };
}

import { normalizeAttrs } from "./attrs.js";
import { describeInputs } from "./describe.js";
import { isDType } from "./dtype.js";
import { IRError, ShapeError } from "./errors.js";
import { Graph, Node, Value } from "./graph.js";
import { catalog, isOpName, type OpAttrsInput, type OpName } from "./ops/index.js";
import {
  checkSignature,
  type GraphSignature,
  type InputRole,
  type OutputRole,
  readInputRole,
  readOutputRole,
} from "./signature.js";
import { isValidShape, type TensorMeta } from "./tensor-data.js";

/** Whether `name` is an identifier, as every graph value name must be. */
export const isValidName = (name: unknown): name is string =>
  typeof name === "string" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);

/**
 * Check arity, attributes and the shape rule for one node; return the normalized attributes and
 * the result meta. Shared by the builder, the verifier and the JSON reader so all three agree.
 */
export function checkNode<K extends OpName>(
  op: K,
  inputs: readonly Value[],
  attrs: unknown,
  name: string | undefined,
  path?: string,
): { attrs: Node<K>["attrs"]; meta: TensorMeta } {
  // Eager calls have no node; their errors say just the op.
  const where = name === undefined ? String(op) : `${String(op)} (node '${name}')`;
  if (!isOpName(op))
    throw new IRError(`unknown op '${String(op)}'${name === undefined ? "" : ` (node '${name}')`}`, path);
  const def = catalog[op];
  const arityOk = def.variadic ? inputs.length >= 1 : inputs.length === def.inputs.length;
  if (!arityOk) {
    const want = def.variadic
      ? "at least 1 input"
      : `${def.inputs.length} input${def.inputs.length === 1 ? "" : "s"}`;
    throw new IRError(
      `${where}: takes ${want} (${def.inputs.join(", ") || "none"}), got ${inputs.length}`,
      path,
    );
  }
  const normalized = normalizeAttrs(
    def.attrs,
    attrs,
    where,
    path === undefined ? undefined : `${path}.attrs`,
  );
  try {
    const meta = (def.infer as (i: readonly TensorMeta[], a: unknown) => TensorMeta)(
      inputs.map((v) => v.meta),
      normalized,
    );
    return {
      attrs: normalized as Node<K>["attrs"],
      meta: { shape: Object.freeze([...meta.shape]), dtype: meta.dtype },
    };
  } catch (e) {
    if (e instanceof ShapeError) {
      throw new ShapeError(`${where}: ${e.message}; inputs: ${describeInputs(op, inputs) || "none"}`, path, {
        cause: e,
      });
    }
    throw e;
  }
}

/**
 * Builds a graph one node at a time, running each op's shape rule as the node is added, so an
 * ill-shaped graph can't be built. Names are unique: a repeated base name gets `_1`, `_2`, ...
 *
 *   const b = new GraphBuilder("f");
 *   const x = b.input("x", meta([3]));
 *   b.output([b.op("cos", [b.op("cos", [x])])]);
 *   const g = b.build();
 *
 * Roles: an input or output given none is a user input (output), numbered in order among those
 * given none; `build()` checks the signature (see `checkSignature`).
 */
export class GraphBuilder {
  readonly #inputs: Value[] = [];
  readonly #nodes: Node[] = [];
  readonly #names = new Set<string>();
  readonly #owned = new Set<Value>();
  readonly #counters = new Map<string, number>();
  readonly #inputRoles: (InputRole | undefined)[] = [];
  #outputs?: Value[];
  #outputRoles: (OutputRole | undefined)[] = [];
  /**
   * The checkpoint region (see `Node.region`) every node added from now on belongs to; undefined
   * for none. The tracer sets it while a `checkpoint()` region runs; copies set it per node.
   */
  region: number | undefined;

  constructor(readonly name = "graph") {
    if (!isValidName(name)) throw new IRError(`graph name '${name}' must be an identifier`);
  }

  /** A name not yet used: `base`, else `base_1`, `base_2`, ... */
  freshName(base: string): string {
    const clean = isValidName(base) ? base : `v_${String(base).replace(/[^A-Za-z0-9_]/g, "_")}`;
    if (!this.#names.has(clean)) return clean;
    let i = this.#counters.get(clean) ?? 1;
    while (this.#names.has(`${clean}_${i}`)) i++;
    this.#counters.set(clean, i + 1);
    return `${clean}_${i}`;
  }

  #claim(name: string, what: string): void {
    if (!isValidName(name)) throw new IRError(`${what} name '${name}' must be an identifier`);
    if (this.#names.has(name))
      throw new IRError(`${what} name '${name}' is already used in graph '${this.name}'`);
    this.#names.add(name);
  }

  /** Adds a graph input named `name` of `meta`, with a role (default: the next user input). */
  input(name: string, meta: TensorMeta, role?: InputRole): Value {
    if (!isValidShape(meta?.shape) || !isDType(meta?.dtype)) {
      throw new IRError(`input '${name}': invalid meta ${JSON.stringify(meta)}`);
    }
    const checkedRole = role === undefined ? undefined : readInputRole(role, `input '${name}' role`);
    this.#claim(name, "input");
    const v = new Value(name, { shape: Object.freeze([...meta.shape]), dtype: meta.dtype });
    this.#inputs.push(v);
    this.#inputRoles.push(checkedRole);
    this.#owned.add(v);
    return v;
  }

  /** Add `op(inputs, attrs)`; returns its result. `name` defaults to the op name, made unique. */
  op<K extends OpName>(op: K, inputs: readonly Value[], attrs?: OpAttrsInput<K>, name?: string): Value {
    const nodeName = name !== undefined && !this.#names.has(name) ? name : this.freshName(name ?? op);
    return this.#add(op, inputs, attrs, nodeName);
  }

  /** Like `op`, but the name must be free: used when a name is part of a contract (JSON, copies). */
  opNamed<K extends OpName>(
    op: K,
    inputs: readonly Value[],
    attrs: unknown,
    name: string,
    path?: string,
  ): Value {
    if (this.#names.has(name))
      throw new IRError(`node name '${name}' is already used in graph '${this.name}'`, path);
    return this.#add(op, inputs, attrs, name, path);
  }

  #add<K extends OpName>(
    op: K,
    inputs: readonly Value[],
    attrs: unknown,
    name: string,
    path?: string,
  ): Value {
    inputs.forEach((v, i) => {
      if (!this.#owned.has(v)) {
        throw new IRError(
          `${String(op)} (node '${name}'): input ${i} '${v?.name}' does not belong to graph '${this.name}'`,
          path,
        );
      }
    });
    const checked = checkNode(op, inputs, attrs, name, path);
    this.#claim(name, "node");
    const node = new Node(op, Object.freeze([...inputs]), checked.attrs, name, checked.meta, this.region);
    this.#nodes.push(node);
    this.#owned.add(node.output);
    return node.output;
  }

  /** The graph's outputs, with their roles when given (one per output). */
  output(values: readonly Value[], roles?: readonly (OutputRole | undefined)[]): void {
    values.forEach((v, i) => {
      if (!this.#owned.has(v))
        throw new IRError(`output ${i} '${v?.name}' does not belong to graph '${this.name}'`);
    });
    if (roles !== undefined && roles.length !== values.length)
      throw new IRError(`graph '${this.name}': ${roles.length} output roles for ${values.length} outputs`);
    this.#outputs = [...values];
    this.#outputRoles = values.map((_, i) => {
      const role = roles?.[i];
      return role === undefined ? undefined : readOutputRole(role, `output ${i} role`);
    });
  }

  /** Record that `outputs[output]` is the new value of `input`, which the function updated in place. */
  mutation(input: Value, output: number): void {
    const index = this.#inputs.indexOf(input);
    if (index < 0) throw new IRError(`mutation: '${input?.name}' is not an input of graph '${this.name}'`);
    if (!this.#outputs || !Number.isSafeInteger(output) || output < 0 || output >= this.#outputs.length)
      throw new IRError(
        `mutation of '${input.name}': output index ${output} is out of range (${this.#outputs?.length ?? 0} outputs; call output([...]) first)`,
      );
    this.#outputRoles[output] = { kind: "mutation", input: index };
  }

  /** The roles so far, with the defaults filled in. */
  get signature(): GraphSignature {
    let nextInput = 0;
    let nextOutput = 0;
    return {
      inputs: this.#inputRoles.map((r) => r ?? { kind: "user_input", index: nextInput++ }),
      outputs: this.#outputRoles.map((r) => r ?? { kind: "user_output", index: nextOutput++ }),
    };
  }

  /** Finishes the graph (outputs must be set) and verifies it. */
  build(): Graph {
    if (!this.#outputs)
      throw new IRError(`graph '${this.name}' has no outputs: call output([...]) before build()`);
    const g = new Graph(this.name, this.#inputs, this.#nodes, this.#outputs, this.signature);
    checkSignature(g);
    return g;
  }
}

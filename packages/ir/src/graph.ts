import { attrValueEquals } from "./attrs.js";
import { IRError } from "./errors.js";
import { type GraphJSON, toJSON } from "./json.js";
import { lint } from "./lint.js";
import { catalog, type OpAttrs, type OpName } from "./ops/index.js";
import { printGraph } from "./printer.js";
import { defaultSignature, freezeSignature, type GraphSignature } from "./signature.js";
import type { SymbolicShapes } from "./symbolic-graph.js";
import { formatMeta, type TensorMeta } from "./tensor-data.js";

/**
 * A value: an SSA name with a meta. It is a graph input (`producer` undefined) or the single
 * result of one node. Values are compared by identity.
 */
export class Value {
  constructor(
    readonly name: string,
    readonly meta: TensorMeta,
    readonly producer?: Node,
  ) {}

  get isInput(): boolean {
    return this.producer === undefined;
  }

  /** `name: f32[3,4]`, as the printer shows a value. */
  toString(): string {
    return `${this.name}: ${formatMeta(this.meta)}`;
  }
}

/**
 * One op application. Every op has exactly one result, `output`, as in torch.fx. `region` is the
 * activation-checkpoint region the node was traced in (`checkpoint()` in @aotjs/autograd), or
 * undefined: partitioners recompute a region's inner values in the backward instead of saving
 * them. Passes built on `rewriteGraph` keep it, also on the nodes a decomposition expands into.
 */
export class Node<K extends OpName = OpName> {
  readonly output: Value;
  readonly region?: number;
  constructor(
    readonly op: K,
    readonly inputs: readonly Value[],
    readonly attrs: OpAttrs<K>,
    name: string,
    meta: TensorMeta,
    region?: number,
  ) {
    this.output = new Value(name, meta, this as Node);
    if (region !== undefined) this.region = region;
  }

  get name(): string {
    return this.output.name;
  }
  get meta(): TensorMeta {
    return this.output.meta;
  }
  get category() {
    return catalog[this.op].category;
  }
}

/** A node narrowed by its op: `if (n.op === "conv2d") n.attrs.stride` type-checks. */
export type AnyNode = { [K in OpName]: Node<K> }[OpName];

/** Attributes that differ from the op's defaults, in schema order: what the printer shows. */
export function nonDefaultAttrs(node: Node): [string, unknown][] {
  const schema = catalog[node.op].attrs as Record<string, { default?: unknown }>;
  return Object.entries(node.attrs as Record<string, unknown>).filter(
    ([k, v]) => schema[k]?.default === undefined || !attrValueEquals(schema[k]!.default, v),
  );
}

/**
 * An input the traced function updated in place: after a run, `outputs[output]` holds the input's
 * new value, and a runtime writes it back (functionalization, as in AOT Autograd). A view of the
 * signature's `mutation` output roles.
 */
export interface InputMutation {
  readonly input: number;
  readonly output: number;
}

/**
 * An immutable dataflow graph: placeholders, nodes in topological order, outputs, and the
 * signature that says what each input and output is. Build one with `GraphBuilder`; passes return
 * new graphs and keep the signature. Without one, every input is a user input and every output a
 * user output, in order.
 */
export class Graph {
  readonly name: string;
  readonly inputs: readonly Value[];
  readonly nodes: readonly AnyNode[];
  readonly outputs: readonly Value[];
  readonly signature: GraphSignature;
  /** What is symbolic about the graph (see `SymbolicShapes`); undefined for a static graph. */
  readonly symbolic?: SymbolicShapes;
  #users?: Map<Value, Node[]>;

  constructor(
    name: string,
    inputs: readonly Value[],
    nodes: readonly Node[],
    outputs: readonly Value[],
    signature: GraphSignature = defaultSignature(inputs.length, outputs.length),
    symbolic?: SymbolicShapes,
  ) {
    this.name = name;
    this.inputs = Object.freeze([...inputs]);
    this.nodes = Object.freeze([...nodes]) as readonly AnyNode[];
    this.outputs = Object.freeze([...outputs]);
    this.signature = freezeSignature(signature);
    if (symbolic) this.symbolic = symbolic;
  }

  /** The inputs updated in place, from the signature's `mutation` outputs, in output order. */
  get mutations(): readonly InputMutation[] {
    const list: InputMutation[] = [];
    this.signature.outputs.forEach((r, output) => {
      if (r.kind === "mutation") list.push({ input: r.input, output });
    });
    return list;
  }

  /** The same graph under another name (what `printGraph("forward")` shows). */
  renamed(name: string): Graph {
    return name === this.name
      ? this
      : new Graph(name, this.inputs, this.nodes, this.outputs, this.signature, this.symbolic);
  }

  /** Every value: inputs first, then node results in order. */
  get values(): Value[] {
    return [...this.inputs, ...this.nodes.map((n) => n.output)];
  }

  /** The nodes that read each value, in node order (outputs are not users). */
  users(value: Value): readonly Node[] {
    if (!this.#users) {
      this.#users = new Map();
      for (const n of this.nodes) {
        for (const v of new Set(n.inputs)) {
          const list = this.#users.get(v);
          if (list) list.push(n);
          else this.#users.set(v, [n]);
        }
      }
    }
    return this.#users.get(value) ?? [];
  }

  /** The value named `name`; throws if there is none. */
  value(name: string): Value {
    const v = this.values.find((x) => x.name === name);
    if (!v) throw new IRError(`graph '${this.name}' has no value named '${name}'`);
    return v;
  }

  /** Readable TypeScript-like code for the graph, with every value's dtype and shape. */
  get code(): string {
    return printGraph(this);
  }

  /** Check every invariant (see `lint`); throws an `IRError` naming the first problem. */
  lint(): this {
    lint(this);
    return this;
  }

  /** The versioned JSON form (`JSON.stringify(graph)` uses it). */
  toJSON(): GraphJSON {
    return toJSON(this);
  }

  /** The graph as readable code, as `graph.code`. */
  toString(): string {
    return this.code;
  }

  get inputMetas(): TensorMeta[] {
    return this.inputs.map((v) => v.meta);
  }
  get outputMetas(): TensorMeta[] {
    return this.outputs.map((v) => v.meta);
  }
}

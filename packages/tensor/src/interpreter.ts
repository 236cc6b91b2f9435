import {
  type AnyNode,
  bindSymbols,
  describeNode,
  formatMeta,
  type Graph,
  messageOf,
  sameMeta,
  specialize,
  type TensorData,
  type Value,
} from "@aotjs/ir";
import { TensorError } from "./errors.js";
import { kernels } from "./kernels/index.js";

/**
 * Runs a graph on concrete data with the reference kernels, as torch.fx's Interpreter does:
 * node by node, freeing each value after its last use. Subclass and override `runNode` to change
 * how some nodes run (instrument, swap a kernel, call a backend for part of the graph). A symbolic
 * graph runs at any sizes its guards allow: each call binds the symbols and runs the graph
 * specialized to them.
 */
export class Interpreter {
  readonly #lastUse = new Map<Value, number>();

  /** A symbolic graph's static graphs, by the symbols' values, most recent last. */
  readonly #specializations = new Map<string, Interpreter>();

  /**
   * The interpreter of this symbolic graph at the sizes of `inputs`: the symbols are bound from
   * the inputs' shapes (checking every guard) and the graph is specialized to them.
   */
  #specialized(inputs: readonly TensorData[]): Interpreter {
    const g = this.graph;
    let bindings: Map<string, number>;
    try {
      bindings = bindSymbols(
        g,
        inputs.map((t) => t.shape),
      );
    } catch (e) {
      throw new TensorError(`interpret '${g.name}': ${messageOf(e)}`, { cause: e });
    }
    const key = [...bindings].map(([k, v]) => `${k}=${v}`).join(",");
    let hit = this.#specializations.get(key);
    if (hit) this.#specializations.delete(key);
    else {
      hit = new Interpreter(specialize(g, bindings));
      if (this.#specializations.size >= 8)
        this.#specializations.delete(this.#specializations.keys().next().value!);
    }
    this.#specializations.set(key, hit);
    return hit;
  }

  constructor(readonly graph: Graph) {
    graph.nodes.forEach((node, i) => {
      for (const v of node.inputs) this.#lastUse.set(v, i);
      // A result nothing reads is dead on arrival: its last use is the node that makes it.
      this.#lastUse.set(node.output, i);
    });
    for (const v of graph.outputs) this.#lastUse.set(v, Number.POSITIVE_INFINITY);
  }

  /** Runs the graph on `inputs` with the reference kernels and returns its outputs. */
  run(inputs: readonly TensorData[]): TensorData[] {
    const g = this.graph;
    if (g.symbolic) return this.#specialized(inputs).run(inputs);
    if (inputs.length !== g.inputs.length) {
      throw new TensorError(
        `interpret '${g.name}': expected ${g.inputs.length} inputs (${g.inputs.map((v) => v.name).join(", ")}), got ${inputs.length}`,
      );
    }
    const env = new Map<Value, TensorData>();
    g.inputs.forEach((v, i) => {
      const t = inputs[i]!;
      if (!sameMeta(t, v.meta)) {
        throw new TensorError(
          `interpret '${g.name}': input ${i} '${v.name}' expects ${formatMeta(v.meta)}, got ${formatMeta(t)}`,
        );
      }
      env.set(v, t);
    });
    g.nodes.forEach((node, i) => {
      const args = node.inputs.map((v) => env.get(v)!);
      let out: TensorData;
      try {
        out = this.runNode(node, args);
      } catch (e) {
        throw new TensorError(`interpret '${g.name}': ${describeNode(node)} failed: ${messageOf(e)}`, {
          cause: e,
        });
      }
      if (!sameMeta(out, node.meta)) {
        throw new TensorError(
          `interpret '${g.name}': ${describeNode(node)} produced ${formatMeta(out)}, the graph says ${formatMeta(node.meta)}`,
        );
      }
      env.set(node.output, out);
      for (const v of new Set([...node.inputs, node.output])) if (this.#lastUse.get(v) === i) env.delete(v);
    });
    return g.outputs.map((v) => env.get(v)!);
  }

  /** Run one node on its input data. The default is the op's reference kernel. */
  runNode(node: AnyNode, inputs: readonly TensorData[]): TensorData {
    return kernels[node.op](inputs, node.attrs as never, node.meta);
  }
}

/** Runs `graph` once on `inputs` with the reference kernels (the semantics every backend must match). */
export const interpret = (graph: Graph, inputs: readonly TensorData[]): TensorData[] =>
  new Interpreter(graph).run(inputs);

import {
  bindSymbols,
  dtypeInfo,
  type Executable,
  formatMeta,
  formatSymbolicMeta,
  type Graph,
  messageOf,
  specialize,
  type TensorData,
} from "@aotjs/ir";
import { TfjsBackendError } from "./errors.js";
import { restoreBackend, switchBackend, TfjsExecutable } from "./executable.js";
import type { BackendTraits } from "./lower/index.js";

/** How many bindings of the symbols keep their lowered plan (least recently used go first). */
export const SPECIALIZATION_LIMIT = 8;

/**
 * A symbolic graph on TF.js: `run` takes every size the graph's guards allow. TF.js kernels take
 * any shape, but the lowerings close over static attributes and metas, so each binding of the
 * symbols lowers the graph specialized to it once (closures and a few constants, no TF.js
 * compile) and keeps it among the `SPECIALIZATION_LIMIT` most recently used.
 */
export class TfjsSymbolicExecutable implements Executable {
  readonly symbolic = true;
  readonly graph: Graph;
  readonly backend: string;
  readonly #traits: BackendTraits;
  /** Lowered plans by binding; a Map iterates in insertion order, so the first is the least recent. */
  readonly #plans = new Map<string, TfjsExecutable>();
  #disposed = false;

  /** Lowers the graph at its hints now, so what cannot compile at all fails at compile time. */
  constructor(graph: Graph, traits: BackendTraits) {
    this.graph = graph;
    this.backend = traits.name;
    this.#traits = traits;
    const hints = new Map((graph.symbolic?.symbols ?? []).map((s) => [s.name, s.hint]));
    this.#planAt(hints);
  }

  /** How many bindings of the symbols hold a lowered plan now (at most `SPECIALIZATION_LIMIT`). */
  get specializations(): number {
    return this.#plans.size;
  }

  run(inputs: readonly TensorData[]): TensorData[] | Promise<TensorData[]> {
    if (this.#disposed) throw new TfjsBackendError(`graph '${this.graph.name}': run after dispose`);
    const bindings = this.#bind(inputs);
    // Lowering makes constants on the current backend, and an evicted plan must not be mid-run:
    // switch once, then find or lower the plan and run it without yielding.
    const previous = switchBackend(this.backend);
    if (previous instanceof Promise) return previous.then((p) => this.#runOn(inputs, bindings, p));
    return this.#runOn(inputs, bindings, previous);
  }

  #runOn(
    inputs: readonly TensorData[],
    bindings: ReadonlyMap<string, number>,
    previous: string | undefined,
  ): TensorData[] | Promise<TensorData[]> {
    try {
      if (this.#disposed) throw new TfjsBackendError(`graph '${this.graph.name}': run after dispose`);
      return this.#planAt(bindings).run(inputs);
    } finally {
      restoreBackend(previous, this.backend);
    }
  }

  #bind(inputs: readonly TensorData[]): ReadonlyMap<string, number> {
    const g = this.graph;
    if (inputs.length !== g.inputs.length) {
      throw new TfjsBackendError(
        `graph '${g.name}' takes ${g.inputs.length} inputs (${g.inputs.map((v) => v.name).join(", ")}), got ${inputs.length}`,
      );
    }
    try {
      return bindSymbols(
        g,
        inputs.map((t) => t?.shape ?? []),
      );
    } catch (e) {
      // bindSymbols names the graph, the input and the dim; add every shape for context.
      const takes = g.inputs.map(
        (v) => `${v.name}: ${formatSymbolicMeta(g, v, dtypeInfo[v.meta.dtype].short)}`,
      );
      const got = inputs.map((t) => (t?.shape ? formatMeta(t) : String(t)));
      throw new TfjsBackendError(
        `${messageOf(e)} (the graph takes ${takes.join(", ")}; got ${got.join(", ")})`,
        { cause: e },
      );
    }
  }

  /** The plan for `bindings`, lowered on a miss; the caller has switched to this backend. */
  #planAt(bindings: ReadonlyMap<string, number>): TfjsExecutable {
    const key = [...bindings].map(([k, v]) => `${k}=${v}`).join(",");
    let plan = this.#plans.get(key);
    if (plan) {
      this.#plans.delete(key);
    } else {
      let graph: Graph;
      try {
        graph = specialize(this.graph, bindings);
      } catch (e) {
        throw new TfjsBackendError(
          `graph '${this.graph.name}': cannot specialize it to ${key || "its static sizes"}: ${messageOf(e)}`,
          { cause: e },
        );
      }
      plan = new TfjsExecutable(graph, this.#traits);
    }
    this.#plans.set(key, plan);
    for (const [k, old] of this.#plans) {
      if (this.#plans.size <= SPECIALIZATION_LIMIT) break;
      this.#plans.delete(k);
      old.dispose();
    }
    return plan;
  }

  /** Frees every lowered plan's constants; `run` after it is an error. */
  dispose(): void {
    this.#disposed = true;
    for (const plan of this.#plans.values()) plan.dispose();
    this.#plans.clear();
  }
}

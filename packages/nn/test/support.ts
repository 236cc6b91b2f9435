import type { TensorData } from "@aotjs/ir";
import { interpret, manualSeed, Tensor } from "@aotjs/tensor";
import { flatten, trace } from "@aotjs/tracer";
import { expect } from "vitest";
import { functionalCall, type Module } from "../src/index.js";

export const values = (t: Tensor | TensorData): number[] =>
  Array.from((t instanceof Tensor ? t.data() : t.data) as ArrayLike<number | bigint>, Number);

export function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Number.isNaN(a[i]!) && Number.isNaN(b[i]!) ? 0 : Math.abs(a[i]! - b[i]!);
    worst = Math.max(worst, Number.isNaN(d) ? Number.POSITIVE_INFINITY : d);
  }
  return worst;
}

export interface Comparison {
  readonly graphCode: string;
  /** Names of the buffers the graph returns new values for. */
  readonly mutated: string[];
  readonly eagerOutputs: Tensor[];
}

/**
 * The oracle for "tracing then interpreting equals eager": trace `forward` through
 * functionalCall with every parameter and buffer lifted to a graph input, run the graph with the
 * reference interpreter, then run the module eagerly from the same generator state, and compare
 * the outputs and every buffer's new value within `tol`.
 */
export function traceMatchesEager(m: Module, inputs: readonly Tensor[], seed = 0, tol = 1e-5): Comparison {
  const state: Record<string, Tensor> = Object.fromEntries([...m.namedParameters(), ...m.namedBuffers()]);
  const names = Object.keys(state);
  const before = new Map(m.namedBuffers().map(([n, b]) => [n, values(b)]));

  manualSeed(seed);
  const traced = trace(
    (params: Record<string, Tensor>, ...xs: Tensor[]) => functionalCall(m, params, xs),
    [state, ...inputs],
  );
  // Tracing only records: the module's own buffers must not have moved.
  for (const [n, b] of m.namedBuffers())
    expect(values(b), `buffer ${n} changed while tracing`).toEqual(before.get(n));

  const leaves = flatten([state, ...inputs]).leaves;
  const graphInputs = [...leaves.map((t) => t.toData()), ...traced.constants.map((c) => c.value)];
  const results = interpret(traced.graph, graphInputs);

  manualSeed(seed);
  const eager = m.forward(...inputs) as Tensor | Tensor[];
  const eagerOutputs = flatten(eager).leaves;
  const nOut = eagerOutputs.length;
  expect(results.length).toBe(nOut + traced.graph.mutations.length);
  eagerOutputs.forEach((e, i) => {
    expect(results[i]!.shape).toEqual(e.shape);
    expect(results[i]!.dtype).toBe(e.dtype);
    expect(maxAbsDiff(values(results[i]!), values(e)), `output ${i}`).toBeLessThanOrEqual(tol);
  });

  // Every buffer the eager run changed must come back as a mutation, with the same value.
  const mutated: string[] = [];
  for (const { input, output } of traced.graph.mutations) {
    const name = names[input]!;
    mutated.push(name);
    expect(maxAbsDiff(values(results[output]!), values(state[name]!)), `buffer ${name}`).toBeLessThanOrEqual(
      tol,
    );
  }
  for (const [n, b] of m.namedBuffers()) {
    if (values(b).join() !== before.get(n)!.join()) expect(mutated, `eager changed ${n}`).toContain(n);
  }
  return { graphCode: traced.graph.code, mutated, eagerOutputs };
}

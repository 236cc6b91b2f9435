// Shared by the tests: joint graphs from TypeScript functions, random inputs, and the oracle every
// partition must pass (forward then backward reproduces the joint graph exactly).
import "@aotjs/autograd";
import { type DType, type Graph, isFloating, TensorData, type TensorMeta } from "@aotjs/ir";
import { rng } from "@aotjs/op-samples";
import { interpret, type Tensor } from "@aotjs/tensor";
import { jointGraphInfo } from "@aotjs/transforms";
import { expect } from "vitest";
import type { PartitionResult } from "../src/index.js";

export const f32 = (...shape: number[]): TensorMeta => ({ shape, dtype: "float32" });

export interface Joint {
  readonly graph: Graph;
  readonly numForwardOutputs: number;
}

/** The joint graph of `fn` on inputs of these metas; all require grad unless told otherwise. */
export function joint(
  fn: (...xs: Tensor[]) => unknown,
  metas: readonly TensorMeta[],
  requiresGrad: readonly boolean[] = metas.map((m) => isFloating(m.dtype)),
): Joint {
  const info = jointGraphInfo(fn, metas, requiresGrad);
  return { graph: info.graph, numForwardOutputs: info.numForwardOutputs };
}

export function randomData(meta: TensorMeta, next: () => number): TensorData {
  const t = TensorData.zeros(meta.dtype as DType, meta.shape);
  const d = t.data;
  if (d instanceof Float32Array || d instanceof Float64Array)
    for (let i = 0; i < d.length; i++) d[i] = next() * 4 - 2;
  else if (d instanceof Uint8Array) for (let i = 0; i < d.length; i++) d[i] = next() < 0.5 ? 1 : 0;
  // Integer inputs (counters, indices) stay 0: always in range.
  return t;
}

/** Element-wise identity, NaN equal to NaN: recomputing the same op on the same data is exact. */
export function expectSameData(actual: TensorData, expected: TensorData, what: string): void {
  expect(actual.dtype, what).toBe(expected.dtype);
  expect([...actual.shape], what).toEqual([...expected.shape]);
  const a = actual.data as ArrayLike<number | bigint>;
  const e = expected.data as ArrayLike<number | bigint>;
  for (let i = 0; i < e.length; i++) {
    if (!Object.is(a[i], e[i]) && !(Number.isNaN(a[i]) && Number.isNaN(e[i]))) {
      expect.fail(`${what}: element ${i} is ${a[i]}, the joint graph gives ${e[i]}`);
    }
  }
}

/**
 * The contract of a partition: both graphs lint, have the promised inputs, outputs and roles, and
 * running forward, then backward on the saved values and the tangents, gives exactly the joint's
 * results.
 */
export function checkPartition(j: Joint, result: PartitionResult, seed = 1): void {
  const { graph } = j;
  const { forward, backward, savedValues } = result;
  const k = j.numForwardOutputs;
  forward.lint();
  backward.lint();
  expect(forward.name).toBe("forward");
  expect(backward.name).toBe("backward");
  expect(result.numForwardOutputs).toBe(k);

  const isTangent = graph.signature.inputs.map((r) => r.kind === "tangent");
  const tangents = graph.inputs.filter((_, i) => isTangent[i]);
  const primals = graph.inputs.filter((_, i) => !isTangent[i]);
  expect(forward.inputs.map((v) => v.name)).toEqual(primals.map((v) => v.name));
  expect(forward.inputs.map((v) => v.meta)).toEqual(primals.map((v) => v.meta));
  expect(forward.signature.inputs).toEqual(graph.signature.inputs.filter((_, i) => !isTangent[i]));
  expect(forward.outputs.length).toBe(k + savedValues.length);
  expect(forward.outputs.slice(k).map((v) => v.name)).toEqual(savedValues.map((v) => v.name));
  expect(forward.signature.outputs.slice(k)).toEqual(savedValues.map(() => ({ kind: "saved" })));
  expect(forward.signature.outputs.slice(0, k).map((r) => r.kind)).toEqual(
    graph.signature.outputs.slice(0, k).map((r) => r.kind),
  );
  // A mutation names the same input, renumbered among the forward's inputs.
  expect(forward.mutations.map((m) => [forward.inputs[m.input]!.name, m.output])).toEqual(
    graph.mutations.map((m) => [graph.inputs[m.input]!.name, m.output]),
  );
  expect(backward.inputs.map((v) => v.name)).toEqual([...savedValues, ...tangents].map((v) => v.name));
  expect(backward.signature.inputs).toEqual([
    ...savedValues.map((_, j) => ({ kind: "saved", forwardOutput: k + j })),
    ...graph.signature.inputs.filter((_, i) => isTangent[i]),
  ]);
  expect(backward.outputs.length).toBe(graph.outputs.length - k);
  expect(backward.signature.outputs).toEqual(graph.signature.outputs.slice(k));
  // Saved values are named as the joint's values, in its order, none computed from a tangent.
  const order = graph.values.map((v) => v.name);
  const positions = savedValues.map((v) => order.indexOf(v.name));
  expect(positions.every((p) => p >= 0)).toBe(true);
  expect([...positions].sort((x, y) => x - y)).toEqual(positions);
  expect(savedValues.map((v) => v.meta)).toEqual(positions.map((p) => graph.values[p]!.meta));

  const next = rng(seed);
  const data = new Map(graph.inputs.map((v) => [v, randomData(v.meta, next)]));
  const expected = interpret(
    graph,
    graph.inputs.map((v) => data.get(v)!),
  );
  const fw = interpret(
    forward,
    primals.map((v) => data.get(v)!),
  );
  const bw = interpret(backward, [...fw.slice(k), ...tangents.map((v) => data.get(v)!)]);
  for (let i = 0; i < k; i++) expectSameData(fw[i]!, expected[i]!, `forward output ${i}`);
  for (let i = 0; i < bw.length; i++) expectSameData(bw[i]!, expected[k + i]!, `gradient ${i}`);
}

export const savedNames = (r: PartitionResult): string[] => r.savedValues.map((v) => v.name);
export const signature = (g: Graph): [number, number] => [g.inputs.length, g.outputs.length];

// Shared by the aot tests: comparing AOT against eager, as PyTorch's verify_aot_autograd does.
import { type Compiler, type Graph, isFloating, type TensorData } from "@aotjs/ir";
import { BatchNorm2d, Conv2d, F, Linear, Module, Sequential } from "@aotjs/nn";
import { defaultPartition, minCutRematerializationPartition } from "@aotjs/partitioner";
import { Tensor } from "@aotjs/tensor";
import { flatten } from "@aotjs/tracer";
import { expect } from "vitest";
import { type AotOptions, aotFunction, type PartitionFn } from "../src/index.js";

export const partitioners: readonly (readonly [string, PartitionFn])[] = [
  ["default", defaultPartition],
  ["min-cut", minCutRematerializationPartition],
];

export const values = (t: Tensor | TensorData): number[] =>
  Array.from((t instanceof Tensor ? t.data() : t.data) as ArrayLike<number | bigint | boolean>, Number);

/** Max |a - b| / (1 + |b|) over elements; equal NaNs count as equal. */
export function maxRelDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  expect(a.dtype).toBe(b.dtype);
  const x = values(a);
  const y = values(b);
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    if (Number.isNaN(x[i]!) && Number.isNaN(y[i]!)) continue;
    if (x[i] === y[i]) continue;
    const d = Math.abs(x[i]! - y[i]!) / (1 + Math.abs(y[i]!));
    worst = Math.max(worst, Number.isNaN(d) ? Number.POSITIVE_INFINITY : d);
  }
  return worst;
}

/** max |a - b| / max |b|: error relative to the tensor's scale (for model outputs and grads). */
export function scaleRelDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const x = values(a);
  const y = values(b);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < x.length; i++) {
    diff = Math.max(diff, Math.abs(x[i]! - y[i]!));
    scale = Math.max(scale, Math.abs(y[i]!));
  }
  return scale === 0 ? diff : diff / scale;
}

const defaultTol = (t: Tensor) => (t.dtype === "float64" ? 1e-12 : isFloating(t.dtype) ? 1e-5 : 0);

export function expectClose(
  actual: Tensor | null | undefined,
  expected: Tensor | null | undefined,
  what: string,
  tol?: number,
): void {
  if (!expected) {
    expect(actual ?? null, `${what}: expected no tensor`).toBeNull();
    return;
  }
  expect(actual, `${what}: expected a tensor`).toBeInstanceOf(Tensor);
  expect(maxRelDiff(actual!, expected), what).toBeLessThanOrEqual(tol ?? defaultTol(expected));
}

/** A fresh leaf with the same values and requiresGrad (PyTorch's `x.clone().detach().requires_grad_(...)`). */
export const cloneInput = <T>(x: T): T => {
  if (x instanceof Tensor) return x.detach().requiresGrad_(x.requiresGrad) as T;
  if (Array.isArray(x)) return x.map(cloneInput) as T;
  if (x !== null && typeof x === "object")
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, cloneInput(v)])) as T;
  return x;
};

/**
 * PyTorch's `_outs_and_grads`: call `fn`, backprop `out.sum()` of every output that requires grad
 * (retaining the graph, since outputs share it), and collect every input leaf's `.grad`.
 */
export async function outsAndGrads(fn: (...args: any[]) => unknown, inputs: readonly unknown[]) {
  const outs = await fn(...inputs);
  for (const o of flatten(outs).leaves) {
    if (o.requiresGrad) await o.sum().backward(undefined, { retainGraph: true });
  }
  const leaves = flatten([...inputs]).leaves;
  const grads = leaves.map((t) => t.grad ?? null);
  for (const t of leaves) t.grad = null;
  return { outs, grads };
}

export interface VerifyResult {
  /** The graphs of the last partitioner tried (min-cut). */
  readonly graphs: { forward?: Graph; backward?: Graph; inference?: Graph };
  readonly byPartitioner: Record<string, { forward?: Graph; backward?: Graph; inference?: Graph }>;
}

/**
 * verify_aot_autograd: for each partitioner, run `f` eagerly and through `aotFunction` on equal
 * copies of `inputs`, and check equal output structure, values, dtypes, requiresGrad, and equal
 * input gradients (float32 within 1e-5 relative, float64 within 1e-12).
 */
export async function verifyAot(
  f: (...args: any[]) => unknown,
  inputs: readonly unknown[],
  options: AotOptions & { tol?: number } = {},
): Promise<VerifyResult> {
  const byPartitioner: VerifyResult["byPartitioner"] = {};
  let graphs: VerifyResult["graphs"] = {};
  for (const [name, partitionFn] of partitioners) {
    const compiled = aotFunction(f, { partitionFn, ...options });
    const ref = await outsAndGrads(f, cloneInput(inputs));
    const test = await outsAndGrads(compiled, cloneInput(inputs));
    const refFlat = flatten(ref.outs);
    const testFlat = flatten(test.outs);
    expect(JSON.stringify(testFlat.spec), `${name}: output structure`).toBe(JSON.stringify(refFlat.spec));
    refFlat.leaves.forEach((r, i) => {
      const t = testFlat.leaves[i]!;
      expect(t.requiresGrad, `${name}: output ${i} requiresGrad`).toBe(r.requiresGrad);
      expectClose(t, r, `${name}: output ${i}`, options.tol);
    });
    ref.grads.forEach((g, i) => {
      expectClose(test.grads[i], g, `${name}: grad of input ${i}`, options.tol);
    });
    graphs = { ...compiled.lastGraphs };
    byPartitioner[name] = graphs;
  }
  return { graphs, byPartitioner };
}

/** A compiler that records the graph it was given and runs it on the interpreter. */
export function recordingCompiler(): Compiler & { graphs: Graph[] } {
  const graphs: Graph[] = [];
  return Object.assign(
    (g: Graph) => {
      graphs.push(g);
      return g;
    },
    { graphs },
  );
}

export const numInsOuts = (g: Graph | undefined): [number, number] => [g!.inputs.length, g!.outputs.length];

/** A conv, BatchNorm (running statistics updated in place) and a cross-entropy loss, as one module: input [N, 3, 5, 5]. */
export class ConvLoss extends Module {
  readonly net = new Sequential(new Conv2d(3, 4, 3, { padding: 1 }), new BatchNorm2d(4));
  readonly head = new Linear(4 * 5 * 5, 3);
  override forward(x: Tensor, y: Tensor): Tensor {
    const h = (this.net.forward(x) as Tensor).relu().reshape([x.shape[0]!, -1]);
    return F.crossEntropy(this.head.forward(h) as Tensor, y);
  }
}

// The ways a program runs: eager (float64 reference, float32 baseline) and aotFunction with each
// partitioner on the reference interpreter, ONNX Runtime and TF.js. Each run returns the outputs,
// every input's gradient, and the inputs the program updated in place.
import { type AotFunction, type AotOptions, aotFunction } from "@aotjs/aot";
import { onnxCompiler } from "@aotjs/backend-onnx/node";
import { tfjsCompiler } from "@aotjs/backend-tfjs";
import type { Compiler, TensorData } from "@aotjs/ir";
import { defaultPartition, minCutRematerializationPartition } from "@aotjs/partitioner";
import { manualSeed, Tensor, tensor } from "@aotjs/tensor";
import { buildFunction, makeInputs } from "./interpret.js";
import { maxAbs } from "./ops/helpers.js";
import { isInput, type Program } from "./program.js";
import { Rng } from "./rng.js";

export const modeNames = [
  "eager",
  "aot-default",
  "aot-mincut",
  "onnx",
  "tfjs",
  "aot-default-f64",
  "onnx-f64",
  "tfjs-f64",
] as const;
export type ModeName = (typeof modeNames)[number];

export interface ModeSpec {
  readonly name: ModeName;
  readonly float: "float32" | "float64";
  /** undefined: eager; otherwise aotFunction with this compiler. */
  readonly compiler?: "nop" | "onnx" | "tfjs";
  /** "program": the program's own choice (`backendPartition`). */
  readonly partition?: "default" | "mincut" | "program";
  /** A documented limit: the mode is skipped, with this reason. */
  readonly limit?: string;
}

export const modes: Record<ModeName, ModeSpec> = {
  eager: { name: "eager", float: "float32" },
  "aot-default": { name: "aot-default", float: "float32", compiler: "nop", partition: "default" },
  "aot-mincut": { name: "aot-mincut", float: "float32", compiler: "nop", partition: "mincut" },
  onnx: { name: "onnx", float: "float32", compiler: "onnx", partition: "program" },
  tfjs: { name: "tfjs", float: "float32", compiler: "tfjs", partition: "program" },
  "aot-default-f64": { name: "aot-default-f64", float: "float64", compiler: "nop", partition: "default" },
  "onnx-f64": { name: "onnx-f64", float: "float64", compiler: "onnx", partition: "program" },
  "tfjs-f64": {
    name: "tfjs-f64",
    float: "float64",
    compiler: "tfjs",
    partition: "program",
    limit: "TF.js has no float64 (documented in @aotjs/backend-tfjs: refused at compile time)",
  },
};

/** The compilers a session shares across programs (an ORT or TF.js compiler holds no per-graph state). */
export interface Compilers {
  readonly nop?: Compiler;
  readonly onnx: Compiler;
  readonly tfjs: Compiler;
}

export function defaultCompilers(onnxOptions: Parameters<typeof onnxCompiler>[0] = {}): Compilers {
  return {
    onnx: onnxCompiler({ intraOpNumThreads: 1, ...onnxOptions }) as unknown as Compiler,
    tfjs: tfjsCompiler({ backend: "cpu" }),
  };
}

export interface RunResult {
  /** One per program output: a tensor's data, or the JS number it returned. */
  readonly outputs: readonly (TensorData | number)[];
  /** One per input node: its gradient, or null (no gradient, or it doesn't require grad). */
  readonly grads: readonly (TensorData | null)[];
  /** One per input node: its value after the call when the program updates it in place, else null. */
  readonly buffers: readonly (TensorData | null)[];
  /** The graphs aotFunction compiled (aot modes). */
  readonly graphs?: AotFunction<Tensor[], unknown>["lastGraphs"];
  /** Eager runs: twice the largest |value| of any input or op result (M in the tolerance rule). */
  readonly magnitude?: number;
}

/** A run that threw: where, and the message. */
export class RunCrash extends Error {
  override name = "RunCrash";
  /** The graphs compiled before the crash (a backward that fails at run time has them). */
  graphs?: RunResult["graphs"];
  constructor(
    readonly stage: "compile or forward" | "backward" | "setup",
    readonly original: unknown,
  ) {
    super(`${stage}: ${(original as Error)?.message ?? String(original)}`);
  }
}

/** Input positions (among input nodes) the program updates in place. */
export function mutatedInputs(p: Program): Set<number> {
  const position = new Map<number, number>();
  p.nodes.forEach((n, i) => {
    if (isInput(n)) position.set(i, position.size);
  });
  return new Set(p.nodes.flatMap((n) => (n.op.startsWith("mutate_") ? [position.get(n.args[0]!)!] : [])));
}

/**
 * The weight each output gets in the scalar loss sum_k (out_k * w_k).sum(): multiples of 1/8 in
 * [-2, 2] without 0, exact in float32, so a float32 and a float64 run backpropagate the same seed.
 */
export function lossWeights(
  p: Program,
  k: number,
  shape: readonly number[],
  float: "float32" | "float64",
): Tensor {
  const rng = new Rng(p.seed * 31 + k);
  const n = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: n }, () => (rng.int(1, 16) / 8) * (rng.bool() ? 1 : -1));
  const data = float === "float32" ? Float32Array.from(values) : Float64Array.from(values);
  return tensor(data, { shape });
}

export function aotOptions(p: Program, spec: ModeSpec, compilers: Compilers): AotOptions {
  const partition = spec.partition === "program" ? p.backendPartition : (spec.partition ?? "default");
  const compiler = spec.compiler === "nop" ? compilers.nop : compilers[spec.compiler as "onnx" | "tfjs"];
  return {
    ...(compiler ? { fwCompiler: compiler } : {}),
    partitionFn: partition === "mincut" ? minCutRematerializationPartition : defaultPartition,
  };
}

/** One call of the program in a mode, then backward of the weighted loss. Throws a RunCrash. */
export async function runMode(p: Program, spec: ModeSpec, compilers: Compilers): Promise<RunResult> {
  const ctx = { float: spec.float };
  manualSeed(p.seed);
  const inputs = makeInputs(p, ctx);
  let magnitude = maxAbs(...inputs);
  const fn = buildFunction(
    p,
    ctx,
    spec.compiler
      ? undefined
      : (_i, _args, out) => {
          magnitude = Math.max(magnitude, maxAbs(out));
        },
  );
  const nf = spec.compiler ? aotFunction(fn, aotOptions(p, spec, compilers)) : undefined;
  try {
    let outputs: (Tensor | number)[];
    try {
      outputs = nf ? await nf(...inputs) : fn(...inputs);
    } catch (e) {
      throw new RunCrash("compile or forward", e);
    }
    const outputData = outputs.map((o) => (o instanceof Tensor ? o.toData() : o));
    try {
      let loss: Tensor | undefined;
      outputs.forEach((o, k) => {
        if (!(o instanceof Tensor) || !o.requiresGrad) return;
        const term = o.mul(lossWeights(p, k, o.shape, spec.float)).sum();
        loss = loss ? loss.add(term) : term;
      });
      if (loss) await loss.backward();
    } catch (e) {
      throw new RunCrash("backward", e);
    }
    const mutated = mutatedInputs(p);
    return {
      outputs: outputData,
      grads: inputs.map((x) => (x.requiresGrad && x.grad ? x.grad.toData() : null)),
      buffers: inputs.map((x, i) => (mutated.has(i) ? x.toData() : null)),
      ...(nf ? { graphs: { ...nf.lastGraphs } } : { magnitude: 2 * magnitude }),
    };
  } catch (e) {
    if (e instanceof RunCrash && nf) e.graphs = { ...nf.lastGraphs };
    throw e;
  } finally {
    await nf?.dispose();
  }
}

export interface ConcurrentResult {
  /** Per call, its outputs (as in RunResult). */
  readonly calls: readonly (readonly (TensorData | number)[])[];
  /** The in-place updated inputs after all calls. */
  readonly buffers: readonly (TensorData | null)[];
}

/**
 * `calls` calls on the same input tensors: eager ones one after another, compiled ones all at once
 * under Promise.all (or awaited one by one with `sequential`). Forward only: what is checked is
 * that every call sees the updates of the calls before it, and the RNG stream advances in call order.
 */
export async function runRepeated(
  p: Program,
  spec: ModeSpec,
  compilers: Compilers,
  calls: number,
  sequential = false,
): Promise<ConcurrentResult> {
  const ctx = { float: spec.float };
  manualSeed(p.seed);
  const inputs = makeInputs(p, ctx);
  const fn = buildFunction(p, ctx);
  const nf = spec.compiler ? aotFunction(fn, aotOptions(p, spec, compilers)) : undefined;
  try {
    // Read each call's outputs when it returns: an eager output may be an input itself (the
    // result of an in-place update), which later calls update again.
    const snapshot = (outs: (Tensor | number)[]) => outs.map((o) => (o instanceof Tensor ? o.toData() : o));
    let results: (TensorData | number)[][];
    try {
      if (!nf) results = Array.from({ length: calls }, () => snapshot(fn(...inputs)));
      else if (sequential) {
        results = [];
        for (let c = 0; c < calls; c++) results.push(snapshot(await nf(...inputs)));
      } else results = (await Promise.all(Array.from({ length: calls }, () => nf(...inputs)))).map(snapshot);
    } catch (e) {
      throw new RunCrash("compile or forward", e);
    }
    const mutated = mutatedInputs(p);
    return {
      calls: results,
      buffers: inputs.map((x, i) => (mutated.has(i) ? x.toData() : null)),
    };
  } finally {
    await nf?.dispose();
  }
}

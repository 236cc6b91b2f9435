import {
  type Backend,
  type DType,
  type Graph,
  type OpName,
  type PrimalRole,
  primalName,
  type TensorData,
} from "@aotjs/ir";
import { functionalCall, Module } from "@aotjs/nn";
import { minCutRematerializationPartition } from "@aotjs/partitioner";
import { Tensor } from "@aotjs/tensor";
import type { DecompositionTable } from "@aotjs/transforms";
import { inputNameOf, uniqueNames } from "./aot-module.js";
import { resolveOps } from "./backend.js";
import { capture, type PartitionFn, type SymbolicPlan } from "./capture.js";
import { CompiledFunction } from "./compiled-function.js";
import { AotError } from "./executable.js";
import { type InputNames, resolveInputNames } from "./input-names.js";

/** Options of `aotExport`: the target's ops, the partitioner, names, and for a module how to call it. */
export interface AotExportOptions {
  /**
   * The backend the graphs are for: its supported ops and decompositions (nothing falls back to
   * the reference interpreter in an export). Excludes `supportedOps`.
   */
  readonly backend?: Backend<any>;
  /** Ops the target runs; every other op is decomposed first. Default: every op. */
  readonly supportedOps?: Iterable<OpName>;
  /** Entries that override the default decompositions. */
  readonly decompositions?: DecompositionTable;
  /** Splits the joint graph; default `minCutRematerializationPartition`, as aotFunction. */
  readonly partitionFn?: PartitionFn;
  /**
   * Names of a function's flattened tensor inputs (default `primals_1..n`): a list, or a function
   * of their count, as in `aotFunction`. For a module they name the user inputs (default
   * `input_1..n`); its parameters and buffers are named after their state-dict names.
   */
  readonly inputNames?: InputNames;
  /** Trace a joint forward+backward graph even if no input requires grad? Default: only when one does. */
  readonly trainable?: boolean;
  /**
   * For a module: how to call it, when the graph should compute more than `forward` (a training
   * step's loss, say): `call(module, ...exampleInputs)`. The module's parameters and buffers are
   * still lifted to inputs under their own names. Default `module.forward(...exampleInputs)`.
   */
  readonly call?: (module: Module, ...inputs: Tensor[]) => unknown;
  /**
   * Export with a symbolic batch: dim 0 of every user input is the symbol `B` (they must agree),
   * so the graphs carry `symbolic` shapes and `writeArtifacts` writes ONNX models with
   * `dim_param` "B" that plain onnxruntime runs at any batch size. Default false.
   */
  readonly dynamicBatch?: boolean;
}

/** Runs `call(target, ...inputs)` as its forward, so functionalCall can swap the target's state in. */
class CallModule extends Module {
  readonly #call: (module: Module, ...inputs: Tensor[]) => unknown;
  constructor(
    readonly target: Module,
    call: (module: Module, ...inputs: Tensor[]) => unknown,
  ) {
    super();
    this.#call = call;
  }
  override forward(...inputs: Tensor[]): unknown {
    return this.#call(this.target, ...inputs);
  }
}

/** A graph value's name, dtype and shape. */
export interface TensorSpec {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/** What feeds an exported graph input: a parameter, a buffer, the user's input, the RNG seed/offset, or a constant. */
export type ExportInputKind = "parameter" | "buffer" | "user_input" | "rng_seed" | "rng_offset" | "constant";

export interface ExportInput extends TensorSpec {
  readonly kind: ExportInputKind;
  /** The module state name (`layer1.0.conv1.weight`) of a parameter or buffer. */
  readonly target?: string;
  readonly requiresGrad: boolean;
}

export interface ExportOutput extends TensorSpec {
  /** A user output; the new value of an input the function updated in place; or a value saved for backward. */
  readonly kind: "user_output" | "mutation" | "saved";
  /** For a mutation: the forward input it updates. */
  readonly mutates?: string;
  /** For a user output: whether a gradient flows back from it (the backward graph takes a tangent for it). */
  readonly requiresGrad?: boolean;
}

export interface BackwardInput extends TensorSpec {
  /** A value the forward saved (`forwardOutput` is its index among the forward's outputs), or the gradient of a user output. */
  readonly kind: "saved" | "tangent";
  readonly forwardOutput?: number;
  /** For a tangent: the index of the user output (in forward outputs) it is the gradient of. */
  readonly userOutput?: number;
}

export interface BackwardOutput extends TensorSpec {
  readonly kind: "gradient";
  /** The forward input this is the gradient of. */
  readonly input: string;
  /** The parameter's state name, for a parameter's gradient. */
  readonly target?: string;
  /** False when no output that requires grad depends on the input: the gradient is identically zero. */
  readonly used: boolean;
}

/**
 * The calling convention of the exported graphs, as PyTorch's graph signature: what each input
 * and output is (the graphs' own signatures, with names for people). Plain JSON (writeArtifacts
 * copies it into manifest.json).
 */
export interface AotExportSignature {
  /** The forward graph's inputs in order. */
  readonly inputs: readonly ExportInput[];
  /** The forward graph's outputs in order: user outputs, then mutations, then saved values. */
  readonly outputs: readonly ExportOutput[];
  /** Forward input names of the parameters, buffers and user inputs, in order. */
  readonly parameters: readonly string[];
  readonly buffers: readonly string[];
  readonly userInputs: readonly string[];
  readonly userOutputs: readonly string[];
  /** Forward outputs the backward graph reads first (the same names in both graphs). */
  readonly savedForBackward: readonly string[];
  /** Inputs updated in place (BatchNorm's running statistics): `output` holds `input`'s new value. */
  readonly mutations: readonly {
    readonly input: string;
    readonly output: string;
    readonly outputIndex: number;
  }[];
  /** The backward graph's calling convention; absent for an inference-only export. */
  readonly backward?: {
    readonly inputs: readonly BackwardInput[];
    readonly outputs: readonly BackwardOutput[];
  };
  /**
   * Random ops read a counter-based generator's `seed` and `offset` inputs. Each run consumes
   * `consumed` counters: pass offset, then offset + consumed on the next run, to draw fresh numbers.
   */
  readonly rng?: { readonly seed: string; readonly offset: string; readonly consumed: number };
}

/** What `aotExport` returns: the partitioned graphs, uncompiled, and how to call them. */
export interface AotExported {
  readonly forward: Graph;
  /** Absent when nothing requires grad (then `forward` is the inference graph). */
  readonly backward?: Graph;
  /** The simplified joint graph the two were cut from. */
  readonly joint?: Graph;
  readonly signature: AotExportSignature;
  /** Tensors the function captured (not arguments): forward inputs of kind "constant", with their values. */
  readonly constants: readonly { readonly name: string; readonly value: TensorData }[];
}

const spec = (name: string, meta: { dtype: DType; shape: readonly number[] }): TensorSpec => ({
  name,
  dtype: meta.dtype,
  shape: [...meta.shape],
});

/**
 * PyTorch's `aot_export_module` (with `trace_joint`): traces a function or an `nn` module on
 * example inputs, builds and partitions the joint forward+backward graph exactly as `aotFunction`
 * does (decompose to `supportedOps`, DCE, CSE, the partition function), and returns the forward
 * and backward graphs with their signature, without compiling anything. A module's parameters and
 * buffers become forward inputs named after their state names; parameters that require grad get
 * gradients. With no input requiring grad, it exports the single inference graph.
 *
 *   const exported = aotExport(model, [x, target]);
 *   await writeArtifacts(exported, "out/");   // @aotjs/backend-onnx
 */
export function aotExport(
  fnOrModule: ((...args: Tensor[]) => unknown) | Module,
  exampleInputs: readonly Tensor[],
  options: AotExportOptions = {},
): AotExported {
  exampleInputs.forEach((t, i) => {
    if (!(t instanceof Tensor))
      throw new AotError(`aotExport: example input ${i} is not a Tensor (${typeof t})`);
  });
  const isModule = fnOrModule instanceof Module;
  if (options.call && !isModule)
    throw new AotError("aotExport: the `call` option is for modules; a function is called as it is");
  const state: [string, Tensor, "parameter" | "buffer"][] = isModule
    ? [
        ...fnOrModule.namedParameters().map(([n, p]) => [n, p, "parameter"] as [string, Tensor, "parameter"]),
        ...fnOrModule.namedBuffers().map(([n, b]) => [n, b, "buffer"] as [string, Tensor, "buffer"]),
      ]
    : [];
  const callee = isModule && options.call ? new CallModule(fnOrModule, options.call) : fnOrModule;
  const prefix = callee instanceof CallModule ? "target." : "";
  const leaves = [...state.map(([, t]) => t), ...exampleInputs];
  const userNames = resolveInputNames(
    options.inputNames,
    exampleInputs.length,
    isModule ? (i) => `input_${i + 1}` : primalName,
    "aotExport",
  );
  const names = uniqueNames([...state.map(([n]) => inputNameOf(n)), ...userNames]);
  const roles = [
    ...state.map(([path, , kind]): PrimalRole => ({ kind, path })),
    ...exampleInputs.map((_, index): PrimalRole => ({ kind: "user_input", index })),
  ];
  const stateNames = state.map(([n]) => n);
  const flatFn = (...xs: Tensor[]): unknown =>
    callee instanceof Module
      ? functionalCall(
          callee,
          Object.fromEntries(stateNames.map((n, i) => [prefix + n, xs[i]!])),
          xs.slice(state.length),
        )
      : callee(...xs);
  const trainable = options.trainable ?? leaves.some((t) => t.requiresGrad);
  const symbolic = options.dynamicBatch ? batchPlan(state.length, exampleInputs) : undefined;
  const ops = resolveOps(options, "aotExport");
  const compiled = new CompiledFunction(
    capture(flatFn, leaves, trainable, {
      names,
      roles,
      supported: ops.supported,
      partitionFn: options.partitionFn ?? minCutRematerializationPartition,
      who: "aotExport",
      ...(symbolic ? { symbolic } : {}),
      ...(ops.decompositions ? { decompositions: ops.decompositions } : {}),
    }),
  );
  const { captured } = compiled;
  return {
    forward: captured.forward,
    ...(captured.backward ? { backward: captured.backward, joint: captured.joint! } : {}),
    signature: exportSignature(compiled),
    constants: captured.constants,
  };
}

/** Dim 0 of every user input as `B` (`dynamicBatch`). */
function batchPlan(stateCount: number, inputs: readonly Tensor[]): SymbolicPlan {
  const batch = inputs.find((t) => t.ndim > 0)?.shape[0];
  if (batch === undefined) throw new AotError("aotExport: dynamicBatch needs a user input with a batch dim");
  inputs.forEach((t, i) => {
    if (t.ndim === 0 || t.shape[0] !== batch)
      throw new AotError(
        `aotExport: dynamicBatch makes dim 0 of every user input the batch B, but input ${i} has shape [${t.shape}] and input 0's batch is ${batch}`,
      );
  });
  return {
    symbols: [{ name: "B", hint: batch, min: 1 }],
    dims: [
      ...Array.from({ length: stateCount }, () => []),
      ...inputs.map((t) => t.shape.map((_, d) => (d === 0 ? "B" : undefined))),
    ],
  };
}

/** The export's signature: the graphs' roles and the calling convention, with names for people. */
function exportSignature(compiled: CompiledFunction): AotExportSignature {
  const { captured, convention } = compiled;
  const { forward, backward } = captured;
  const differentiable = new Set(convention.backward?.differentiable ?? []);
  const inputs = forward.signature.inputs.map((role, i): ExportInput => {
    const v = forward.inputs[i]!;
    const source = convention.inputs[i]!;
    return {
      ...spec(v.name, v.meta),
      // The convention fed every forward input, so none is a tangent or a saved value.
      kind: role.kind as ExportInputKind,
      ...(role.kind === "parameter" || role.kind === "buffer" ? { target: role.path } : {}),
      requiresGrad: source.kind === "leaf" && captured.leafRequiresGrad[source.leaf]!,
    };
  });
  const outputs = forward.signature.outputs.map((role, k): ExportOutput => {
    const v = forward.outputs[k]!;
    if (role.kind === "user_output")
      return { ...spec(v.name, v.meta), kind: "user_output", requiresGrad: differentiable.has(role.index) };
    if (role.kind === "mutation")
      return { ...spec(v.name, v.meta), kind: "mutation", mutates: forward.inputs[role.input]!.name };
    return { ...spec(v.name, v.meta), kind: "saved" };
  });
  const ofKind = (k: ExportInputKind) => inputs.filter((x) => x.kind === k).map((x) => x.name);
  const base = {
    inputs,
    outputs,
    parameters: ofKind("parameter"),
    buffers: ofKind("buffer"),
    userInputs: ofKind("user_input"),
    userOutputs: convention.userOutputs.map((k) => forward.outputs[k]!.name),
    savedForBackward: outputs.filter((o) => o.kind === "saved").map((o) => o.name),
    mutations: forward.mutations.map((m) => ({
      input: forward.inputs[m.input]!.name,
      output: forward.outputs[m.output]!.name,
      outputIndex: m.output,
    })),
    ...(captured.rng ? { rng: captured.rng } : {}),
  };
  const bw = convention.backward;
  if (!backward || !bw) return base;
  // A gradient's leaf is a forward input: the one the convention feeds from that leaf.
  const inputOfLeaf = new Map(
    convention.inputs.flatMap((src, i) => (src.kind === "leaf" ? [[src.leaf, i] as const] : [])),
  );
  const backwardInputs = backward.inputs.map((v, i): BackwardInput => {
    const src = bw.inputs[i]!;
    return src.kind === "saved"
      ? { ...spec(v.name, v.meta), kind: "saved", forwardOutput: src.forwardOutput }
      : {
          ...spec(v.name, v.meta),
          kind: "tangent",
          userOutput: convention.userOutputs[bw.differentiable[src.differentiable]!]!,
        };
  });
  const backwardOutputs = backward.outputs.map((v, j): BackwardOutput => {
    const { leaf, used } = bw.gradients[j]!;
    const input = inputs[inputOfLeaf.get(leaf)!]!;
    return {
      ...spec(v.name, v.meta),
      kind: "gradient",
      input: input.name,
      ...(input.target ? { target: input.target } : {}),
      // Whether backprop from the outputs reaches the input (eager autograd's rule for setting `.grad`).
      used,
    };
  });
  return { ...base, backward: { inputs: backwardInputs, outputs: backwardOutputs } };
}

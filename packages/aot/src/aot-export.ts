import { type DType, type Graph, type OpName, opNames, type TensorData } from "@aotjs/ir";
import { functionalCall, Module } from "@aotjs/nn";
import { minCutRematerializationPartition } from "@aotjs/partitioner";
import { Tensor } from "@aotjs/tensor";
import { flatten, type RngInputs } from "@aotjs/tracer";
import type { DecompositionTable } from "@aotjs/transforms";
import { inputNameOf, uniqueNames } from "./aot-module.js";
import { capture, type PartitionFn, requireOutputs } from "./capture.js";
import { AotError } from "./executable.js";

export interface AotExportOptions {
  /** Ops the target runs; every other op is decomposed first. Default: every op. */
  readonly supportedOps?: Iterable<OpName>;
  /** Entries that override the default decompositions. */
  readonly decompositions?: DecompositionTable;
  /** Splits the joint graph; default `minCutRematerializationPartition`, as aotFunction. */
  readonly partitionFn?: PartitionFn;
  /**
   * Names of a function's flattened tensor inputs (default `primals_1..n`). For a module, the
   * parameters and buffers are named after their state-dict names and the inputs `input_1..n`.
   */
  readonly inputNames?: readonly string[];
  /** Trace a joint forward+backward graph even if no input requires grad? Default: only when one does. */
  readonly trainable?: boolean;
  /**
   * For a module: how to call it, when the graph should compute more than `forward` (a training
   * step's loss, say): `call(module, ...exampleInputs)`. The module's parameters and buffers are
   * still lifted to inputs under their own names. Default `module.forward(...exampleInputs)`.
   */
  readonly call?: (module: Module, ...inputs: Tensor[]) => unknown;
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
 * and output is. Plain JSON (writeArtifacts copies it into manifest.json).
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
  const userNames = isModule
    ? exampleInputs.map((_, i) => options.inputNames?.[i] ?? `input_${i + 1}`)
    : (options.inputNames ?? exampleInputs.map((_, i) => `primals_${i + 1}`));
  if (userNames.length !== exampleInputs.length) {
    throw new AotError(
      `aotExport: ${userNames.length} input names for ${exampleInputs.length} example inputs`,
    );
  }
  const names = uniqueNames([...state.map(([n]) => inputNameOf(n)), ...userNames]);
  const kinds = new Map<string, { kind: ExportInputKind; target?: string }>(
    names.map((n, i) => [
      n,
      i < state.length ? { kind: state[i]![2], target: state[i]![0] } : { kind: "user_input" },
    ]),
  );
  const stateNames = state.map(([n]) => n);
  let result: unknown;
  const flatFn = (...xs: Tensor[]): Tensor[] => {
    const out =
      callee instanceof Module
        ? functionalCall(
            callee,
            Object.fromEntries(stateNames.map((n, i) => [prefix + n, xs[i]!])),
            xs.slice(state.length),
          )
        : callee(...xs);
    result = out;
    return flatten(out).leaves;
  };
  const requiresGrad = leaves.map((t) => t.requiresGrad);
  const trainable = options.trainable ?? requiresGrad.some(Boolean);
  const captured = capture(flatFn, leaves, trainable, {
    names,
    supported: new Set<OpName>(options.supportedOps ?? opNames),
    partitionFn: options.partitionFn ?? minCutRematerializationPartition,
    ...(options.decompositions ? { decompositions: options.decompositions } : {}),
  });
  requireOutputs(captured, result, "aotExport");
  const rngNames = captured.kind === "inference" ? captured.traced.rng : captured.info.rng;
  const describeInput = (name: string, meta: { dtype: DType; shape: readonly number[] }): ExportInput => {
    const k = kinds.get(name);
    const kind: ExportInputKind =
      k?.kind ??
      (name === rngNames?.seed ? "rng_seed" : name === rngNames?.offset ? "rng_offset" : "constant");
    const index = names.indexOf(name);
    return {
      ...spec(name, meta),
      kind,
      ...(k?.target ? { target: k.target } : {}),
      requiresGrad: index >= 0 && requiresGrad[index]!,
    };
  };
  const common = (forward: Graph, numUser: number, userRequires: readonly boolean[]) => {
    const outputs: ExportOutput[] = forward.outputs.map((v, i) => {
      const mutation = forward.mutations.find((m) => m.output === i);
      if (i < numUser)
        return { ...spec(v.name, v.meta), kind: "user_output", requiresGrad: userRequires[i] ?? false };
      if (mutation)
        return { ...spec(v.name, v.meta), kind: "mutation", mutates: forward.inputs[mutation.input]!.name };
      return { ...spec(v.name, v.meta), kind: "saved" };
    });
    const inputs = forward.inputs.map((v) => describeInput(v.name, v.meta));
    const ofKind = (k: ExportInputKind) => inputs.filter((x) => x.kind === k).map((x) => x.name);
    return {
      inputs,
      outputs,
      parameters: ofKind("parameter"),
      buffers: ofKind("buffer"),
      userInputs: ofKind("user_input"),
      userOutputs: outputs.filter((o) => o.kind === "user_output").map((o) => o.name),
      savedForBackward: outputs.filter((o) => o.kind === "saved").map((o) => o.name),
      mutations: forward.mutations.map((m) => ({
        input: forward.inputs[m.input]!.name,
        output: forward.outputs[m.output]!.name,
        outputIndex: m.output,
      })),
    };
  };
  const rngOf = (rng: RngInputs | undefined) => (rng ? { rng } : {});

  if (captured.kind === "inference") {
    const { graph: forward, traced } = captured;
    const numUser = forward.outputs.length - forward.mutations.length;
    return {
      forward,
      signature: { ...common(forward, numUser, []), ...rngOf(traced.rng) },
      constants: traced.constants,
    };
  }

  const { info, joint, parts } = captured;
  const { forward, backward } = parts;
  const numUser = info.outputRequiresGrad.length;
  const base = common(forward, numUser, info.outputRequiresGrad);
  const gradInputs = names.filter((_, i) => requiresGrad[i]);
  const differentiableOutputs = info.outputRequiresGrad.flatMap((r, i) => (r ? [i] : []));
  const forwardIndex = new Map(forward.outputs.map((v, i) => [v.name, i]));
  let tangent = 0;
  const backwardInputs: BackwardInput[] = backward.inputs.map((v, i) => {
    if (backward.signature.inputs[i]!.kind === "tangent")
      return { ...spec(v.name, v.meta), kind: "tangent", userOutput: differentiableOutputs[tangent++]! };
    const k = forwardIndex.get(v.name);
    if (k === undefined)
      throw new AotError(`aotExport: backward input '${v.name}' is neither saved by forward nor a tangent`);
    return { ...spec(v.name, v.meta), kind: "saved", forwardOutput: k };
  });
  const backwardOutputs: BackwardOutput[] = backward.outputs.map((v, j) => {
    const input = gradInputs[j]!;
    const target = kinds.get(input)?.target;
    return {
      ...spec(v.name, v.meta),
      kind: "gradient",
      input,
      ...(target ? { target } : {}),
      // Whether backprop from the outputs reaches the input (eager autograd's rule for setting `.grad`).
      used: info.gradUsed[j]!,
    };
  });
  return {
    forward,
    backward,
    joint,
    signature: {
      ...base,
      backward: { inputs: backwardInputs, outputs: backwardOutputs },
      ...rngOf(info.rng),
    },
    constants: info.constants,
  };
}

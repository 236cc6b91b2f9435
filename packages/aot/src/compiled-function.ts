import { enableGrad, noGrad, recordCustomNode } from "@aotjs/autograd";
import {
  type Compiler,
  describeInputRole,
  type Executable,
  type Graph,
  inputRoleKey,
  isPrimalRole,
  TensorData,
} from "@aotjs/ir";
import { Tensor, zerosLike } from "@aotjs/tensor";
import { unflatten } from "@aotjs/tracer";
import type { Captured } from "./capture.js";
import { AotError, compileGraph, runExecutable } from "./executable.js";

/** Where one input of the forward (or inference) graph comes from at each call. */
export type InputSource =
  | { readonly kind: "leaf"; readonly leaf: number }
  | { readonly kind: "rng_seed" }
  | { readonly kind: "rng_offset" }
  | { readonly kind: "constant"; readonly value: TensorData };

/** Where one input of the backward graph comes from: a forward output, or an output's incoming gradient. */
export type BackwardSource =
  | { readonly kind: "saved"; readonly forwardOutput: number }
  | { readonly kind: "tangent"; readonly differentiable: number };

/**
 * How to call a captured function's graphs, computed once from their signatures (nothing here
 * slices outputs by counts or reads a name). Leaves are the distinct tensors of a call's
 * flattened arguments, in order.
 */
export interface CallingConvention {
  /** One per forward graph input. */
  readonly inputs: readonly InputSource[];
  /** `userOutputs[k]` is the forward output that is user output k. */
  readonly userOutputs: readonly number[];
  /** Forward outputs holding the new value of a leaf the function updated in place. */
  readonly mutations: readonly { readonly leaf: number; readonly output: number }[];
  readonly updatedLeaves: ReadonlySet<number>;
  /** Random counters one call consumes; undefined when the function draws none. */
  readonly rngConsumed?: number;
  /** Absent for an inference graph. */
  readonly backward?: {
    /** The user outputs that take a tangent, in the order of the backward's tangent inputs. */
    readonly differentiable: readonly number[];
    /** One per backward graph input. */
    readonly inputs: readonly BackwardSource[];
    /**
     * One per backward output: the leaf it is the gradient of, and whether backprop from the
     * outputs reaches that leaf (when not, the gradient is zeros the graph made up, and eager
     * autograd leaves `.grad` alone).
     */
    readonly gradients: readonly { readonly leaf: number; readonly used: boolean }[];
  };
}

/** The convention of `captured`'s graphs, from their signatures; throws an `AotError` on a role it can't feed. */
export function callingConvention(captured: Captured): CallingConvention {
  const { forward, backward } = captured;
  const leafByRole = new Map(captured.leafRoles.map((r, leaf) => [inputRoleKey(r), leaf]));
  const leafOf = (graph: Graph, role: Parameters<typeof inputRoleKey>[0], what: string): number => {
    const leaf = leafByRole.get(inputRoleKey(role));
    if (leaf === undefined)
      throw new AotError(
        `graph '${graph.name}': ${what} is the ${describeInputRole(role)}, which no argument is`,
      );
    return leaf;
  };
  const inputs = forward.signature.inputs.map((role, i): InputSource => {
    const what = `input ${i} '${forward.inputs[i]!.name}'`;
    if (isPrimalRole(role)) return { kind: "leaf", leaf: leafOf(forward, role, what) };
    if (role.kind === "rng_seed" || role.kind === "rng_offset") return { kind: role.kind };
    if (role.kind === "constant") {
      const constant = captured.constants[role.index];
      if (constant) return { kind: "constant", value: constant.value };
    }
    throw new AotError(
      `graph '${forward.name}': ${what} is the ${describeInputRole(role)}, which a call cannot feed`,
    );
  });
  const userOutputs: number[] = [];
  const mutations: { leaf: number; output: number }[] = [];
  forward.signature.outputs.forEach((role, k) => {
    if (role.kind === "user_output") userOutputs[role.index] = k;
    else if (role.kind === "mutation") {
      const source = inputs[role.input]!;
      if (source.kind !== "leaf")
        throw new AotError(`graph '${forward.name}': output ${k} updates an input that is not an argument`);
      mutations.push({ leaf: source.leaf, output: k });
    }
  });
  const convention = {
    inputs,
    userOutputs,
    mutations,
    updatedLeaves: new Set(mutations.map((m) => m.leaf)),
    ...(captured.rng ? { rngConsumed: captured.rng.consumed } : {}),
  };
  if (!backward) return convention;

  // gradUsed is one per primal that requires grad, in order: the leaves that require grad.
  const usedByLeaf = new Map(
    captured.leafRequiresGrad
      .flatMap((r, leaf) => (r ? [leaf] : []))
      .map((leaf, j) => [leaf, captured.gradUsed[j]!]),
  );
  const differentiable: number[] = [];
  const backwardInputs = backward.signature.inputs.map((role, i): BackwardSource => {
    if (role.kind === "saved") return { kind: "saved", forwardOutput: role.forwardOutput };
    if (role.kind === "tangent") {
      differentiable.push(role.output);
      return { kind: "tangent", differentiable: differentiable.length - 1 };
    }
    throw new AotError(
      `graph '${backward.name}': input ${i} '${backward.inputs[i]!.name}' is the ${describeInputRole(role)}; a backward graph takes saved values and tangents`,
    );
  });
  const gradients = backward.signature.outputs.map((role, j) => {
    if (role.kind !== "gradient")
      throw new AotError(`graph '${backward.name}': output ${j} is not a gradient`);
    const leaf = leafOf(backward, role.of, `output ${j} '${backward.outputs[j]!.name}'`);
    return { leaf, used: usedByLeaf.get(leaf) ?? false };
  });
  return { ...convention, backward: { differentiable, inputs: backwardInputs, gradients } };
}

export interface Compilers {
  readonly forward: Compiler;
  readonly backward: Compiler;
  readonly inference: Compiler;
}

interface Executables {
  readonly forward: Executable;
  readonly backward?: Executable;
}

/** A call's share of the default generator: the state the graph's RNG inputs take. */
export interface RngState {
  readonly seed: number;
  readonly offset: number;
}

const scalar = (v: number) => new TensorData("int64", [], BigInt64Array.of(BigInt(v)));

/**
 * One compile-cache entry: a captured function's graphs, their calling convention, and (once
 * `compile` has run) their executables. `run` feeds the forward per the convention, records one
 * tape node that runs the backward when `backward()` reaches it, writes functionalized in-place
 * updates back to the caller's tensors, and returns the user outputs in the function's structure.
 * `aotFunction` and `aotModule` run it; `aotExport` reads its graphs and convention.
 */
export class CompiledFunction {
  readonly convention: CallingConvention;
  #executables?: Executables;

  constructor(readonly captured: Captured) {
    this.convention = callingConvention(captured);
  }

  get forward(): Graph {
    return this.captured.forward;
  }
  get backward(): Graph | undefined {
    return this.captured.backward;
  }

  /** Compile both graphs (or the inference graph); on failure nothing stays allocated. */
  async compile(compilers: Compilers): Promise<void> {
    const { forward, backward } = this.captured;
    if (!backward) {
      this.#executables = { forward: await compileGraph(compilers.inference, forward, "inference") };
      return;
    }
    const fw = await compileGraph(compilers.forward, forward, "forward");
    let bw: Executable;
    try {
      bw = await compileGraph(compilers.backward, backward, "backward");
    } catch (e) {
      // Nothing keeps a failed entry, so nothing else would ever free the forward's executable.
      await fw.dispose?.();
      throw e;
    }
    this.#executables = { forward: fw, backward: bw };
  }

  /** The forward graph's inputs for one call: the leaves' current values, the RNG state, constants. */
  forwardInputs(leaves: readonly Tensor[], rng: RngState): TensorData[] {
    return this.convention.inputs.map((src) =>
      src.kind === "leaf"
        ? leaves[src.leaf]!.toData()
        : src.kind === "rng_seed"
          ? scalar(rng.seed)
          : src.kind === "rng_offset"
            ? scalar(rng.offset)
            : src.value,
    );
  }

  /**
   * One call on `leaves`. `inputsRead` is called once the leaves' values are taken, before any
   * await, so a later call may update them (see call-order.ts).
   */
  async run(leaves: readonly Tensor[], rng: RngState, inputsRead: () => void = () => {}): Promise<unknown> {
    const exes = this.#executables;
    if (!exes)
      throw new AotError(`compiled function '${this.forward.name}': run() before compile() finished`);
    const inputs = this.forwardInputs(leaves, rng);
    inputsRead();
    const fwOut = await runExecutable(exes.forward, this.forward, inputs);
    const outputs = this.convention.userOutputs.map((k) => new Tensor(fwOut[k]!));
    if (exes.backward) this.#recordBackward(exes.backward, leaves, outputs, fwOut);
    // Functionalized in-place updates are written back to the caller's tensors (BatchNorm stats).
    noGrad(() => {
      for (const m of this.convention.mutations) leaves[m.leaf]!.copy_(new Tensor(fwOut[m.output]!));
    });
    return unflatten(this.captured.outputSpec, outputs);
  }

  #recordBackward(
    exe: Executable,
    leaves: readonly Tensor[],
    outputs: readonly Tensor[],
    fwOut: readonly TensorData[],
  ): void {
    const bw = this.convention.backward!;
    const graph = this.backward!;
    const differentiable = bw.differentiable.map((k) => outputs[k]!);
    // This graph was chosen because grad mode was on at call time; by now (after awaits) a
    // concurrent noGrad(async ...) may have turned it off, so record the node regardless.
    enableGrad(() =>
      recordCustomNode("CompiledFunctionBackward", leaves, differentiable, async (gradOutputs) => {
        const tangents = differentiable.map(
          (o, t) => gradOutputs[t]?.toData() ?? noGrad(() => zerosLike(o)).toData(),
        );
        const inputs = bw.inputs.map((src) =>
          src.kind === "saved" ? fwOut[src.forwardOutput]! : tangents[src.differentiable]!,
        );
        const grads = await runExecutable(exe, graph, inputs);
        const result: (Tensor | null)[] = leaves.map(() => null);
        bw.gradients.forEach((g, j) => {
          if (g.used) result[g.leaf] = new Tensor(grads[j]!);
        });
        return result;
      }),
    );
  }

  /** Free the executables (ONNX sessions, ...). */
  async dispose(): Promise<void> {
    const exes = this.#executables;
    await Promise.all([exes?.forward.dispose?.(), exes?.backward?.dispose?.()]);
  }
}

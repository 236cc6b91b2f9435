import { enableGrad, noGrad, recordCustomNode } from "@aotjs/autograd";
import { type Compiler, type Executable, type Graph, TensorData } from "@aotjs/ir";
import { Tensor, zerosLike } from "@aotjs/tensor";
import { unflatten } from "@aotjs/tracer";
import type { Captured } from "./capture.js";
import {
  type CallingConvention,
  callingConvention,
  type JointConvention,
  type JointSource,
  jointConvention,
} from "./convention.js";
import { AotError, compileGraph, runExecutable } from "./executable.js";

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

/** What one graph input takes at a call: a leaf's current value, the RNG state, a fixed value. */
function feed(src: JointSource, leaves: readonly Tensor[], rng: RngState): TensorData {
  switch (src.kind) {
    case "leaf":
      return leaves[src.leaf]!.toData();
    case "rng_seed":
      return scalar(rng.seed);
    case "rng_offset":
      return scalar(rng.offset);
    default:
      return src.value;
  }
}

/**
 * One compile-cache entry: a captured function's graphs, their calling convention, and (once
 * `compile` has run) their executables. `run` feeds the forward per the convention, records one
 * tape node that runs the backward when `backward()` reaches it, writes functionalized in-place
 * updates back to the caller's tensors, and returns the user outputs in the function's structure.
 * `aotFunction` and `aotModule` run it; `aotExport` reads its graphs and convention.
 */
export class CompiledFunction {
  readonly convention: CallingConvention;
  /** Set for `forwardBackward`'s entries, which compile and run the joint graph instead. */
  readonly joint?: JointConvention;
  #executables?: Executables;
  #jointExecutable?: Executable;

  /** `joint`: this entry serves `forwardBackward` (throws now unless the function returns one 0-d loss). */
  constructor(
    readonly captured: Captured,
    joint = false,
  ) {
    this.convention = callingConvention(captured);
    if (joint) this.joint = jointConvention(captured, "forwardBackward");
  }

  get forward(): Graph {
    return this.captured.forward;
  }
  get backward(): Graph | undefined {
    return this.captured.backward;
  }

  /** Compile both graphs (or the inference graph); on failure nothing stays allocated. */
  async compile(compilers: Compilers): Promise<void> {
    const { forward, backward, joint } = this.captured;
    if (this.joint) {
      this.#jointExecutable = await compileGraph(compilers.forward, joint!, "joint");
      return;
    }
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
    return this.convention.inputs.map((src) => feed(src, leaves, rng));
  }

  /**
   * One call on `leaves`. `inputsRead` is called once the leaves' values are taken, before any
   * await, so a later call may update them (see call-order.ts).
   */
  async run(leaves: readonly Tensor[], rng: RngState, inputsRead: () => void = () => {}): Promise<unknown> {
    if (this.joint) return this.#runJoint(this.joint, leaves, rng, inputsRead);
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

  /**
   * `forwardBackward`: the joint graph runs once with the loss's gradient fed as 1, then the
   * loss's `backward()` reaches a tape node that hands eager autograd the gradients already
   * computed, so `.grad` accumulates (and eager history upstream of the arguments is reached)
   * exactly as after a call and `loss.backward()`. The outputs come back with no grad_fn: their
   * backward has run.
   */
  async #runJoint(
    jc: JointConvention,
    leaves: readonly Tensor[],
    rng: RngState,
    inputsRead: () => void,
  ): Promise<unknown> {
    const exe = this.#jointExecutable;
    const graph = this.captured.joint!;
    if (!exe) throw new AotError(`compiled function '${graph.name}': run() before compile() finished`);
    const inputs = jc.inputs.map((src) => feed(src, leaves, rng));
    inputsRead();
    const out = await runExecutable(exe, graph, inputs);
    noGrad(() => {
      for (const m of jc.mutations) leaves[m.leaf]!.copy_(new Tensor(out[m.output]!));
    });
    const grads: (Tensor | null)[] = leaves.map(() => null);
    for (const g of jc.gradients) if (g.used) grads[g.leaf] = new Tensor(out[g.output]!);
    // The loss's gradient is always 1 here: this tensor is ours, backward() below seeds it with 1,
    // and nothing else can reach it. The graph was run with that same 1.
    const loss = new Tensor(out[jc.userOutputs[jc.loss]!]!);
    enableGrad(() => recordCustomNode("CompiledFunctionJointBackward", leaves, [loss], async () => grads));
    await loss.backward();
    return unflatten(
      this.captured.outputSpec,
      jc.userOutputs.map((k) => new Tensor(out[k]!)),
    );
  }

  /** Free the executables (ONNX sessions, ...). */
  async dispose(): Promise<void> {
    const exes = this.#executables;
    await Promise.all([
      exes?.forward.dispose?.(),
      exes?.backward?.dispose?.(),
      this.#jointExecutable?.dispose?.(),
    ]);
  }
}

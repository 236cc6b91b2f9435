import { AutogradError, gradSyncWithUsage } from "@aotjs/autograd";
import {
  checkSignature,
  type DType,
  Graph,
  type InputRole,
  isFloating,
  type OutputRole,
  type PrimalRole,
  primalName,
  type TensorData,
  type TensorMeta,
  tangentName,
} from "@aotjs/ir";
import { Tensor, zerosLike } from "@aotjs/tensor";
import { flatten, type RngInputs, type TreeSpec, trace } from "@aotjs/tracer";
import { replayGraph } from "./replay.js";

/**
 * A joint graph and what it is made of. Its signature says the same as the counts here: primals
 * (the roles given, default user inputs), tangents (`tangent` of user output k), then RNG inputs
 * and constants; user outputs, mutations, then gradients (`gradient` of a primal's role).
 */
export interface JointGraphInfo {
  readonly graph: Graph;
  /** The graph's outputs are `numForwardOutputs` forward outputs, then one gradient per primal that requires grad. */
  readonly numForwardOutputs: number;
  readonly numPrimals: number;
  readonly numTangents: number;
  /** Which forward outputs take a tangent (the floating outputs that depend on a primal requiring grad). */
  readonly outputRequiresGrad: readonly boolean[];
  /**
   * One per primal that requires grad: whether backprop from the outputs reaches it. When false,
   * its gradient output is zeros the graph makes up, where eager `backward()` leaves `.grad` alone.
   */
  readonly gradUsed: readonly boolean[];
  /** Structure of the forward function's result. */
  readonly outputSpec: TreeSpec;
  /** Captured constant tensors: graph inputs after the tangents, roles `constant` 0, 1, ... (see `trace`). */
  readonly constants: readonly { readonly name: string; readonly value: TensorData }[];
  /** With `functionalizeRng`: the graph's seed and offset inputs, and how many counters one run consumes. */
  readonly rng?: RngInputs;
}

/** Options of `jointGraph`: the graph name, and names and roles of the primal inputs. */
export interface JointGraphOptions {
  readonly name?: string;
  /** Input names for the primals (identifiers); default `primals_1..n`. */
  readonly primalNames?: readonly string[];
  /** Roles of the primals: user inputs, parameters, buffers. Default user input 0..n-1. */
  readonly primalRoles?: readonly PrimalRole[];
  /** See `TraceOptions.functionalizeRng`. */
  readonly functionalizeRng?: boolean;
}

type Forward = ((...inputs: Tensor[]) => unknown) | Graph;

const fakeInput = (x: Tensor | TensorMeta, requiresGrad: boolean): Tensor => {
  const t = Tensor.fake({ shape: x.shape, dtype: x.dtype as DType });
  if (requiresGrad) {
    if (!isFloating(t.dtype)) throw new AutogradError(`jointGraph: a ${t.dtype} input cannot require grad`);
    t.requiresGrad = true;
  }
  return t;
};

/**
 * The joint forward+backward graph, traced the way PyTorch's AOT Autograd traces
 * `joint_forward_backward`: the forward runs under the tracer with the tape recording, then the
 * same engine runs every derivative rule backward, still under the tracer. Inputs are
 * `primals_1..n` and `tangents_1..m` (one per forward output that requires grad); outputs are the
 * forward outputs then the gradient of each primal that requires grad (zeros when unused).
 * In-place updates of primals (functionalized by the tracer) count as forward outputs: their new
 * values follow the function's own outputs, as `mutation` outputs. The graph's signature records
 * every role, and is what partitioners read.
 */
export function jointGraphInfo(
  forward: Forward,
  exampleInputs: readonly (Tensor | TensorMeta)[],
  requiresGrad: readonly boolean[] = exampleInputs.map((x) => x instanceof Tensor && x.requiresGrad),
  options: JointGraphOptions = {},
): JointGraphInfo {
  if (requiresGrad.length !== exampleInputs.length) {
    throw new AutogradError(
      `jointGraph: ${requiresGrad.length} requiresGrad flags for ${exampleInputs.length} inputs`,
    );
  }
  const fn = forward instanceof Graph ? replayGraph(forward) : forward;
  const name = options.name ?? "joint";
  const primalNames = options.primalNames ?? exampleInputs.map((_, i) => primalName(i));
  const primalRoles: readonly PrimalRole[] =
    options.primalRoles ?? exampleInputs.map((_, index) => ({ kind: "user_input", index }));
  if (primalRoles.length !== exampleInputs.length) {
    throw new AutogradError(
      `jointGraph: ${primalRoles.length} primal roles for ${exampleInputs.length} inputs`,
    );
  }
  const rngOption = { functionalizeRng: options.functionalizeRng ?? false };

  // Pass 1 (metadata only): which outputs require grad, and their metas, to make the tangents.
  let probe: { requires: boolean[]; metas: TensorMeta[]; spec: TreeSpec } | undefined;
  trace(
    (...primals: Tensor[]) => {
      const { leaves, spec } = flatten(fn(...primals));
      probe = {
        requires: leaves.map((t) => t.requiresGrad && isFloating(t.dtype)),
        metas: leaves.map((t) => t.meta),
        spec,
      };
      return leaves;
    },
    exampleInputs.map((x, i) => fakeInput(x, requiresGrad[i]!)),
    { name, inputNames: primalNames, inputRoles: primalRoles, ...rngOption },
  );
  const { requires, metas, spec } = probe!;
  const differentiable = requires.flatMap((r, k) => (r ? [k] : []));
  const tangentMetas = differentiable.map((k) => metas[k]!);
  const tangentRoles = differentiable.map((output): InputRole => ({ kind: "tangent", output }));

  // Pass 2: forward, then backward through the same engine, traced together.
  let gradUsed: boolean[] = [];
  const joint = trace(
    (primals: Tensor[], tangents: Tensor[]) => {
      const outs = flatten(fn(...primals)).leaves;
      const wrt = primals.filter((_, i) => requiresGrad[i]);
      const roots = outs.filter((_, i) => requires[i]);
      let grads: Tensor[];
      if (roots.length) {
        const r = gradSyncWithUsage(roots, wrt, { gradOutputs: tangents, allowUnused: true });
        grads = r.grads;
        gradUsed = r.used;
      } else {
        grads = wrt.map((p) => zerosLike(p));
        gradUsed = wrt.map(() => false);
      }
      return [...outs, ...grads];
    },
    [exampleInputs.map((x, i) => fakeInput(x, requiresGrad[i]!)), tangentMetas.map((m) => Tensor.fake(m))],
    {
      name,
      inputNames: [...primalNames, ...tangentMetas.map((_, i) => tangentName(i))],
      inputRoles: [...primalRoles, ...tangentRoles],
      ...rngOption,
    },
  );
  // The tracer appends mutated inputs' new values after everything; move them to the forward part.
  const g = joint.graph;
  const numGrads = requiresGrad.filter(Boolean).length;
  const own = g.outputs.slice(0, metas.length);
  const grads = g.outputs.slice(metas.length, metas.length + numGrads);
  const updated = g.outputs.slice(metas.length + numGrads);
  const wrt = primalRoles.filter((_, i) => requiresGrad[i]);
  const graph = new Graph(g.name, g.inputs, g.nodes, [...own, ...updated, ...grads], {
    inputs: g.signature.inputs,
    outputs: [
      ...own.map((_, index): OutputRole => ({ kind: "user_output", index })),
      ...g.signature.outputs.slice(metas.length + numGrads),
      ...wrt.map((of): OutputRole => ({ kind: "gradient", of })),
    ],
  });
  checkSignature(graph);
  return {
    graph,
    numForwardOutputs: metas.length + updated.length,
    numPrimals: exampleInputs.length,
    numTangents: tangentMetas.length,
    outputRequiresGrad: requires,
    gradUsed,
    outputSpec: spec,
    constants: joint.constants,
    ...(joint.rng ? { rng: joint.rng } : {}),
  };
}

/** `jointGraphInfo(...).graph`. */
export const jointGraph = (
  forward: Forward,
  exampleInputs: readonly (Tensor | TensorMeta)[],
  requiresGrad?: readonly boolean[],
  options?: JointGraphOptions,
): Graph => jointGraphInfo(forward, exampleInputs, requiresGrad, options).graph;

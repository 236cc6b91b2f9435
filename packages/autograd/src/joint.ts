import { type DType, Graph, isFloating, type TensorMeta } from "@aotjs/ir";
import { Tensor, zerosLike } from "@aotjs/tensor";
import { flatten, type TreeSpec, trace } from "@aotjs/tracer";
import { AutogradError, gradSync } from "./engine.js";
import { replayGraph } from "./replay.js";

export interface JointGraphInfo {
  readonly graph: Graph;
  /** The graph's outputs are `numForwardOutputs` forward outputs, then one gradient per primal that requires grad. */
  readonly numForwardOutputs: number;
  readonly numPrimals: number;
  readonly numTangents: number;
  /** Which forward outputs take a tangent (the floating outputs that depend on a primal requiring grad). */
  readonly outputRequiresGrad: readonly boolean[];
  /** Structure of the forward function's result. */
  readonly outputSpec: TreeSpec;
  /** Captured constant tensors: trailing graph inputs after the tangents (see `trace`). */
  readonly constants: readonly { readonly name: string; readonly value: import("@aotjs/ir").TensorData }[];
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
 */
export function jointGraphInfo(
  forward: Forward,
  exampleInputs: readonly (Tensor | TensorMeta)[],
  requiresGrad: readonly boolean[] = exampleInputs.map((x) => x instanceof Tensor && x.requiresGrad),
  options: { name?: string } = {},
): JointGraphInfo {
  if (requiresGrad.length !== exampleInputs.length) {
    throw new AutogradError(
      `jointGraph: ${requiresGrad.length} requiresGrad flags for ${exampleInputs.length} inputs`,
    );
  }
  const fn = forward instanceof Graph ? replayGraph(forward) : forward;
  const name = options.name ?? "joint";
  const primalNames = exampleInputs.map((_, i) => `primals_${i + 1}`);

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
    { name, inputNames: primalNames },
  );
  const { requires, metas, spec } = probe!;
  const tangentMetas = metas.filter((_, i) => requires[i]);

  // Pass 2: forward, then backward through the same engine, traced together.
  const joint = trace(
    (primals: Tensor[], tangents: Tensor[]) => {
      const outs = flatten(fn(...primals)).leaves;
      const wrt = primals.filter((_, i) => requiresGrad[i]);
      const roots = outs.filter((_, i) => requires[i]);
      const grads = roots.length
        ? gradSync(roots, wrt, { gradOutputs: tangents, allowUnused: true })
        : wrt.map((p) => zerosLike(p));
      return [...outs, ...grads];
    },
    [exampleInputs.map((x, i) => fakeInput(x, requiresGrad[i]!)), tangentMetas.map((m) => Tensor.fake(m))],
    { name, inputNames: [...primalNames, ...tangentMetas.map((_, i) => `tangents_${i + 1}`)] },
  );
  return {
    graph: joint.graph,
    numForwardOutputs: metas.length,
    numPrimals: exampleInputs.length,
    numTangents: tangentMetas.length,
    outputRequiresGrad: requires,
    outputSpec: spec,
    constants: joint.constants,
  };
}

/** `jointGraphInfo(...).graph`. */
export const jointGraph = (
  forward: Forward,
  exampleInputs: readonly (Tensor | TensorMeta)[],
  requiresGrad?: readonly boolean[],
  options?: { name?: string },
): Graph => jointGraphInfo(forward, exampleInputs, requiresGrad, options).graph;

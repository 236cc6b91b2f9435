import { type DType, Graph, isFloating, type TensorData, type TensorMeta } from "@aotjs/ir";
import { Tensor, zerosLike } from "@aotjs/tensor";
import { flatten, type RngInputs, type TreeSpec, trace } from "@aotjs/tracer";
import { AutogradError, gradSyncWithUsage } from "./engine.js";
import { replayGraph } from "./replay.js";

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
  /** Captured constant tensors: graph inputs after the tangents (see `trace`). */
  readonly constants: readonly { readonly name: string; readonly value: TensorData }[];
  /** With `functionalizeRng`: the graph's seed and offset inputs, and how many counters one run consumes. */
  readonly rng?: RngInputs;
}

export interface JointGraphOptions {
  readonly name?: string;
  /** Input names for the primals (identifiers); default `primals_1..n`. */
  readonly primalNames?: readonly string[];
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
 * values follow the function's own outputs, and `graph.mutations` points at them.
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
  const primalNames = options.primalNames ?? exampleInputs.map((_, i) => `primals_${i + 1}`);
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
    { name, inputNames: primalNames, ...rngOption },
  );
  const { requires, metas, spec } = probe!;
  const tangentMetas = metas.filter((_, i) => requires[i]);

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
    { name, inputNames: [...primalNames, ...tangentMetas.map((_, i) => `tangents_${i + 1}`)], ...rngOption },
  );
  // The tracer appends mutated inputs' new values after everything; move them to the forward part.
  const g = joint.graph;
  const numGrads = requiresGrad.filter(Boolean).length;
  const own = g.outputs.slice(0, metas.length);
  const grads = g.outputs.slice(metas.length, metas.length + numGrads);
  const updated = g.outputs.slice(metas.length + numGrads);
  const graph = new Graph(
    g.name,
    g.inputs,
    g.nodes,
    [...own, ...updated, ...grads],
    g.mutations.map((m, k) => ({ input: m.input, output: metas.length + k })),
  );
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

// `aotOptimizer(...).trainStep(module, ...inputs)`: the module's forward, its backward and the
// optimizer's update traced as ONE function, so one compiled graph runs the whole training step.
import { enableGrad, gradSyncWithUsage, noGrad } from "@aotjs/autograd";
import { isFloating } from "@aotjs/ir";
import { functionalCall, type Module } from "@aotjs/nn";
import { Tensor } from "@aotjs/tensor";
import { AotError } from "./executable.js";

/** Where a bucket's parameters sit in the module: state-dict path and shape, in bucket order. */
export interface MemberPath {
  readonly path: string;
  readonly shape: readonly number[];
}

/** What a traced training step takes beyond the optimizer's own inputs. */
export interface ModelArgs {
  /** The module's parameters and buffers that no bucket updates, by state-dict path. */
  readonly fixed: Readonly<Record<string, Tensor>>;
  /** Per bucket, its members (one, or several concatenated in order). */
  readonly members: readonly (readonly MemberPath[])[];
  /** The forward's arguments. */
  readonly inputs: readonly unknown[];
}

/**
 * The module's state: each updated parameter by path, and everything else fixed. `named` is the
 * module's `namedParameters()`, which the caller already walked the module for.
 */
export function modelArgs(
  module: Module,
  named: readonly [string, Tensor][],
  members: readonly (readonly Tensor[])[],
  inputs: readonly unknown[],
): ModelArgs {
  const pathOf = new Map(named.map(([path, p]) => [p, path]));
  const paths = members.map((ms) => ms.map((p) => ({ path: pathOf.get(p)!, shape: p.shape })));
  const updated = new Set(paths.flat().map((m) => m.path));
  const fixed = [...named, ...module.namedBuffers()].filter(([path]) => !updated.has(path));
  return { fixed: Object.fromEntries(fixed), members: paths, inputs };
}

/**
 * Traced: the forward through `functionalCall` over views of each bucket's parameter vector, the
 * gradients of its 0-d loss with respect to those vectors (`gradSync`, under the tracer, as the
 * joint graph is built), then `update` per bucket with its gradient. Throws an `AotError` when
 * the forward returns anything but a 0-d floating loss that requires grad, or when the loss does
 * not reach a parameter the step would update (eager `step()` would skip it: it has no grad).
 */
export function traceTrainStep<C>(
  module: Module,
  params: readonly Tensor[],
  model: ModelArgs,
  update: (bucket: number, grad: Tensor) => C,
): { loss: Tensor; created: C[] } {
  return enableGrad(() => {
    const leaves = params.map((p) => {
      const d = p.detach();
      d.requiresGrad = true;
      return d;
    });
    const state: Record<string, Tensor> = { ...model.fixed };
    const views: { path: string; view: Tensor }[] = [];
    model.members.forEach((ms, i) => {
      let offset = 0;
      for (const m of ms) {
        const n = m.shape.reduce((a, b) => a * b, 1);
        const view =
          ms.length === 1 ? leaves[i]! : leaves[i]!.slice(0, offset, offset + n).reshape([...m.shape]);
        offset += n;
        state[m.path] = view;
        views.push({ path: m.path, view });
      }
    });
    const loss = functionalCall(module, state, [...model.inputs]) as unknown;
    if (
      !(loss instanceof Tensor) ||
      loss.shape.length !== 0 ||
      !isFloating(loss.dtype) ||
      !loss.requiresGrad
    ) {
      const what = loss instanceof Tensor ? `a ${loss.dtype}[${loss.shape}] tensor` : typeof loss;
      throw new AotError(
        `trainStep: ${module.constructor.name}.forward must return a 0-d floating loss that depends on the parameters; it returned ${what}`,
      );
    }
    const { grads, used } = gradSyncWithUsage([loss], [...leaves, ...views.map((v) => v.view)], {
      allowUnused: true,
    });
    const unused = views.filter((_, k) => !used[leaves.length + k]).map((v) => v.path);
    if (unused.length) {
      throw new AotError(
        `trainStep: the loss does not depend on parameter ${unused.join(", ")}; eager step() would skip it (no grad). Freeze it (requiresGrad = false) or leave it out of the optimizer`,
      );
    }
    return { loss: loss.detach(), created: noGrad(() => params.map((_, i) => update(i, grads[i]!))) };
  });
}

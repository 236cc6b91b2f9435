import { Tensor, zerosLike } from "@aotjs/tensor";
import { describe, NNError } from "../errors.js";
import { withoutGrad } from "../internal.js";

/** A parameter group: its tensors and the hyper-parameters that apply to them. */
export type ParamGroup<O> = O & { params: Tensor[] };

/** What optimizers accept: tensors, or groups each overriding some hyper-parameters. */
export type Params<O> = Iterable<Tensor> | readonly (Partial<O> & { params: Iterable<Tensor> })[];

/**
 * The base of SGD and AdamW, as torch.optim.Optimizer: parameter groups (change `lr` on a group
 * to schedule it), per-parameter state, `zeroGrad()`. `step()` updates parameters IN PLACE from
 * their `.grad`, skipping those whose grad is null, outside autograd.
 */
export abstract class Optimizer<O extends object> {
  readonly paramGroups: ParamGroup<O>[];
  /** Per-parameter state (momentum buffers, moment estimates, step counts). */
  readonly state = new Map<Tensor, Record<string, unknown>>();

  constructor(params: Params<O>, defaults: O) {
    const list = [...(params as Iterable<Tensor | (Partial<O> & { params: Iterable<Tensor> })>)];
    const name = this.constructor.name;
    if (list.length === 0) throw new NNError(`${name}: got an empty parameter list`);
    const groups = list.every((p) => p instanceof Tensor)
      ? [{ params: list as Tensor[] }]
      : (list as (Partial<O> & { params: Iterable<Tensor> })[]);
    const seen = new Set<Tensor>();
    this.paramGroups = groups.map((g, gi) => {
      if (g instanceof Tensor || !g || typeof g !== "object" || !("params" in g)) {
        throw new NNError(
          `${name}: parameter group ${gi} must be an object with 'params' (do not mix tensors and groups)`,
        );
      }
      const ps = [...g.params];
      ps.forEach((p, i) => {
        if (!(p instanceof Tensor))
          throw new NNError(`${name}: group ${gi} param ${i} is ${describe(p)}, not a Tensor`);
        if (p.dtype !== "float32" && p.dtype !== "float64")
          throw new NNError(
            `${name}: group ${gi} param ${i} is ${describe(p)}; only floating tensors can be optimized`,
          );
        if (seen.has(p))
          throw new NNError(`${name}: a parameter (${describe(p)}) appears in more than one place`);
        seen.add(p);
      });
      return { ...defaults, ...g, params: ps } as ParamGroup<O>;
    });
  }

  /** Clear every parameter's `.grad` (null, as torch's default `set_to_none=True`, or zeros). */
  zeroGrad(setToNone = true): void {
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (!p.grad) continue;
        if (setToNone) p.grad = null;
        // zerosLike, not mul(0): a NaN or infinite gradient must become 0 too, as torch's zero_().
        else p.grad = zerosLike(p.grad);
      }
    }
  }

  step(): void {
    const all = this.paramGroups.flatMap((g) => g.params);
    withoutGrad(all, () => {
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          const grad = p.grad;
          if (!grad) continue;
          if (grad.shape.join() !== p.shape.join()) {
            throw new NNError(
              `${this.constructor.name}.step: grad ${describe(grad)} does not match its parameter ${describe(p)}`,
            );
          }
          const state = this.state.get(p) ?? {};
          this.state.set(p, state);
          this.update(p, grad.dtype === p.dtype ? grad : grad.to(p.dtype), state, group);
        }
      }
    });
  }

  /** One parameter's update; `p` must be changed in place. */
  protected abstract update(
    p: Tensor,
    grad: Tensor,
    state: Record<string, unknown>,
    group: ParamGroup<O>,
  ): void;
}

import { Tensor, zerosLike } from "@aotjs/tensor";
import { describe, NNError } from "../errors.js";
import { withoutGrad } from "../internal.js";

/** A parameter group: its tensors and its hyper-parameters, which a scheduler may change between steps. */
export type ParamGroup<O> = { -readonly [K in keyof O]: O[K] } & { params: Tensor[] };

/** What optimizers accept: tensors, or groups each overriding some hyper-parameters. */
export type Params<O> = Iterable<Tensor> | readonly (Partial<O> & { params: Iterable<Tensor> })[];

/**
 * A hyper-parameter as an update rule sees it: a JS number in eager `step()`, a 0-d tensor of the
 * parameter's dtype (a graph input) when `aotOptimizer` traces the step, so a changed `lr` is a
 * new input value, not a new graph.
 */
export type Scalar = number | Tensor;

/** The choices that decide which tensor ops an update runs (boolean options, which hyper-parameters are 0). */
export type UpdateStructure = Readonly<Record<string, boolean>>;

/** One step's hyper-parameters by name, as numbers (eager) or 0-d tensors (traced). */
export type UpdateScalars<S extends Scalar = Scalar> = Readonly<Record<string, S>>;

/** A parameter that has a gradient, as `step()` will update it. */
export interface GradParam {
  /** Index into `paramGroups`. */
  readonly group: number;
  readonly param: Tensor;
  /** The parameter's `.grad`, cast to the parameter's dtype. */
  readonly grad: Tensor;
}

/** `x * c`, skipping the multiply by an exact 1 as torch's `add_(x, alpha=1)` does. */
export const scaled = (x: Tensor, c: Scalar): Tensor => (c === 1 ? x : x.mul(c));

/**
 * The base of SGD and AdamW, as torch.optim.Optimizer: parameter groups (change `lr` on a group
 * to schedule it), per-parameter state, `zeroGrad()`. `step()` updates parameters IN PLACE from
 * their `.grad`, skipping those whose grad is null, outside autograd.
 *
 * A subclass gives its update rule in three parts, so that one definition runs both eagerly and
 * under `aotOptimizer`'s trace: `structure` (what the cache key of a compiled step holds),
 * `advance` (plain-number bookkeeping and this step's scalars, computed in float64), and `update`
 * (the tensor ops, reading hyper-parameters only through the structure and the scalars).
 */
export abstract class Optimizer<O extends object> {
  readonly paramGroups: ParamGroup<O>[];
  /** Per-parameter state (momentum buffers, moment estimates, step counts). */
  readonly state = new Map<Tensor, Record<string, unknown>>();
  /**
   * True when `update` treats every element on its own and its state tensors have the
   * parameter's shape, so a compiled step may run it once over several parameters concatenated
   * (multi-tensor apply). A rule that reduces over a parameter (a norm, LARS) must leave it false.
   */
  readonly elementwise: boolean = false;

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

  /**
   * The parameters a step updates, in group order: those with a non-null `.grad`. Every grad's
   * shape is checked before anything is updated, so a bad one leaves every parameter as it was.
   */
  paramsWithGrad(): GradParam[] {
    const found: { group: number; param: Tensor; grad: Tensor }[] = [];
    this.paramGroups.forEach((group, gi) => {
      for (const param of group.params) {
        const grad = param.grad;
        if (!grad) continue;
        if (grad.shape.join() !== param.shape.join()) {
          throw new NNError(
            `${this.constructor.name}.step: grad ${describe(grad)} does not match its parameter ${describe(param)}`,
          );
        }
        found.push({ group: gi, param, grad });
      }
    });
    return withoutGrad(
      found.map((f) => f.param),
      () => found.map((f) => (f.grad.dtype === f.param.dtype ? f : { ...f, grad: f.grad.to(f.param.dtype) })),
    );
  }

  /** One update of every parameter that has a grad, per the optimizer's rule. */
  step(): void {
    const todo = this.paramsWithGrad();
    withoutGrad(
      todo.map((t) => t.param),
      () => {
        for (const { group, param, grad } of todo) {
          const options = this.paramGroups[group]!;
          const state = this.state.get(param) ?? {};
          this.state.set(param, state);
          this.update(param, grad, state, this.structure(options), this.advance(state, options));
        }
      },
    );
  }

  /**
   * What decides the tensor ops of a group's update: boolean options and which hyper-parameters
   * are 0. A compiled step is cached on it; everything numeric goes through `advance` instead.
   */
  abstract structure(group: ParamGroup<O>): UpdateStructure;

  /**
   * Start one parameter's step: advance its plain-number state (Adam's step count) and return
   * the step's hyper-parameters, computed in float64 as numbers.
   */
  abstract advance(state: Record<string, unknown>, group: ParamGroup<O>): UpdateScalars<number>;

  /**
   * The tensor state a compiled step may create before it traces the first update, so that the
   * first step compiles the same graph as every later one (PyTorch 2's compiled optimizers also
   * initialize state eagerly). Whatever it stores must make `update` compute exactly what its
   * own lazy first step would. The default stores nothing; eager `step()` never calls it.
   */
  initialState(_p: Tensor, _state: Record<string, unknown>, _group: ParamGroup<O>): void {}

  /**
   * One parameter's tensor update: change `p` and tensor state in place, or store new state
   * tensors. Hyper-parameters come only from `structure` and `scalars`, which are numbers eagerly
   * and 0-d tensors under `aotOptimizer`'s trace, where `p`, `grad` and the state may also be
   * several parameters concatenated when the optimizer says it is `elementwise`.
   */
  abstract update(
    p: Tensor,
    grad: Tensor,
    state: Record<string, unknown>,
    structure: UpdateStructure,
    scalars: UpdateScalars,
  ): void;
}

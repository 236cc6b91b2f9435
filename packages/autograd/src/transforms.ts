import { isFloating } from "@aotjs/ir";
import { type Tensor, zerosLike } from "@aotjs/tensor";
import { flatten, type PyTree, unflatten } from "@aotjs/tracer";
import { AutogradError, enableGrad, gradAsync, gradSync } from "./engine.js";

/** Options of the functional transforms (`grad`, `valueAndGrad`): which arguments to differentiate. */
export interface TransformOptions {
  /** Which positional arguments to differentiate with respect to (JAX's argnums). Default 0. */
  readonly argnums?: number | readonly number[];
}

type Result<T> = T extends Promise<infer U> ? Promise<U> : T;

/**
 * JAX's `value_and_grad`: returns `[value, grads]`, where grads mirror the structure of the
 * differentiated arguments (pytrees of tensors). `fn` must return a one-element tensor. If `fn`
 * is async (say, it calls an aotFunction), the result is a Promise.
 */
export function valueAndGrad<A extends unknown[], R extends Tensor | Promise<Tensor>>(
  fn: (...args: A) => R,
  options: TransformOptions = {},
): (...args: A) => Result<R extends Promise<Tensor> ? Promise<[Tensor, PyTree]> : [Tensor, PyTree]> {
  const argnums =
    typeof options.argnums === "number" || options.argnums === undefined
      ? [options.argnums ?? 0]
      : [...options.argnums];
  const single = typeof options.argnums !== "object";
  return ((...args: A) => {
    const trees = argnums.map((i) => {
      if (i < 0 || i >= args.length)
        throw new AutogradError(`grad: argnum ${i} is out of range for ${args.length} arguments`);
      return flatten(args[i]);
    });
    // Fresh leaves so the caller's tensors and their .grad are untouched.
    const leaves = trees.map(({ leaves: ls }) =>
      ls.map((t, j) => {
        if (!isFloating(t.dtype))
          throw new AutogradError(
            `grad: differentiated argument leaf ${j} is ${t.dtype}; only floating tensors have gradients`,
          );
        return t.detach().requiresGrad_();
      }),
    );
    const callArgs = [...args] as unknown[];
    argnums.forEach((i, k) => {
      callArgs[i] = unflatten(trees[k]!.spec, leaves[k]!);
    });
    const finish = (value: Tensor, grads: Tensor[]) => {
      let at = 0;
      const structured = trees.map((t, k) => {
        const part = grads.slice(at, at + leaves[k]!.length);
        at += part.length;
        return unflatten(t.spec, part);
      });
      return [value.detach(), single ? structured[0]! : structured] as [Tensor, PyTree];
    };
    const flat = leaves.flat();
    // An output that does not depend on the arguments has zero gradients, as in JAX.
    const zeros = () => flat.map((t) => zerosLike(t));
    const out = enableGrad(() => fn(...(callArgs as A)));
    if (out instanceof Promise) {
      return out.then(async (value: Tensor) =>
        finish(value, value.requiresGrad ? await gradAsync([value], flat, { allowUnused: true }) : zeros()),
      );
    }
    const value = out as Tensor;
    return finish(value, value.requiresGrad ? gradSync([value], flat, { allowUnused: true }) : zeros());
  }) as never;
}

/** JAX's `grad`: like `valueAndGrad`, returning only the gradients. */
export function grad<A extends unknown[], R extends Tensor | Promise<Tensor>>(
  fn: (...args: A) => R,
  options: TransformOptions = {},
): (...args: A) => Result<R extends Promise<Tensor> ? Promise<PyTree> : PyTree> {
  const vg = valueAndGrad(fn, options);
  return ((...args: A) => {
    const r = vg(...args) as [Tensor, PyTree] | Promise<[Tensor, PyTree]>;
    return r instanceof Promise ? r.then(([, g]) => g) : r[1];
  }) as never;
}

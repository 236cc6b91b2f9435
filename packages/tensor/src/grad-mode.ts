/**
 * Grad mode, as torch.no_grad / torch.enable_grad. The flag lives here, with the tensors, so
 * packages that must not depend on autograd (nn's optimizers and init) can still switch tape
 * recording off; `@aotjs/autograd` reads it.
 */
let gradEnabled = true;

/** Whether autograd records ops now (false inside `noGrad`). */
export const isGradEnabled = (): boolean => gradEnabled;

/** Run `fn` with grad mode set to `enabled`; restored when `fn` returns, throws, or its promise settles. */
export function setGradEnabled<T>(enabled: boolean, fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = enabled;
  let result: T;
  try {
    result = fn();
  } catch (e) {
    gradEnabled = previous;
    throw e;
  }
  if (result instanceof Promise) {
    return result.finally(() => {
      gradEnabled = previous;
    }) as T;
  }
  gradEnabled = previous;
  return result;
}

/** Nothing inside records a tape (optimizer steps, init, evaluation). */
export const noGrad = <T>(fn: () => T): T => setGradEnabled(false, fn);
/** Runs `fn` with gradient recording on, also inside `noGrad`, like `torch.enable_grad`. */
export const enableGrad = <T>(fn: () => T): T => setGradEnabled(true, fn);

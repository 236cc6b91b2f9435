import type { Tensor } from "@aotjs/tensor";

/**
 * Run an update of parameters outside autograd's view, as torch's `no_grad` does for optimizers
 * and init. `@aotjs/nn` must not depend on `@aotjs/autograd`, and autograd only records ops whose
 * inputs require grad (and refuses in-place updates of leaves that do), so switching
 * `requiresGrad` off on the touched tensors for the duration has the same effect.
 */
export function withoutGrad<T>(tensors: Iterable<Tensor>, fn: () => T): T {
  const switched: Tensor[] = [];
  for (const t of tensors) {
    if (t.requiresGrad) {
      t.requiresGrad = false;
      switched.push(t);
    }
  }
  try {
    return fn();
  } finally {
    for (const t of switched) t.requiresGrad = true;
  }
}

import { noGrad, type Tensor } from "@aotjs/tensor";

/**
 * Run an update of parameters outside autograd's view (optimizer steps, init, loading a state
 * dict), as torch's `no_grad` does. `tensors` names what is updated, for readers.
 */
export function withoutGrad<T>(_tensors: Iterable<Tensor>, fn: () => T): T {
  return noGrad(fn);
}

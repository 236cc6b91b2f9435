import type { Tensor } from "./tensor.js";

// Messages about a tensor the tracer meets outside its arguments are only actionable with a name;
// the tensor itself has none, but the module that owns it knows its path.
const names = new WeakMap<Tensor, string>();

/**
 * Records a name for `t` in error messages and warnings, such as the module path
 * `layer1.0.bn1.running_mean` that `@aotjs/nn` gives parameters and buffers. A path seen from a
 * parent module is longer than the same tensor's path seen from its owner, and replaces it.
 */
export function nameTensor(t: Tensor, name: string): void {
  const known = names.get(t);
  if (known === undefined || name.length > known.length) names.set(t, name);
}

/** The name `nameTensor` recorded for `t`, if any. */
export function tensorName(t: Tensor): string | undefined {
  return names.get(t);
}

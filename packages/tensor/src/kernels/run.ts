import { checkNode, type OpAttrsInput, type OpName, type TensorData, Value } from "@aotjs/ir";
import { kernels } from "./index.js";

/**
 * Run one op's reference kernel on concrete data: checks arity, attributes and shapes with the
 * catalog's rule first, so a bad call fails with the op, the shapes and the reason, never deep in
 * a loop. `name` is used in error messages.
 */
export function runKernel<K extends OpName>(
  op: K,
  inputs: readonly TensorData[],
  attrs?: OpAttrsInput<K>,
  name?: string,
): TensorData {
  const values = inputs.map((t, i) => new Value(`input${i}`, { shape: t.shape, dtype: t.dtype }));
  const checked = checkNode(op, values, attrs, name);
  return kernels[op](inputs, checked.attrs as never, checked.meta);
}

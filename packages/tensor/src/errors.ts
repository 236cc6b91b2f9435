import { AotjsError } from "@aotjs/ir";

/**
 * Every error the eager runtime, the reference kernels and the interpreter raise; messages name
 * the op and the shapes or dtypes.
 */
export class TensorError extends AotjsError {
  override name = "TensorError";
}

import { AotjsError } from "@aotjs/ir";

/**
 * Every error this package raises. Messages name the op, the node and the shapes involved
 * (`describeNode` from `@aotjs/ir`); an ORT or lowering error it wraps stays as `cause`.
 */
export class OnnxBackendError extends AotjsError {
  override name = "OnnxBackendError";
}

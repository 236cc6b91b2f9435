import { AotjsError } from "@aotjs/ir";

/**
 * Every error this backend raises. Messages name the graph, node, op and the metas involved
 * (`describeNode` from `@aotjs/ir`); a TF.js error it wraps stays as `cause`.
 */
export class TfjsBackendError extends AotjsError {
  override name = "TfjsBackendError";
}

export {
  countLeaves,
  flatten,
  type PyTree,
  PyTreeError,
  specKey,
  type TreeSpec,
  unflatten,
} from "./pytree.js";
export { makeFx, TraceError, type TraceOptions, type TraceResult, trace } from "./trace.js";

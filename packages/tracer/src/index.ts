export {
  countLeaves,
  flatten,
  type PyTree,
  PyTreeError,
  specKey,
  type TreeSpec,
  unflatten,
} from "./pytree.js";
export { makeFx, type RngInputs, TraceError, type TraceOptions, type TraceResult, trace } from "./trace.js";

export {
  countLeaves,
  flatten,
  type PyTree,
  PyTreeError,
  specKey,
  type TreeSpec,
  unflatten,
} from "./pytree.js";
export { currentRegion, newRegionId, withRegion } from "./region.js";
export {
  isTracing,
  makeFx,
  type RngInputs,
  TraceError,
  type TraceOptions,
  type TraceResult,
  trace,
} from "./trace.js";

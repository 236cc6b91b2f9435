export { countLeaves, flatten, type PyTree, PyTreeError, specKey, type TreeSpec, unflatten } from "./pytree.js";
export { makeFx, trace, TraceError, type TraceOptions, type TraceResult } from "./trace.js";

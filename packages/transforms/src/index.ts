// @aotjs/transforms: graph-to-graph transforms that run Tensor code through the tracer. The joint
// graph traces a function's forward and its backward through the eager engine's derivative rules
// (from @aotjs/autograd); decompose replays a graph with unsupported ops expanded into Tensor code.
export {
  type Decomposition,
  type DecompositionTable,
  decompose,
  defaultDecompositions,
} from "./decompose.js";
export { type JointGraphInfo, type JointGraphOptions, jointGraph, jointGraphInfo } from "./joint.js";
export { replayGraph } from "./replay.js";

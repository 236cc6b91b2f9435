export * from "./attrs.js";
export { checkNode, GraphBuilder, isValidName } from "./builder.js";
export * from "./compiler.js";
export { graphFlops, nodeFlops } from "./cost.js";
export {
  DEFAULT_ROOFLINE,
  type EstimateCostOptions,
  estimateCost,
  type GraphCost,
  type MeasuredCosts,
  type NodeCost,
  nodeBytes,
  type Roofline,
} from "./cost-model.js";
export { describeInputs, describeNode } from "./describe.js";
export * from "./dtype.js";
export { ERF_A, ERF_B, ERFC_C, ERFC_D, ERFC_P, ERFC_Q, erf, ONE_OVER_SQRT_PI } from "./erf.js";
export { AotjsError, IRError, messageOf, ShapeError } from "./errors.js";
export { type AnyNode, Graph, type InputMutation, Node, nonDefaultAttrs, Value } from "./graph.js";
export { fromJSON, GRAPH_FORMAT, GRAPH_FORMAT_VERSION, type GraphJSON, toJSON } from "./json.js";
export { graphJsonSchema } from "./json-schema.js";
export { lint } from "./lint.js";
export * from "./ops/index.js";
export {
  cse,
  dce,
  type GraphStats,
  graphStats,
  isFullOf,
  maskPooledGradients,
  padSumsToConcat,
  rewriteGraph,
  topologicalSort,
} from "./passes.js";
export { printGraph } from "./printer.js";
export { bernoulliMask, randomBits, uniform24, uniform53, uniformSamples } from "./random.js";
export {
  checkSignature,
  defaultSignature,
  describeInputRole,
  describeOutputRole,
  type GraphSignature,
  type InputRole,
  type InputRoleKind,
  inputRoleKey,
  inputRoleKinds,
  isDefaultSignature,
  isForwardOutputRole,
  isPrimalRole,
  type OutputRole,
  type OutputRoleKind,
  outputRoleKinds,
  type PrimalRole,
  primalName,
  readInputRole,
  readOutputRole,
  tangentName,
} from "./signature.js";
export * from "./symbolic.js";
export * from "./symbolic-graph.js";
export { inferSymbolic, type SymbolicMeta } from "./symbolic-rules.js";
export * from "./tensor-data.js";
export { setWarningHandler, type WarningHandler, warnOnce } from "./warnings.js";

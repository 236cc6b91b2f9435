// @aotjs/conformance: a backend-agnostic conformance suite. See README.md.

export { CONV_CASES, type ConvCase, convOut, POOL_CASES, type PoolCase, poolOut } from "./cases.js";
export { checkGraphPerNode, type NodeMismatch } from "./per-node.js";
export {
  type CaseResult,
  type ConformanceCase,
  type ConformanceOptions,
  type ConformanceReport,
  checkCompiler,
  checkGraph,
  conformanceCases,
  type GraphCheckOptions,
  type OutputMismatch,
  runConformanceCase,
  singleOpGraph,
} from "./runner.js";
export { makeSamples, type OpSample, type SampleTable } from "./samples.js";
export {
  awayFromZero,
  bools,
  compareTensors,
  convert,
  distinct,
  f64,
  fromValues,
  halfGrid,
  indices,
  int64Scalar,
  integers,
  type Mismatch,
  positive,
  quarterGrid,
  type Rand,
  rng,
  uniform,
  withFloatDType,
} from "./support.js";

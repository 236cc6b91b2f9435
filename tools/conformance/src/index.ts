// @aotjs/conformance: a backend-agnostic conformance suite. See README.md.
// The sample table and its generators live in @aotjs/op-samples (shared with the autograd tests);
// they are re-exported here so a backend's tests need one import.

export * from "@aotjs/op-samples";
export { type BackendCheckOptions, checkBackend, UnsupportedByBackend } from "./backend.js";
export { compareTensors, type Mismatch, maxScaledDiff } from "./compare.js";
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
  summarize,
} from "./runner.js";

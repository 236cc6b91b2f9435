// Importing @aotjs/aot installs autograd (it runs compiled graphs inside the eager tape).
import "@aotjs/autograd";

// Activation checkpointing lives with the tape it thins out; re-exported beside aotFunction,
// whose partitioner honours its regions.
export { checkpoint } from "@aotjs/autograd";

// `decompositions` in the options is a table of these (from @aotjs/transforms, with decompose).
export { type Decomposition, type DecompositionTable, defaultDecompositions } from "@aotjs/transforms";
export * from "./aot-export.js";
export {
  type AotFunction,
  type AotOptions,
  type AotStats,
  aotFunction,
} from "./aot-function.js";
export { AotModule, aotModule, inputNameOf } from "./aot-module.js";
export {
  type AotOptimizer,
  type AotOptimizerOptions,
  type AotOptimizerStats,
  aotOptimizer,
} from "./aot-optimizer.js";
export type { TargetOptions } from "./backend.js";
export type { PartitionFn } from "./capture.js";
export { nop, printGraph } from "./compilers.js";
export { type DynamicMode, markDynamic } from "./dynamic.js";
export { AotError } from "./executable.js";
export type { FallbackNode, FallbackPiece, FallbackReport } from "./fallback.js";
export type { InputNames } from "./input-names.js";

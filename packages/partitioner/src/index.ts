// @aotjs/partitioner: split a joint forward+backward graph into a forward graph, a backward graph
// and the values the first hands the second.

// formatBytes lives in @aotjs/ir (the drawer uses it too); re-exported for report readers.
export { formatBytes } from "@aotjs/ir";
export { defaultPartition } from "./default-partition.js";
export {
  analyzeJoint,
  extractGraph,
  type JointAnalysis,
  PartitionError,
  type PartitionOptions,
  type PartitionResult,
} from "./joint.js";
export { FlowNetwork } from "./maxflow.js";
export {
  type BudgetProblem,
  budgetProblem,
  DEFAULT_FRONTIER_BUDGETS,
  type FrontierOptions,
  type FrontierPoint,
  type MemoryBudgetOptions,
  type MemoryBudgetResult,
  type MemoryPlanInfo,
  memoryBudgetPartition,
  paretoFrontier,
  partitionAtBudget,
} from "./memory-budget.js";
export { chooseSavedValues, type MinCutOptions, minCutRematerializationPartition } from "./min-cut.js";
export { estimatePeakMemory, type PeakMemory } from "./peak-memory.js";
export {
  defaultRecomputable,
  RECOMPUTABLE_CATEGORIES,
  type RecomputePolicy,
  recomputePredicate,
} from "./policy.js";
export {
  evaluatePlan,
  type Objective,
  type Plan,
  type RecomputeProblem,
  RecomputeSearchLimit,
  type SolveOptions,
  solveBudget,
  solveExact,
} from "./recompute-solver.js";
export { checkpointInner, checkpointInputs } from "./regions.js";
export {
  type GraphSummary,
  type PartitionReport,
  partitionReport,
  type SavedValueInfo,
} from "./report.js";

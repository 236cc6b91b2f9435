import {
  byteSize,
  catalog,
  cse,
  dce,
  estimateCost,
  type Graph,
  type MeasuredCosts,
  type Roofline,
  type Value,
} from "@aotjs/ir";
import {
  analyzeJoint,
  assemblePartition,
  type JointAnalysis,
  PartitionError,
  type PartitionResult,
} from "./joint.js";
import { chooseSavedValues, type MinCutOptions } from "./min-cut.js";
import { type RecomputePolicy, recomputePredicate } from "./policy.js";
import {
  evaluatePlan,
  type Plan,
  type RecomputeProblem,
  type SolveOptions,
  solveBudget,
  solveExact,
} from "./recompute-solver.js";
import { checkpointInner, inRegion } from "./regions.js";

export interface MemoryBudgetOptions extends MinCutOptions, SolveOptions {
  /**
   * From 1 (save what `minCutRematerializationPartition` saves) down to 0 (save the fewest bytes
   * any valid partition can): the saved activation bytes may be at most
   * `min + budget * (minCut - min)`. Default 1.
   */
  readonly budget?: number;
  /** Measured milliseconds per node or op (`measuredCosts` from a backend's profile). */
  readonly measured?: MeasuredCosts;
  /** The roofline that prices nodes the measured table does not cover. */
  readonly roofline?: Roofline;
  /**
   * Nodes never recomputed below budget 1 (op names or a predicate, as `recomputable`): the
   * backward receives them saved, as selective activation checkpointing's "must save". Inside a
   * `checkpoint()` region they are saved at every budget (min-cut honours them there too).
   */
  readonly mustSave?: RecomputePolicy;
  /** Nodes never saved below budget 1: the backward recomputes them wherever it needs them. */
  readonly preferRecompute?: RecomputePolicy;
}

/** What a budgeted partition costs, in the units the budget is in. */
export interface MemoryPlanInfo {
  readonly budget: number;
  /** The cap on saved bytes the budget came to. */
  readonly byteBudget: number;
  /** Saved activation bytes (graph inputs are in memory anyway and not counted). */
  readonly savedBytes: number;
  /** Estimated milliseconds of forward work the backward redoes. */
  readonly recomputeMs: number;
  /** The fewest saved bytes of any valid partition (budget 0). */
  readonly minBytes: number;
  /** What min-cut saves (budget 1). */
  readonly maxBytes: number;
  /** Forward nodes the backward recomputes. */
  readonly recomputed: readonly string[];
}

export interface MemoryBudgetResult extends PartitionResult {
  readonly memory: MemoryPlanInfo;
}

/** The saved-or-recompute problem of a joint graph, priced by `estimateCost`. */
export interface BudgetProblem {
  readonly analysis: JointAnalysis;
  readonly problem: RecomputeProblem;
  /** Min-cut's choice as a plan (budget 1). */
  readonly minCut: Plan;
  /** The fewest saved bytes any plan needs (budget 0's cap). */
  readonly minBytes: number;
}

/**
 * The problem the budget is solved on. Every forward value the forward outputs need may be
 * recomputed at its estimated time, except random ops (redrawing them would change the result);
 * forward-only work the forward outputs don't need costs nothing to move to the backward, where
 * the default partition runs it anyway. Scalar literals are never saved.
 */
export function budgetProblem(joint: Graph, options: MemoryBudgetOptions = {}): BudgetProblem {
  const graph = options.cse === false ? dce(joint) : cse(dce(joint));
  const a = analyzeJoint(graph, options);
  const cost = estimateCost(graph, { measured: options.measured, roofline: options.roofline });
  const { values, index, numInputs, users, tangentDependent, forwardRequired, isLiteral } = a;
  const n = values.length;
  const needed = new Uint8Array(n);
  const bytes = new Float64Array(n);
  const price = new Float64Array(n);
  const neverSave = new Uint8Array(n);
  const mustSave = options.mustSave === undefined ? () => false : recomputePredicate(options.mustSave);
  const preferRecompute =
    options.preferRecompute === undefined ? () => false : recomputePredicate(options.preferRecompute);
  const inputsOf = values.map((v) => [...new Set(v.producer?.inputs ?? [])].map((u) => index.get(u)!));
  for (const v of a.backwardOutputs) needed[index.get(v)!] = 1;
  for (let i = 0; i < n; i++) {
    if (tangentDependent[i]) continue;
    if (users[i]!.some((u) => tangentDependent[u])) needed[i] = 1;
    if (i < numInputs) continue;
    const node = values[i]!.producer!;
    bytes[i] = byteSize(node.meta);
    if (isLiteral[i]) {
      neverSave[i] = 1;
      price[i] = 0;
    } else if (catalog[node.op].category === "random" && !inRegion(a, i)) {
      // Outside checkpoint regions random ops are not redrawn, as in PyTorch; inside one they
      // are, from the same seed and offset inputs, so they draw the same numbers.
      price[i] = Number.POSITIVE_INFINITY;
    } else price[i] = forwardRequired[i] ? cost.byName.get(node.name)!.ms : 0;
  }
  const policyOf = (i: number) => {
    const node = values[i]!.producer!;
    const save = mustSave(node);
    const redo = preferRecompute(node);
    if (save && redo)
      throw new PartitionError(
        `memoryBudgetPartition '${graph.name}': node '${node.name}' (${node.op}) is both mustSave and preferRecompute`,
      );
    if (redo && price[i] === Number.POSITIVE_INFINITY)
      throw new PartitionError(
        `memoryBudgetPartition '${graph.name}': node '${node.name}' (${node.op}) is preferRecompute, but a random op is never recomputed`,
      );
    return save ? "save" : redo ? "recompute" : undefined;
  };
  const problem: RecomputeProblem = {
    numInputs,
    inputsOf,
    backward: tangentDependent,
    needed,
    bytes,
    cost: price,
    neverSave,
  };
  const { saved } = assemblePartition(a, chooseSavedValues(a, options));
  const mask = new Uint8Array(n);
  for (const v of saved) if (!v.isInput) mask[index.get(v)!] = 1;
  const minCut = evaluatePlan(problem, mask);
  if (!minCut)
    throw new PartitionError(
      `memoryBudgetPartition '${graph.name}': min-cut's saved set recomputes a value that may not be recomputed (a random op)`,
    );
  // Below budget 1 the backward recomputes what min-cut recomputes and more, never less: min-cut
  // is then the cheapest plan of all, so recompute time can only rise as the budget falls.
  for (const i of minCut.recomputed) neverSave[i] = 1;
  const inner = checkpointInner(a);
  for (let i = numInputs; i < n; i++) {
    if (tangentDependent[i] || isLiteral[i]) continue;
    const policy = policyOf(i);
    // A checkpoint region's inner values are recomputed at every budget, unless mustSave.
    if (inner[i] && policy !== "save") neverSave[i] = 1;
    if (policy === "save") {
      if (neverSave[i])
        throw new PartitionError(
          `memoryBudgetPartition '${graph.name}': node '${values[i]!.name}' is mustSave, but min-cut recomputes it (let min-cut's recomputable exclude it)`,
        );
      price[i] = Number.POSITIVE_INFINITY;
    } else if (policy === "recompute") neverSave[i] = 1;
  }
  const least = solveExact(problem, "bytes", Number.POSITIVE_INFINITY, options);
  if (!least) throw new PartitionError(`memoryBudgetPartition '${graph.name}': no valid partition`);
  return { analysis: a, problem, minCut, minBytes: least.bytes };
}

function checkBudget(budget: number): number {
  if (!(budget >= 0 && budget <= 1))
    throw new PartitionError(`memoryBudgetPartition: budget must be a number from 0 to 1, got ${budget}`);
  return budget;
}

/** The partition a plan stands for, with its costs. */
function realize(bp: BudgetProblem, plan: Plan, budget: number, byteBudget: number): MemoryBudgetResult {
  const a = bp.analysis;
  const savedValues: Value[] = [...a.forwardInputs, ...plan.saved.map((i) => a.values[i]!)];
  const { saved, ...graphs } = assemblePartition(a, savedValues);
  const memory: MemoryPlanInfo = {
    budget,
    byteBudget,
    savedBytes: plan.bytes,
    recomputeMs: plan.cost,
    minBytes: bp.minBytes,
    maxBytes: bp.minCut.bytes,
    recomputed: plan.recomputed.filter((i) => a.forwardRequired[i]).map((i) => a.values[i]!.name),
  };
  return { ...graphs, savedValues: saved, memory };
}

/**
 * Trade saved activation memory for recompute time, as PyTorch's `activation_memory_budget`, but
 * solved exactly over every valid partition rather than over a knapsack of independent items:
 * within the byte cap the budget sets, the recompute set with the least estimated time (a
 * recomputed value needs its own inputs saved or recomputed), and among those the fewest bytes.
 * Budget 1 is exactly min-cut's partition; below it the backward recomputes everything min-cut
 * recomputes and whatever else the optimum picks (matmuls and convolutions included).
 */
export function memoryBudgetPartition(joint: Graph, options: MemoryBudgetOptions = {}): MemoryBudgetResult {
  const budget = checkBudget(options.budget ?? 1);
  const bp = budgetProblem(joint, options);
  return partitionAtBudget(bp, budget, options);
}

/** `memoryBudgetPartition` on a problem already built (to sweep budgets without rebuilding it). */
export function partitionAtBudget(
  bp: BudgetProblem,
  budget: number,
  options: SolveOptions = {},
): MemoryBudgetResult {
  checkBudget(budget);
  const max = bp.minCut.bytes;
  if (budget === 1) return realize(bp, bp.minCut, 1, max);
  const cap = Math.floor(bp.minBytes + budget * (max - bp.minBytes));
  const plan = solveBudget(bp.problem, cap, options);
  if (!plan)
    throw new PartitionError(
      `memoryBudgetPartition '${bp.analysis.graph.name}': no partition saves at most ${cap} bytes`,
    );
  return realize(bp, plan, budget, cap);
}

/** One point of the trade-off: the exact optimum at one budget. */
export interface FrontierPoint {
  readonly budget: number;
  readonly savedBytes: number;
  readonly recomputeMs: number;
  readonly recomputed: readonly string[];
}

export interface FrontierOptions extends MemoryBudgetOptions {
  /** The budgets to solve at. Default 1, 0.9, ..., 0. */
  readonly budgets?: readonly number[];
}

/** The budgets `paretoFrontier` solves at when none are given: 1, 0.9, ..., 0. */
export const DEFAULT_FRONTIER_BUDGETS: readonly number[] = [
  1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0,
];

/**
 * The trade-off curve: saved bytes against estimated recompute time, one exact optimum per
 * budget, on one problem built once. Every point is Pareto-optimal among partitions that
 * recompute at least what min-cut does (the space `memoryBudgetPartition` searches).
 */
export function paretoFrontier(joint: Graph, options: FrontierOptions = {}): FrontierPoint[] {
  const bp = budgetProblem(joint, options);
  return (options.budgets ?? DEFAULT_FRONTIER_BUDGETS).map((budget) => {
    const { memory } = partitionAtBudget(bp, budget, options);
    return {
      budget,
      savedBytes: memory.savedBytes,
      recomputeMs: memory.recomputeMs,
      recomputed: memory.recomputed,
    };
  });
}

import { PartitionError } from "./joint.js";
import { FlowNetwork } from "./maxflow.js";

/**
 * What to save for the backward, as numbers: value `i` is a graph input (`i < numInputs`, always
 * available, free to save), a backward value (`backward[i]`: a tangent or computed from one), or a
 * forward value that the backward either receives (saved: `bytes[i]`) or recomputes (`cost[i]`,
 * `Infinity` when it may not be recomputed), which needs each of its inputs saved or recomputed
 * in turn. `needed` marks the forward values the backward reads directly.
 */
export interface RecomputeProblem {
  readonly numInputs: number;
  /** Distinct inputs of each value's producer (empty for graph inputs). */
  readonly inputsOf: readonly (readonly number[])[];
  readonly backward: Uint8Array;
  readonly needed: Uint8Array;
  readonly bytes: Float64Array;
  readonly cost: Float64Array;
  /** Values that are never saved (scalar literals: redone for free wherever needed). */
  readonly neverSave: Uint8Array;
}

/** A choice of saved values and what it implies: the values the backward recomputes. */
export interface Plan {
  /** Forward values (graph inputs excluded) the backward receives. */
  readonly saved: readonly number[];
  readonly recomputed: readonly number[];
  /** Saved bytes, inputs excluded. */
  readonly bytes: number;
  /** Summed recompute cost of `recomputed`. */
  readonly cost: number;
}

/**
 * The plan a saved set implies: the backward recomputes every needed value that is not saved,
 * then whatever those need, back to saved values and graph inputs. Undefined when that would
 * recompute a value that may not be recomputed.
 */
export function evaluatePlan(p: RecomputeProblem, savedMask: Uint8Array): Plan | undefined {
  const n = p.backward.length;
  const recomputed = new Uint8Array(n);
  const stack: number[] = [];
  for (let i = p.numInputs; i < n; i++) if (p.needed[i] && !savedMask[i]) stack.push(i);
  while (stack.length > 0) {
    const i = stack.pop()!;
    if (recomputed[i]) continue;
    if (p.cost[i] === Number.POSITIVE_INFINITY) return undefined;
    recomputed[i] = 1;
    for (const j of p.inputsOf[i]!) if (j >= p.numInputs && !savedMask[j] && !recomputed[j]) stack.push(j);
  }
  const saved: number[] = [];
  const recomputedList: number[] = [];
  let bytes = 0;
  let cost = 0;
  for (let i = p.numInputs; i < n; i++) {
    if (savedMask[i]) {
      saved.push(i);
      bytes += p.bytes[i]!;
    } else if (recomputed[i]) {
      recomputedList.push(i);
      cost += p.cost[i]!;
    }
  }
  return { saved, recomputed: recomputedList, bytes, cost };
}

/** Which quantity a solve minimises; the other is held under the cap. */
export type Objective = "cost" | "bytes";

const primaryOf = (plan: Plan, objective: Objective) => (objective === "cost" ? plan.cost : plan.bytes);
const secondaryOf = (plan: Plan, objective: Objective) => (objective === "cost" ? plan.bytes : plan.cost);

/**
 * The cheapest plan for `wCost * cost + wBytes * bytes` under the fixings (1: must save, -1: must
 * not save), as a minimum cut. Each forward value is an `in -> out` edge (cutting it saves the
 * value, at its weighted bytes) fed from the source by an edge of its weighted recompute cost (cut
 * when the value is on the sink side: recomputed); `out -> user.in` edges are uncuttable, so a
 * recomputed value's inputs are saved or recomputed too. Returns undefined when the fixings admit
 * no plan.
 */
function lagrangianPlan(
  p: RecomputeProblem,
  wCost: number,
  wBytes: number,
  fix: Int8Array,
): { plan: Plan; value: number } | undefined {
  const n = p.backward.length;
  const { order, slot } = relevantValues(p);
  const m = order.length;
  // Finite stand-in for "uncuttable": more than every finite capacity together, so a cut worth
  // this much means no valid plan exists.
  let big = 1;
  for (const i of order) {
    if (Number.isFinite(p.cost[i]!)) big += wCost * p.cost[i]!;
    big += wBytes * p.bytes[i]!;
  }
  const source = 2 * m;
  const sink = 2 * m + 1;
  const net = new FlowNetwork(2 * m + 2);
  for (let k = 0; k < m; k++) {
    const i = order[k]!;
    const isInput = i < p.numInputs;
    const recompute = isInput || fix[i] === 1 || !Number.isFinite(p.cost[i]!) ? big : wCost * p.cost[i]!;
    const save = isInput ? 0 : p.neverSave[i] || fix[i] === -1 ? big : wBytes * p.bytes[i]!;
    net.addEdge(source, 2 * k, recompute);
    net.addEdge(2 * k, 2 * k + 1, save);
    // Backward work reads it (the backward values themselves are left out of the network).
    if (p.needed[i] || fix[i] === 1) net.addEdge(2 * k + 1, sink, big);
    for (const j of p.inputsOf[i]!) net.addEdge(2 * slot[j]! + 1, 2 * k, big);
  }
  const value = net.maxFlow(source, sink);
  if (value >= big) return undefined;
  const reach = net.reachable();
  const mask = new Uint8Array(n);
  for (let k = 0; k < m; k++) {
    const i = order[k]!;
    if (i >= p.numInputs && reach[2 * k] && !reach[2 * k + 1]) mask[i] = 1;
  }
  const plan = evaluatePlan(p, mask);
  return plan && { plan, value };
}

const relevantCache = new WeakMap<RecomputeProblem, { order: number[]; slot: Int32Array }>();

/**
 * The forward values a plan can involve: those the backward needs and their ancestors, in graph
 * order, and each one's position in that list. Nothing else can be saved usefully or recomputed.
 */
function relevantValues(p: RecomputeProblem): { order: number[]; slot: Int32Array } {
  const cached = relevantCache.get(p);
  if (cached) return cached;
  const n = p.backward.length;
  const mark = new Uint8Array(n);
  const stack: number[] = [];
  for (let i = 0; i < n; i++) if (p.needed[i] && !p.backward[i]) stack.push(i);
  while (stack.length > 0) {
    const i = stack.pop()!;
    if (mark[i]) continue;
    mark[i] = 1;
    for (const j of p.inputsOf[i]!) if (!mark[j]) stack.push(j);
  }
  const order: number[] = [];
  const slot = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    if (!mark[i]) continue;
    slot[i] = order.length;
    order.push(i);
  }
  const result = { order, slot };
  relevantCache.set(p, result);
  return result;
}

interface Bound {
  readonly lower: number;
  /** Best plan under the cap seen while bounding, if any. */
  readonly feasible?: Plan;
  /** Plans either side of the bound's multiplier, to branch on where they differ. */
  readonly over?: Plan;
}

/**
 * The Lagrangian lower bound `max over λ of min (primary + λ (secondary - cap))` under the fixings,
 * found by the Eisner-Severance walk over the envelope's breakpoints: each step solves at the
 * multiplier where the lines of the two current plans cross.
 */
function bound(p: RecomputeProblem, objective: Objective, cap: number, fix: Int8Array): Bound | undefined {
  const solve = (wPrimary: number, wSecondary: number) =>
    objective === "cost"
      ? lagrangianPlan(p, wPrimary, wSecondary, fix)
      : lagrangianPlan(p, wSecondary, wPrimary, fix);
  const lo = solve(1, 0);
  if (!lo) return undefined;
  const sec = (plan: Plan) => secondaryOf(plan, objective);
  const pri = (plan: Plan) => primaryOf(plan, objective);
  if (sec(lo.plan) <= cap) return { lower: lo.value, feasible: lo.plan };
  const hi = solve(0, 1);
  if (!hi || sec(hi.plan) > cap) return undefined;
  let over = lo.plan;
  let under = hi.plan;
  let lower = lo.value;
  for (let step = 0; step < 100; step++) {
    const slope = sec(over) - sec(under);
    if (!(slope > 0)) break;
    const lambda = (pri(under) - pri(over)) / slope;
    if (!(lambda > 0)) break;
    const at = solve(1, lambda);
    if (!at) break;
    lower = Math.max(lower, at.value - lambda * cap);
    const crossing = pri(over) + lambda * sec(over);
    if (at.value >= crossing - 1e-9 * Math.max(1, Math.abs(crossing))) break;
    if (sec(at.plan) <= cap) {
      if (pri(at.plan) < pri(under)) under = at.plan;
      else break;
    } else if (sec(at.plan) < sec(over)) over = at.plan;
    else break;
  }
  return { lower, feasible: under, over };
}

/** Limits of the exact recompute-set solver. */
export interface SolveOptions {
  /** Branch-and-bound nodes before giving up (a `RecomputeSearchLimit` error). Default 20000. */
  readonly maxNodes?: number;
}

/** The search was cut off before it proved a plan optimal. */
export class RecomputeSearchLimit extends PartitionError {
  override name = "RecomputeSearchLimit";
}

/**
 * The plan with the least `objective` whose other quantity is at most `cap`, solved exactly by
 * branch and bound on the Lagrangian bound: a node fixes some values saved or not saved; it is
 * pruned when its bound can't beat the best plan found; otherwise it branches on the largest value
 * the two plans around its multiplier disagree about. Undefined when no plan fits the cap.
 */
export function solveExact(
  p: RecomputeProblem,
  objective: Objective,
  cap: number,
  options: SolveOptions = {},
): Plan | undefined {
  const maxNodes = options.maxNodes ?? 20000;
  const n = p.backward.length;
  let best: Plan | undefined;
  const better = (plan: Plan) =>
    !best ||
    primaryOf(plan, objective) < primaryOf(best, objective) - tolerance(best) ||
    (primaryOf(plan, objective) <= primaryOf(best, objective) + tolerance(best) &&
      secondaryOf(plan, objective) < secondaryOf(best, objective));
  // Bytes are whole numbers, so a bound must beat the best by a whole byte to matter.
  const tolerance = (plan: Plan) =>
    objective === "bytes" ? 1 - 1e-6 : 1e-9 * Math.max(1, Math.abs(primaryOf(plan, objective)));
  const open: { fix: Int8Array; b: Bound }[] = [];
  const push = (fix: Int8Array) => {
    const b = bound(p, objective, cap, fix);
    if (!b) return;
    if (b.feasible && better(b.feasible)) best = b.feasible;
    if (best && b.lower >= primaryOf(best, objective) - tolerance(best)) return;
    open.push({ fix, b });
  };
  push(new Int8Array(n));
  let nodes = 1;
  while (open.length > 0) {
    // Best first: the open node with the lowest bound.
    let k = 0;
    for (let i = 1; i < open.length; i++) if (open[i]!.b.lower < open[k]!.b.lower) k = i;
    const { fix, b } = open.splice(k, 1)[0]!;
    if (best && b.lower >= primaryOf(best, objective) - tolerance(best)) continue;
    const over = b.over;
    const under = b.feasible;
    if (!over || !under) continue;
    const inOver = new Uint8Array(n);
    for (const i of over.saved) inOver[i] = 1;
    const inUnder = new Uint8Array(n);
    for (const i of under.saved) inUnder[i] = 1;
    let pick = -1;
    for (let i = p.numInputs; i < n; i++) {
      if (fix[i] !== 0 || inOver[i] === inUnder[i]) continue;
      if (pick < 0 || p.bytes[i]! > p.bytes[pick]!) pick = i;
    }
    if (pick < 0) continue;
    nodes += 2;
    if (nodes > maxNodes)
      throw new RecomputeSearchLimit(`no optimal plan proved within ${maxNodes} branch-and-bound nodes`);
    for (const value of [1, -1] as const) {
      const child = fix.slice();
      child[pick] = value;
      push(child);
    }
  }
  return best;
}

/**
 * The least recompute cost within `byteCap` saved bytes, and among plans of that cost the fewest
 * bytes: two exact solves (the second minimises bytes with the cost held at the first's optimum).
 */
export function solveBudget(
  p: RecomputeProblem,
  byteCap: number,
  options: SolveOptions = {},
): Plan | undefined {
  const first = solveExact(p, "cost", byteCap, options);
  if (!first) return undefined;
  const second = solveExact(p, "bytes", first.cost * (1 + 1e-9) + 1e-12, options);
  return second && second.bytes <= first.bytes ? second : first;
}

import { noGrad } from "@aotjs/autograd";
import {
  cse,
  dce,
  type Graph,
  MARKER_SETS,
  maskPooledGradients,
  type OpName,
  type PrimalRole,
  padSumsToConcat,
  type SymbolInfo,
  type SymbolicShapes,
  symbolize,
  type TensorData,
  type TensorMeta,
  withSymbolic,
} from "@aotjs/ir";
import type { PartitionOptions, PartitionResult } from "@aotjs/partitioner";
import { Tensor, withSizeBounds } from "@aotjs/tensor";
import { flatten, type RngInputs, type TreeSpec, trace } from "@aotjs/tracer";
import { type DecompositionTable, decompose, type JointGraphInfo, jointGraphInfo } from "@aotjs/transforms";
import { AotError } from "./executable.js";

/** Splits a joint graph by its signature; `options.numForwardOutputs` is given, for checking. */
export type PartitionFn = (joint: Graph, options: PartitionOptions) => PartitionResult;

export interface CaptureOptions {
  /** Graph input names of the leaves (for people). */
  readonly names: readonly string[];
  /** What each leaf is: a user input (by flattened position), a parameter or a buffer. */
  readonly roles: readonly PrimalRole[];
  readonly supported: ReadonlySet<OpName>;
  readonly decompositions?: DecompositionTable;
  readonly partitionFn: PartitionFn;
  /** Who is capturing, for errors: `aotFunction`, `aotExport`. */
  readonly who: string;
  /** Capture with these dims symbolic (see `SymbolicPlan`); static when absent. */
  readonly symbolic?: SymbolicPlan;
}

/**
 * Which dims of which leaves a capture makes symbolic: `dims[leaf][dim]` names the symbol, or is
 * undefined for a static dim. Each symbol's hint is the size this call has.
 */
export interface SymbolicPlan {
  readonly symbols: readonly SymbolInfo[];
  readonly dims: readonly (readonly (string | undefined)[])[];
}

/** What one capture learned, all of it synchronously: the graphs and everything a call needs. */
export interface Captured {
  /** The inference graph, or the forward graph of the partition. */
  readonly forward: Graph;
  /** Absent for an inference capture. */
  readonly backward?: Graph;
  /** The simplified joint graph the partition was cut from. */
  readonly joint?: Graph;
  /** Structure of the function's result: its leaves are the forward's user outputs. */
  readonly outputSpec: TreeSpec;
  /** Values of the forward's `constant` inputs, by index. */
  readonly constants: readonly { readonly name: string; readonly value: TensorData }[];
  /** The random counters one call consumes, when the function draws random numbers. */
  readonly rng?: RngInputs;
  /** The roles and `requiresGrad` of the leaves the capture ran on. */
  readonly leafRoles: readonly PrimalRole[];
  readonly leafRequiresGrad: readonly boolean[];
  /**
   * For each primal that requires grad, in order (the joint's gradient outputs): whether backprop
   * from the outputs reaches it (see `JointGraphInfo.gradUsed`).
   */
  readonly gradUsed: readonly boolean[];
}

/**
 * The capture pipeline shared by `aotFunction`, `aotModule` and `aotExport`: trace (functionalized,
 * RNG as inputs) -> joint graph when gradients are needed -> decompose to the supported ops ->
 * DCE/CSE -> partition. `fn` takes the leaves and returns a pytree. Everything here is synchronous:
 * a caller learns what a call consumes and updates before any compiler runs.
 */
export function capture(
  fn: (...leaves: Tensor[]) => unknown,
  leaves: readonly Tensor[],
  needsGrad: boolean,
  o: CaptureOptions,
): Captured {
  let result: unknown;
  let outputSpec: TreeSpec | undefined;
  const flatFn = (...xs: Tensor[]): Tensor[] => {
    result = fn(...xs);
    if (result instanceof Promise) {
      result.catch(() => {}); // refused, not awaited: keep its rejection from going unhandled
      throw new AotError(
        `${o.who}: the function returned a Promise; traced functions must be synchronous (tensor ops are; await outside the compiled function)`,
      );
    }
    const out = flatten(result);
    outputSpec = out.spec;
    return out.leaves;
  };
  const simplify = (g: Graph) =>
    cse(maskPooledGradients(padSumsToConcat(dce(decompose(g, o.supported, o.decompositions)))));
  const leafRequiresGrad = leaves.map((t) => t.requiresGrad);
  const common = { leafRoles: o.roles, leafRequiresGrad };
  const plan = o.symbolic;
  // A symbolic capture traces twice, at each set of marker sizes, and reads the symbols back.
  const markerSets = plan
    ? MARKER_SETS.map((set) => new Map(plan.symbols.map((sym, i) => [sym.name, set[i]!])))
    : [];
  const metasAt = (markers?: ReadonlyMap<string, number>): TensorMeta[] =>
    leaves.map((t, leaf) => ({
      dtype: t.dtype,
      shape: t.shape.map((n, dim) => {
        const name = plan?.dims[leaf]?.[dim];
        return name === undefined || !markers ? n : markers.get(name)!;
      }),
    }));
  // A bound the function puts on a symbol's size (`sizeAtMost`) becomes that symbol's guard: at
  // a marker the bound holds if it holds at the hint, so the function fails as it would eagerly.
  const bounds = new Map<string, number>();
  const boundAt = (markers: ReadonlyMap<string, number>) => {
    const symbolOf = new Map([...markers].map(([name, n]) => [n, name]));
    const hint = new Map(plan!.symbols.map((s) => [s.name, s.hint]));
    return (size: number, max: number) => {
      const name = symbolOf.get(size);
      if (name === undefined) return undefined;
      bounds.set(name, Math.min(max, bounds.get(name) ?? max));
      return hint.get(name)! <= max;
    };
  };
  const twice = <T>(traceAt: (metas: TensorMeta[]) => T): T[] =>
    plan
      ? markerSets.map((m) => withSizeBounds(boundAt(m), () => traceAt(metasAt(m))))
      : [traceAt(metasAt())];
  const readSymbols = (graphs: Graph[]): Graph =>
    plan
      ? symbolize(
          [graphs[0]!, graphs[1]!],
          [markerSets[0]!, markerSets[1]!],
          plan.symbols.map((s) => (bounds.has(s.name) ? { ...s, max: bounds.get(s.name)! } : s)),
        )
      : graphs[0]!;
  if (!needsGrad) {
    const traces = twice((metas) => {
      const traced = noGrad(() =>
        trace(
          flatFn,
          metas.map((m) => Tensor.fake(m)),
          { name: "inference", inputNames: o.names, inputRoles: o.roles, functionalizeRng: true },
        ),
      );
      requireOutputs(traced.graph.outputs.length, result, o.who);
      return { traced, graph: simplify(traced.graph) };
    });
    const { traced } = traces[0]!;
    if (plan && traced.rng) refuseRandom(o.who);
    return {
      forward: readSymbols(traces.map((t) => t.graph)),
      outputSpec: outputSpec!,
      constants: traced.constants,
      ...(traced.rng ? { rng: traced.rng } : {}),
      ...common,
      gradUsed: [],
    };
  }
  const traces = twice((metas) => {
    const info: JointGraphInfo = jointGraphInfo(flatFn, plan ? metas : leaves, leafRequiresGrad, {
      name: "joint",
      primalNames: o.names,
      primalRoles: o.roles,
      functionalizeRng: true,
    });
    requireOutputs(info.numForwardOutputs, result, o.who);
    return { info, graph: simplify(info.graph) };
  });
  const { info } = traces[0]!;
  if (plan && info.rng) refuseRandom(o.who);
  // The partition runs on the joint at the hints, so its byte weights are the first-seen sizes.
  const joint = readSymbols(traces.map((t) => t.graph));
  const parts = o.partitionFn(joint, { numForwardOutputs: info.numForwardOutputs });
  return {
    forward: joint.symbolic ? inheritSymbolic(parts.forward, joint.symbolic) : parts.forward,
    backward: joint.symbolic ? inheritSymbolic(parts.backward, joint.symbolic) : parts.backward,
    joint,
    outputSpec: outputSpec!,
    constants: info.constants,
    ...(info.rng ? { rng: info.rng } : {}),
    ...common,
    gradUsed: info.gradUsed,
  };
}

/**
 * A partition's graph with the joint's symbolic dims and attributes, by value and node name (the
 * partitioners keep the joint's names); `withSymbolic` checks every entry against the graph.
 */
function inheritSymbolic(graph: Graph, joint: SymbolicShapes): Graph {
  const pick = <T>(table: Readonly<Record<string, T>>, names: ReadonlySet<string>) =>
    Object.fromEntries(Object.entries(table).filter(([name]) => names.has(name)));
  // A node of the joint may be an input here (a saved value): its attributes stay behind.
  return withSymbolic(graph, {
    symbols: joint.symbols,
    shapes: pick(joint.shapes, new Set(graph.values.map((v) => v.name))),
    attrs: pick(joint.attrs, new Set(graph.nodes.map((n) => n.name))),
  });
}

/** Random ops consume counters by element count, which a symbolic size would make symbolic too. */
function refuseRandom(who: string): never {
  throw new AotError(`${who}: a function that draws random numbers compiles with static shapes only`);
}

/** What a function returned, for an error: `the number 3`, `an object {a, b} holding no tensor`. */
function describeResult(r: unknown): string {
  if (r === undefined || r === null) return String(r);
  if (Array.isArray(r)) {
    if (r.length === 0) return "an empty array";
    return `an array of ${r.length} value${r.length === 1 ? "" : "s"}, none a tensor`;
  }
  if (typeof r === "object") {
    const keys = Object.keys(r);
    if (!keys.length) return "an empty object";
    return `an object {${keys.slice(0, 6).join(", ")}${keys.length > 6 ? ", ..." : ""}} holding no tensor`;
  }
  const shown =
    typeof r === "string" ? JSON.stringify(r.length > 40 ? `${r.slice(0, 40)}...` : r) : String(r);
  return `the ${typeof r} ${shown}`;
}

/**
 * Refuse, at trace time, a function whose forward graph has no outputs: it returned no tensor and
 * updated no input in place. There is nothing to run, and some runtimes (ORT) refuse to load a
 * graph without outputs, long after the mistake.
 */
function requireOutputs(numForwardOutputs: number, result: unknown, who: string): void {
  if (numForwardOutputs > 0) return;
  throw new AotError(
    `${who}: the function returned ${describeResult(result)} and updated no input in place; ` +
      "a compiled function must return at least one tensor",
  );
}

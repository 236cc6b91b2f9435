import { noGrad } from "@aotjs/autograd";
import { cse, dce, type Graph, type OpName, type PrimalRole, type TensorData } from "@aotjs/ir";
import type { PartitionOptions, PartitionResult } from "@aotjs/partitioner";
import { Tensor } from "@aotjs/tensor";
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
  const simplify = (g: Graph) => cse(dce(decompose(g, o.supported, o.decompositions)));
  const leafRequiresGrad = leaves.map((t) => t.requiresGrad);
  const common = { leafRoles: o.roles, leafRequiresGrad };
  if (!needsGrad) {
    const traced = noGrad(() =>
      trace(
        flatFn,
        leaves.map((t) => Tensor.fake(t.meta)),
        { name: "inference", inputNames: o.names, inputRoles: o.roles, functionalizeRng: true },
      ),
    );
    requireOutputs(traced.graph.outputs.length, result, o.who);
    return {
      forward: simplify(traced.graph),
      outputSpec: outputSpec!,
      constants: traced.constants,
      ...(traced.rng ? { rng: traced.rng } : {}),
      ...common,
      gradUsed: [],
    };
  }
  const info: JointGraphInfo = jointGraphInfo(flatFn, leaves, leafRequiresGrad, {
    name: "joint",
    primalNames: o.names,
    primalRoles: o.roles,
    functionalizeRng: true,
  });
  requireOutputs(info.numForwardOutputs, result, o.who);
  const joint = simplify(info.graph);
  const parts = o.partitionFn(joint, { numForwardOutputs: info.numForwardOutputs });
  return {
    forward: parts.forward,
    backward: parts.backward,
    joint,
    outputSpec: outputSpec!,
    constants: info.constants,
    ...(info.rng ? { rng: info.rng } : {}),
    ...common,
    gradUsed: info.gradUsed,
  };
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

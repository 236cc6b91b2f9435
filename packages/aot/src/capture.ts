import { noGrad } from "@aotjs/autograd";
import { cse, dce, type Graph, type OpName } from "@aotjs/ir";
import type { PartitionOptions, PartitionResult } from "@aotjs/partitioner";
import { Tensor } from "@aotjs/tensor";
import { type TraceResult, trace } from "@aotjs/tracer";
import { type DecompositionTable, decompose, type JointGraphInfo, jointGraphInfo } from "@aotjs/transforms";
import { AotError } from "./executable.js";

/** Splits a joint graph by its signature; `options.numForwardOutputs` is given, for checking. */
export type PartitionFn = (joint: Graph, options: PartitionOptions) => PartitionResult;

export interface CaptureOptions {
  readonly names: readonly string[];
  readonly supported: ReadonlySet<OpName>;
  readonly decompositions?: DecompositionTable;
  readonly partitionFn: PartitionFn;
}

export type Captured =
  | { readonly kind: "inference"; readonly graph: Graph; readonly traced: TraceResult }
  | {
      readonly kind: "training";
      readonly info: JointGraphInfo;
      readonly joint: Graph;
      readonly parts: PartitionResult;
    };

/**
 * The capture pipeline shared by `aotFunction` and `aotExport`: trace (functionalized, RNG as
 * inputs) -> joint graph when gradients are needed -> decompose to the supported ops -> DCE/CSE
 * -> partition. Everything here is synchronous.
 */
export function capture(
  flatFn: (...xs: Tensor[]) => Tensor[],
  leaves: readonly Tensor[],
  needsGrad: boolean,
  o: CaptureOptions,
): Captured {
  const simplify = (g: Graph) => cse(dce(decompose(g, o.supported, o.decompositions)));
  if (!needsGrad) {
    const traced = noGrad(() =>
      trace(
        flatFn,
        leaves.map((t) => Tensor.fake(t.meta)),
        { name: "inference", inputNames: o.names, functionalizeRng: true },
      ),
    );
    return { kind: "inference", graph: simplify(traced.graph), traced };
  }
  const info = jointGraphInfo(
    flatFn,
    leaves,
    leaves.map((t) => t.requiresGrad),
    { name: "joint", primalNames: o.names, functionalizeRng: true },
  );
  const joint = simplify(info.graph);
  const parts = o.partitionFn(joint, { numForwardOutputs: info.numForwardOutputs });
  return { kind: "training", info, joint, parts };
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
export function requireOutputs(captured: Captured, result: unknown, who: string): void {
  const outputs =
    captured.kind === "inference" ? captured.graph.outputs.length : captured.info.numForwardOutputs;
  if (outputs > 0) return;
  throw new AotError(
    `${who}: the function returned ${describeResult(result)} and updated no input in place; ` +
      "a compiled function must return at least one tensor",
  );
}

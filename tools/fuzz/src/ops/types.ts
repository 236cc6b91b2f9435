import type { Tensor } from "@aotjs/tensor";
import type { Attrs, InputSpec, Meta, VDType } from "../program.js";
import type { Rng } from "../rng.js";

/** What an op needs to run: the float dtype "float" stands for in this run. */
export interface RunContext {
  readonly float: "float32" | "float64";
}

/** A value the generator has made so far, with its float64 eager value (for domain checks). */
export interface GenValue {
  readonly ref: number;
  readonly meta: Meta;
  readonly value: Tensor;
  /** True when an input that requires grad reaches it (a differentiable path). */
  readonly requiresGrad: boolean;
  /** The input spec when this value is an input node. */
  readonly input?: InputSpec;
}

export interface GenContext {
  readonly rng: Rng;
  readonly values: readonly GenValue[];
  /** An existing value that `accept`s, preferring recent ones (deeper programs); or undefined. */
  pick(accept: (v: GenValue) => boolean): GenValue | undefined;
  /** Adds an input node (rolled back if the proposal is rejected) and returns its value. */
  newInput(shape: readonly number[], dtype: VDType, kind?: "normal" | "positive"): GenValue;
  /** A random shape for a new input: ranks 0-4, many size-1 dims, now and then an empty one. */
  randomShape(): number[];
  /** A shape that broadcasts against `shape` (size-1 dims, fewer or more leading dims). */
  broadcastableShape(shape: readonly number[]): number[];
}

export interface Proposal {
  readonly args: readonly number[];
  readonly attrs: Attrs;
}

/**
 * One op the fuzzer knows: how to propose it, its PyTorch shape/dtype rule, how to run it on the
 * public Tensor API, where its values must stay away from (kinks, poles, ties), and how to list it.
 * Adding an op is adding one of these to the table in `ops/index.ts`.
 */
export interface OpDef {
  /** Relative frequency in generated programs. */
  readonly weight: number;
  /** Proposes this op over the values so far; undefined when nothing fits. */
  gen(g: GenContext): Proposal | undefined;
  /** The result's meta under PyTorch's rules, or why these arguments are invalid. */
  infer(args: readonly Meta[], attrs: Attrs): Meta | string;
  /** Runs the op on eager tensors. */
  apply(args: readonly Tensor[], attrs: Attrs, ctx: RunContext): Tensor;
  /**
   * Given the float64 values of the arguments, why they are too close to a point where the op's
   * value or gradient jumps (so float32 rounding could legitimately flip the result); or
   * undefined when they are fine.
   */
  domain?(args: readonly Tensor[], attrs: Attrs): string | undefined;
  /** May the result hold NaN (mean over zero elements)? Nothing else may produce or consume NaN. */
  readonly mayBeNaN?: (args: readonly Meta[], attrs: Attrs) => boolean;
  /** The TypeScript expression, given the argument names. */
  list(args: readonly string[], attrs: Attrs): string;
}

/** Types a group of ops as OpDefs while keeping their names as the group's keys. */
export const defineOps = <K extends string>(ops: Record<K, OpDef>): Record<K, OpDef> => ops;

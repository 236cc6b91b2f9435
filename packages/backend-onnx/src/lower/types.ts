import type { Node, OpName } from "@aotjs/ir";
import type { LoweringContext } from "../context.js";

/**
 * Lowers one IR node: gets the ONNX names of its inputs and returns the name of the value holding
 * its result (ideally `ctx.out`, the node's own name; the driver adds an Identity otherwise).
 */
export type Lowering<K extends OpName> = (
  ctx: LoweringContext,
  node: Node<K>,
  inputs: readonly string[],
) => string;

/** A slice of the lowering table; `lower/index.ts` joins the slices and checks that none is missing. */
export type LoweringsFor<K extends OpName> = { readonly [P in K]: Lowering<P> };

/** ONNX's name for an IR dtype in `Cast`'s `to` attribute. */
export const CAST_TO = {
  float32: 1,
  float64: 11,
  int32: 6,
  int64: 7,
  bool: 9,
  uint32: 12,
  uint64: 13,
} as const;

export const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

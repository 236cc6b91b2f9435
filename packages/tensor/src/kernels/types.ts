import type { OpAttrs, OpName, TensorData, TensorMeta } from "@aotjs/ir";

/**
 * A reference kernel: the semantics every backend must match. It gets the inputs (already checked
 * against the op's shape rule), the normalized attributes and the result meta the rule computed,
 * and returns a fresh TensorData of exactly that meta. Kernels never mutate their inputs.
 */
export type Kernel<K extends OpName> = (
  inputs: readonly TensorData[],
  attrs: OpAttrs<K>,
  out: TensorMeta,
) => TensorData;

/** A slice of the kernel table; `kernels/index.ts` joins the slices and checks nothing is missing. */
export type KernelsFor<K extends OpName> = { readonly [P in K]: Kernel<P> };

import type { OpAttrs, OpName } from "@aotjs/ir";
import type { Tensor } from "@aotjs/tensor";

/** What a derivative rule sees: the op's inputs, attributes, output, and which inputs need grad. */
export interface RuleContext<K extends OpName> {
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  readonly attrs: OpAttrs<K>;
  /** Whether each input needs a gradient: rules skip the work for the others. */
  readonly needsGrad: readonly boolean[];
}

/**
 * A derivative rule: the gradient of each input given the gradient of the output, written once
 * against the Tensor API so the same rule runs eagerly and, under the tracer, emits backward nodes.
 * `null` means "no gradient" (zero, or an input that needs none).
 */
export type DerivativeRule<K extends OpName> = (
  grad: Tensor,
  ctx: RuleContext<K>,
) => readonly (Tensor | null)[];

/** The entry for ops with no derivative: comparisons, argmax, creation and random ops. */
export const notDifferentiable = "notDifferentiable" as const;

/** A derivative-table entry: the op's rule, or `notDifferentiable`. */
export type RuleEntry<K extends OpName> = DerivativeRule<K> | typeof notDifferentiable;
export type RulesFor<K extends OpName> = { readonly [P in K]: RuleEntry<P> };

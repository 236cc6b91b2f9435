import type { OpName } from "@aotjs/ir";
import { compositeRules } from "./composite.js";
import { computeRules } from "./compute.js";
import { pointwiseRules } from "./pointwise.js";
import { structuralRules } from "./structural.js";
import type { RuleEntry } from "./types.js";

/** One derivative rule per op in the catalog; a missing one is a compile error here. */
export const derivativeRules: { readonly [K in OpName]: RuleEntry<K> } = {
  ...pointwiseRules,
  ...structuralRules,
  ...computeRules,
  ...compositeRules,
};

export { sumToShape } from "./helpers.js";
export { type DerivativeRule, notDifferentiable, type RuleContext, type RuleEntry } from "./types.js";

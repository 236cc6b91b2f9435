import type { OpName } from "@aotjs/ir";
import { compositeLowerings } from "./composite.js";
import { computeLowerings } from "./compute.js";
import { creationLowerings } from "./creation.js";
import { layoutLowerings } from "./layout.js";
import { binaryLowerings, unaryLowerings } from "./pointwise.js";
import { poolLowerings } from "./pool.js";
import { reductionLowerings } from "./reduction.js";
import type { Lowering } from "./types.js";

/**
 * One ONNX lowering per catalog op. The mapped type makes this exhaustive: an op added to the IR
 * catalog is a compile error here until it has a lowering.
 */
export const lowerings: { readonly [K in OpName]: Lowering<K> } = {
  ...unaryLowerings,
  ...binaryLowerings,
  ...reductionLowerings,
  ...layoutLowerings,
  ...computeLowerings,
  ...poolLowerings,
  ...creationLowerings,
  ...compositeLowerings,
};

export { MIN_OPSET_FOR_RANDOM } from "./creation.js";
export type { Lowering, LoweringsFor } from "./types.js";

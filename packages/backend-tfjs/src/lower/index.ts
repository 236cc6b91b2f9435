import type { OpName } from "@aotjs/ir";
import { compositeLowerings } from "./composite.js";
import { convLowerings } from "./conv.js";
import { creationLowerings } from "./creation.js";
import { layoutLowerings } from "./layout.js";
import { matmulKernel } from "./matmul.js";
import { pointwiseLowerings } from "./pointwise.js";
import { poolLowerings } from "./pool.js";
import { reductionLowerings } from "./reduction.js";
import type { LoweringsFor } from "./types.js";

/**
 * One lowering per catalog op. The type is a mapped type over `OpName`, so an op added to the IR
 * without a lowering here is a compile error. (The executable may replace a matmul's lowering by a
 * fused one; this entry is the plain case.)
 */
export const lowerings: LoweringsFor<OpName> = {
  ...pointwiseLowerings,
  ...reductionLowerings,
  ...layoutLowerings,
  ...convLowerings,
  ...poolLowerings,
  ...creationLowerings,
  ...compositeLowerings,
  matmul: (ctx) =>
    matmulKernel(ctx, {
      transposeA: false,
      transposeB: false,
      aShape: ctx.inputs[0]!.shape,
      bShape: ctx.inputs[1]!.shape,
    }),
};

export type {
  BackendTraits,
  HostKernel,
  Kernel,
  KernelFn,
  LowerContext,
  Lowering,
  LoweringsFor,
} from "./types.js";

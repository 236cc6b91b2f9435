import type { OpName } from "@aotjs/ir";
import { compositeKernels } from "./composite.js";
import { convKernels } from "./conv.js";
import { creationKernels } from "./creation.js";
import { layoutKernels } from "./layout.js";
import { matmulKernels } from "./matmul.js";
import { pointwiseKernels } from "./pointwise.js";
import { poolKernels } from "./pool.js";
import { reductionKernels } from "./reduction.js";
import type { Kernel } from "./types.js";

/** One reference kernel per op in the catalog; a missing one is a compile error here. */
export const kernels: { readonly [K in OpName]: Kernel<K> } = {
  ...pointwiseKernels,
  ...reductionKernels,
  ...layoutKernels,
  ...matmulKernels,
  ...convKernels,
  ...poolKernels,
  ...creationKernels,
  ...compositeKernels,
};

export type { Kernel, KernelsFor } from "./types.js";

import { type BinaryOp, binaryKernels } from "./pointwise-binary.js";
import { type UnaryOp, unaryKernels } from "./pointwise-unary.js";
import type { KernelsFor } from "./types.js";

/** Every pointwise op: the unary ops and cast, then the broadcasting binary ops and where. */
export const pointwiseKernels: KernelsFor<UnaryOp | BinaryOp> = { ...unaryKernels, ...binaryKernels };

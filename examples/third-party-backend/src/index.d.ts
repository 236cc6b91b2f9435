import type { AotjsError, Backend } from "@aotjs/ir";

/** Errors this backend raises, under aotjs's common base class. */
export declare class PointwiseBackendError extends AotjsError {}

/** Pointwise float32/bool ops in plain JavaScript; aotjs runs every other op on the reference. */
export declare const pointwiseBackend: Backend;

import type { Node, OpAttrs, OpName, TensorMeta } from "@aotjs/ir";
import type * as tf from "@tensorflow/tfjs-core";

/** What a lowering may ask about the TF.js backend it compiles for. */
export interface BackendTraits {
  readonly name: string;
  /**
   * True when matMul's transpose flags cost nothing extra. On wasm they leave XNNPACK's fast path
   * (measured 10-20x slower than transposing explicitly), so permutes stay separate there.
   */
  readonly fastTransposedMatMul: boolean;
}

/** Everything a lowering sees at compile time: the node, its input metas and the backend. */
export interface LowerContext<K extends OpName = OpName> {
  readonly node: Node<K>;
  readonly attrs: OpAttrs<K>;
  readonly inputs: readonly TensorMeta[];
  readonly out: TensorMeta;
  readonly backend: BackendTraits;
  /** The value of input `i` when a `full` node made it (known at compile time), else undefined. */
  constantScalar(i: number): number | undefined;
  /**
   * A tensor made once, now, on the compile backend; it lives as long as the executable and is
   * freed by its `dispose`. Kernels must never dispose it.
   */
  constant(make: () => tf.Tensor): tf.Tensor;
  /** Throws a compile-time error that names the node, its op and its metas. */
  fail(message: string): never;
}

/** Runs the node on TF.js tensors (inputs in node order); called inside the executable's tidy. */
export type KernelFn = (xs: readonly tf.Tensor[]) => tf.Tensor;

/**
 * A kernel that reads some inputs as exact host integers instead of tensors: the random ops take
 * their seed and offset this way, because int64 seeds do not fit TF.js's int32.
 */
export interface HostKernel {
  readonly hostInputs: readonly number[];
  run(xs: readonly (tf.Tensor | undefined)[], host: readonly number[]): tf.Tensor;
}

export type Kernel = KernelFn | HostKernel;

export type Lowering<K extends OpName> = (ctx: LowerContext<K>) => Kernel;

/** A lowering per op in `Ops`; the full table is `LoweringsFor<OpName>`, so a missing op fails to compile. */
export type LoweringsFor<Ops extends OpName> = { readonly [K in Ops]: Lowering<K> };

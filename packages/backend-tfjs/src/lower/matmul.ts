import { broadcastShapes, numel } from "@aotjs/ir";
import * as tf from "@tensorflow/tfjs-core";
import type { KernelFn, LowerContext } from "./types.js";
import { broadcast } from "./util.js";

/** How a matmul operand reaches TF.js: possibly through a folded transpose of its last two dims. */
export interface MatmulPlan {
  readonly transposeA: boolean;
  readonly transposeB: boolean;
  /** The operands' shapes as TF.js sees them (before the flags apply). */
  readonly aShape: readonly number[];
  readonly bShape: readonly number[];
  /** A bias added to the product (a fused `add`), and whether a relu follows it. */
  readonly bias?: boolean;
  readonly relu?: boolean;
}

const swapLast = (s: readonly number[]) => [...s.slice(0, -2), s[s.length - 1]!, s[s.length - 2]!];

/**
 * Batched, broadcasting matmul [..., m, k] @ [..., k, n]. Two 2-D operands call TF.js directly
 * (tf.fused.matMul when a bias or relu is fused in). A batched left operand with a 2-D right one
 * (a linear layer over a sequence) folds the batch into rows. Otherwise the batch dims are
 * broadcast explicitly and flattened to one: TF.js's BatchMatMul takes rank 3 at most on some
 * backends.
 */
export function matmulKernel(ctx: LowerContext<"matmul">, plan: MatmulPlan): KernelFn {
  const out = [...ctx.out.shape];
  if (ctx.out.dtype !== "float32") return intMatmul(ctx);
  const a = plan.transposeA ? swapLast(plan.aShape) : plan.aShape;
  const b = plan.transposeB ? swapLast(plan.bShape) : plan.bShape;
  const run = (x: tf.Tensor, y: tf.Tensor, bias?: tf.Tensor): tf.Tensor =>
    plan.bias || plan.relu
      ? tf.fused.matMul({
          a: x,
          b: y,
          transposeA: plan.transposeA,
          transposeB: plan.transposeB,
          ...(bias ? { bias } : {}),
          ...(plan.relu ? { activation: "relu" as const } : {}),
        })
      : tf.matMul(x, y, plan.transposeA, plan.transposeB);

  if (a.length === 2 && b.length === 2) return ([x, y, bias]) => run(x!, y!, bias);
  if (b.length === 2 && !plan.transposeA) {
    const rows = numel(a.slice(0, -1));
    return ([x, y, bias]) => tf.reshape(run(tf.reshape(x!, [rows, plan.aShape.at(-1)!]), y!, bias), out);
  }
  const batch = broadcastShapes(a.slice(0, -2), b.slice(0, -2));
  const count = numel(batch);
  const aFull = [...batch, ...plan.aShape.slice(-2)];
  const bFull = [...batch, ...plan.bShape.slice(-2)];
  const to3d = (t: tf.Tensor, full: number[]) =>
    tf.reshape(broadcast(t, full), [count, full.at(-2)!, full.at(-1)!]);
  return ([x, y, bias]) => tf.reshape(run(to3d(x!, aFull), to3d(y!, bFull), bias), out);
}

/**
 * Integer matmul on the host, wrapping as int32 does (the reference's int32 kernel): wasm's
 * BatchMatMul takes float32 only, and the cpu backend accumulates in doubles.
 */
function intMatmul(ctx: LowerContext<"matmul">): KernelFn {
  const out = [...ctx.out.shape];
  const a = ctx.inputs[0]!.shape;
  const batch = out.slice(0, -2);
  const [m, n] = out.slice(-2) as [number, number];
  const k = a.at(-1)!;
  const count = numel(batch);
  return ([x, y]) => {
    const av = broadcast(x!, [...batch, m, k]).dataSync() as Int32Array;
    const bv = broadcast(y!, [...batch, k, n]).dataSync() as Int32Array;
    const c = new Int32Array(count * m * n);
    for (let t = 0; t < count; t++) {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++)
            s = (s + Math.imul(av[(t * m + i) * k + p]!, bv[(t * k + p) * n + j]!)) | 0;
          c[(t * m + i) * n + j] = s;
        }
      }
    }
    return tf.tensor(c, out, "int32");
  };
}

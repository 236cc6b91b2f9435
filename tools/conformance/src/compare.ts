// The comparison every conformance check makes: a backend's output against the reference's.
import { IRError, isFloating, type TensorData, type TypedArray } from "@aotjs/ir";

/** Where two tensors differ, and by how much; `undefined` from `compareTensors` means they agree. */
export interface Mismatch {
  readonly message: string;
  readonly index?: number;
  readonly actual?: number;
  readonly expected?: number;
}

/**
 * Compares `actual` with `expected` (the reference). Dtype and shape must be equal. Integers and
 * bools must be equal exactly. Floats pass elementwise when
 *
 *   |actual - expected| <= rtol * (|expected| + max |expected|)
 *
 * with the max over the whole tensor: relative to the element, but never tighter than rtol
 * relative to the tensor's scale, since a float32 backend (summing in float32, in its own order)
 * can't be expected to reproduce tiny values that cancellation produced in the reference's
 * float64 accumulators. NaN must meet NaN; infinities must be equal.
 *
 * `magnitude`, when given, adds rtol * magnitude[i] to element i's allowance: for a sum or a dot
 * product, the same op applied to the inputs' absolute values (sum |x|, |A| @ |B|), the classic
 * bound on its rounding error. A sum that cancels to ~0 is then judged against its terms' size.
 */
export function compareTensors(
  actual: TensorData,
  expected: TensorData,
  rtol: number,
  magnitude?: TensorData,
): Mismatch | undefined {
  if (actual.dtype !== expected.dtype)
    return { message: `dtype ${actual.dtype}, expected ${expected.dtype}` };
  if (actual.shape.join() !== expected.shape.join()) {
    return { message: `shape [${actual.shape}], expected [${expected.shape}]` };
  }
  const a = Array.from(actual.data as TypedArray as ArrayLike<number | bigint>, Number);
  const e = Array.from(expected.data as TypedArray as ArrayLike<number | bigint>, Number);
  const exact = !isFloating(expected.dtype);
  const extra = magnitude
    ? Array.from(magnitude.data as ArrayLike<number>, (v) => Math.abs(Number(v)))
    : undefined;
  let scale = 0;
  for (const v of e) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  let worst: Mismatch | undefined;
  let worstExcess = 0;
  for (let i = 0; i < e.length; i++) {
    const x = a[i]!;
    const y = e[i]!;
    if (Object.is(x, y) || x === y || (Number.isNaN(x) && Number.isNaN(y))) continue;
    const allowed = rtol * (Math.abs(y) + scale + (extra?.[i] ?? 0));
    const excess =
      exact || !Number.isFinite(y) || !Number.isFinite(x)
        ? Number.POSITIVE_INFINITY
        : Math.abs(x - y) - allowed;
    if (excess > 0 && (worst === undefined || excess > worstExcess)) {
      worstExcess = excess;
      worst = {
        message: `element ${i} is ${x}, expected ${y}${exact ? " (exact)" : ` (|diff| ${Math.abs(x - y).toExponential(2)}, allowed ${allowed.toExponential(2)})`}`,
        index: i,
        actual: x,
        expected: y,
      };
    }
  }
  return worst;
}

/**
 * The largest |actual - expected| over the largest |expected| (at least 1e-6): one number for a
 * whole float tensor, as tolerances on a model's outputs and gradients are stated (float32
 * rounding of a sum scales with its biggest term). Shapes must hold as many elements.
 */
export function maxScaledDiff(actual: TensorData, expected: TensorData): number {
  const a = actual.data as ArrayLike<number>;
  const e = expected.data as ArrayLike<number>;
  if (a.length !== e.length) throw new IRError(`maxScaledDiff: ${a.length} values against ${e.length}`);
  let scale = 1e-6;
  for (let i = 0; i < e.length; i++) scale = Math.max(scale, Math.abs(e[i]!));
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - e[i]!) / scale);
  return worst;
}

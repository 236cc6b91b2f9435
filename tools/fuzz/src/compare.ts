// The tolerance rule. A program has no exact float answer a backend must hit: float32 kernels
// round differently (fused, reordered, vectorized). So each mode's float error is judged against
// what float32 arithmetic itself costs on this very program:
//
//   ref  = eager float64 (the reference kernels in double), base = eager float32,
//   err(m) = max_i |m_i - ref_i| over the tensor, scale = max_i |ref_i|,
//   M = the largest |value| anywhere in the reference's forward pass, times 2 (the largest loss weight).
//   A float32 mode is wrong when  err(mode) > 10 * err(base) + 1e-5 * scale + 64 * 2^-24 * M.
//   A float64 mode is wrong when  err(mode) > 10 * 2^-29 * err(base) + 1e-12 * scale + 64 * 2^-53 * M
//   (2^-29 = float64's epsilon over float32's: the same rounding, 29 bits finer).
//   Integer and bool tensors must equal ref exactly; NaN must meet NaN and infinities must match.
//
// The M term covers cancellation: terms of size M that cancel to exactly 0 in both eager runs
// (same order of operations) leave a few ulps of M in a backend that orders them differently.
//
// A missing gradient counts as zeros (aotFunction gives zeros where eager gives none, as
// documented in @aotjs/aot), so a gradient that is lost shows as zeros against a nonzero ref.
import { isFloating, type TensorData } from "@aotjs/ir";

export const FLOAT32_FACTOR = 10;
export const FLOAT32_FLOOR = 1e-5;
export const FLOAT64_FACTOR = 10 * 2 ** -29;
export const FLOAT64_FLOOR = 1e-12;
/** Ulps of the program's magnitude M a reordered computation may leave where the reference cancels to 0. */
export const MAGNITUDE_ULPS = 64;

const values = (t: TensorData): number[] => Array.from(t.data as ArrayLike<number | bigint>, Number);

/**
 * Why `actual` is wrong against `ref` (with `base` as the float32 yardstick and `magnitude` as the
 * program's M), or undefined.
 */
export function judge(
  actual: TensorData | number | null,
  ref: TensorData | number | null,
  base: TensorData | number | null,
  float: "float32" | "float64",
  magnitude = 0,
): string | undefined {
  if (typeof ref === "number" || typeof actual === "number") {
    return actual === ref ? undefined : `got ${describe(actual)}, expected ${describe(ref)}`;
  }
  if (ref === null && actual === null) return undefined;
  const shape = (ref ?? actual)!.shape;
  if (actual && ref && actual.shape.join() !== ref.shape.join())
    return `shape [${actual.shape}], expected [${ref.shape}]`;
  const dtype = (ref ?? actual)!.dtype;
  const floating = isFloating(dtype);
  if (actual && ref && floating !== isFloating(actual.dtype))
    return `dtype ${actual.dtype}, expected ${ref.dtype}`;
  if (actual && ref && !floating && actual.dtype !== ref.dtype)
    return `dtype ${actual.dtype}, expected ${ref.dtype}`;
  if (actual && floating && actual.dtype !== float) return `dtype ${actual.dtype}, expected ${float}`;
  const n = shape.reduce((a, b) => a * b, 1);
  const zeros = () => new Array<number>(n).fill(0);
  const a = actual ? values(actual) : zeros();
  const r = ref ? values(ref) : zeros();
  const b = base && typeof base !== "number" ? values(base) : r;
  if (!floating) {
    const i = a.findIndex((v, k) => v !== r[k]);
    return i < 0 ? undefined : `element ${i} is ${a[i]}, expected ${r[i]} (exact)`;
  }
  let scale = 0;
  let errBase = 0;
  let err = 0;
  let worst = -1;
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = r[i]!;
    if (Number.isNaN(y) || !Number.isFinite(y)) {
      if (!(Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y))))
        return `element ${i} is ${x}, expected ${y}${actual ? "" : " (no gradient)"}`;
      continue;
    }
    if (!Number.isFinite(x)) return `element ${i} is ${x}, expected ${y}`;
    scale = Math.max(scale, Math.abs(y));
    if (Number.isFinite(b[i]!)) errBase = Math.max(errBase, Math.abs(b[i]! - y));
    const e = Math.abs(x - y);
    if (e > err) {
      err = e;
      worst = i;
    }
  }
  const allowed =
    float === "float32"
      ? FLOAT32_FACTOR * errBase + FLOAT32_FLOOR * scale + MAGNITUDE_ULPS * 2 ** -24 * magnitude
      : FLOAT64_FACTOR * errBase + FLOAT64_FLOOR * scale + MAGNITUDE_ULPS * 2 ** -53 * magnitude;
  if (err <= allowed) return undefined;
  return (
    `element ${worst} is ${a[worst]}, expected ${r[worst]}${actual ? "" : " (no gradient)"}: ` +
    `error ${err.toExponential(2)} > allowed ${allowed.toExponential(2)} ` +
    `(eager float32's error ${errBase.toExponential(2)}, scale ${scale.toExponential(2)})`
  );
}

const describe = (v: TensorData | number | null): string =>
  v === null ? "nothing" : typeof v === "number" ? String(v) : `a ${v.dtype}[${v.shape}] tensor`;

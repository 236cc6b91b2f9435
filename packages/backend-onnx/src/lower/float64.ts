// float64 formulations for the ops whose ONNX Runtime CPU kernels are float32-only (Erf, Conv,
// ConvTranspose, AveragePool). float64 is the reference and gradcheck dtype, so these reproduce
// the reference kernels' arithmetic in double rather than rounding through float32:
//   - erf: W. J. Cody's rational approximations, the coefficients and evaluation order of
//     `erf` in @aotjs/ir, in double ops;
//   - convolutions and average pools: im2col as one Gather with a constant index (each kernel
//     tap of each output position into the padded plane), then MatMul (double GEMM is available);
//     the adjoints scatter-add the columns back with ScatterElements.
import { ERF_A, ERF_B, ERFC_C, ERFC_D, ERFC_P, ERFC_Q, ONE_OVER_SQRT_PI } from "@aotjs/ir";
import type { LoweringContext } from "../context.js";

/** erf(x) in float64, branch by branch as the reference computes it; Where picks the branch. */
export function erf64(ctx: LoweringContext, x: string): string {
  const k = (v: number) => ctx.scalar("float64", v);
  const add = (a: string, b: string) => ctx.op("Add", [a, b]);
  const mul = (a: string, b: string) => ctx.op("Mul", [a, b]);
  const div = (a: string, b: string) => ctx.op("Div", [a, b]);
  const y = ctx.op("Abs", [x]);
  /** num = first * t; den = t; then (num + a[i]) * t, (den + b[i]) * t for i < steps. */
  const rational = (t: string, first: number, a: readonly number[], b: readonly number[], steps: number) => {
    let num = mul(k(first), t);
    let den = t;
    for (let i = 0; i < steps; i++) {
      num = mul(add(num, k(a[i]!)), t);
      den = mul(add(den, k(b[i]!)), t);
    }
    return [num, den] as const;
  };
  // exp(-y^2) without squaring's rounding error: split y at a 1/16 grid (y >= 0, so floor is trunc).
  const coarse = div(ctx.op("Floor", [mul(k(16), y)]), k(16));
  const expMinusSquare = mul(
    ctx.op("Exp", [ctx.op("Neg", [mul(coarse, coarse)])]),
    ctx.op("Exp", [ctx.op("Neg", [mul(ctx.op("Sub", [y, coarse]), add(y, coarse))])]),
  );
  // |x| <= 0.46875: x * R(x^2).
  const z = mul(y, y);
  const [n1, d1] = rational(z, ERF_A[4]!, ERF_A, ERF_B, 3);
  const small = div(mul(x, add(n1, k(ERF_A[3]!))), add(d1, k(ERF_B[3]!)));
  // 0.46875 < |x| <= 4: erfc by the C/D rational function.
  const [n2, d2] = rational(y, ERFC_C[8]!, ERFC_C, ERFC_D, 7);
  const erfcMid = div(mul(expMinusSquare, add(n2, k(ERFC_C[7]!))), add(d2, k(ERFC_D[7]!)));
  // 4 < |x| < 6: erfc by the P/Q rational function of 1/x^2.
  const w = div(k(1), z);
  const [n3, d3] = rational(w, ERFC_P[5]!, ERFC_P, ERFC_Q, 4);
  const r = div(mul(w, add(n3, k(ERFC_P[4]!))), add(d3, k(ERFC_Q[4]!)));
  const erfcTail = div(mul(expMinusSquare, ctx.op("Sub", [k(ONE_OVER_SQRT_PI), r])), y);
  // |x| >= 6: erfc is 0 (below half an ulp of 1); NaN stays NaN.
  const erfcFar = ctx.op("Where", [ctx.op("IsNaN", [y]), y, k(0)]);
  const erfc = ctx.op("Where", [
    ctx.op("LessOrEqual", [y, k(4)]),
    erfcMid,
    ctx.op("Where", [ctx.op("Less", [y, k(6)]), erfcTail, erfcFar]),
  ]);
  const large = ctx.op("Where", [
    ctx.op("Less", [x, k(0)]),
    ctx.op("Sub", [erfc, k(1)]),
    ctx.op("Sub", [k(1), erfc]),
  ]);
  return ctx.op("Where", [ctx.op("LessOrEqual", [y, k(0.46875)]), small, large], {}, ctx.out);
}

/** One window geometry: kernel taps `kernel` with `dilation`, windows every `stride` over a padded plane. */
export interface Windows {
  readonly kernel: readonly number[];
  readonly stride: readonly number[];
  readonly dilation: readonly number[];
  /** Padding before and after each spatial dim (after may be less than before, never negative). */
  readonly before: readonly number[];
  readonly after: readonly number[];
  readonly input: readonly number[];
  readonly output: readonly number[];
}

const plane = (w: Windows) => [0, 1].map((i) => w.input[i]! + w.before[i]! + w.after[i]!);

/** For tap t = (i, j) and output position l = (y, x): the flat index of the tap's input in the padded plane. */
function tapIndex(w: Windows): number[] {
  const [, pw] = plane(w);
  const [kh, kw] = w.kernel as [number, number];
  const [oh, ow] = w.output as [number, number];
  const out: number[] = [];
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++)
      for (let y = 0; y < oh; y++)
        for (let x = 0; x < ow; x++) {
          out.push((y * w.stride[0]! + i * w.dilation[0]!) * pw! + x * w.stride[1]! + j * w.dilation[1]!);
        }
  return out;
}

const taps = (w: Windows) => w.kernel[0]! * w.kernel[1]!;
const positions = (w: Windows) => w.output[0]! * w.output[1]!;

/** x [N, C, H, W] padded with zeros and gathered into columns [N, C, taps, positions]. */
export function im2col(ctx: LoweringContext, x: string, n: number, c: number, w: Windows): string {
  const pads = [0, 0, w.before[0]!, w.before[1]!, 0, 0, w.after[0]!, w.after[1]!];
  const padded = pads.some((p) => p > 0)
    ? ctx.op("Pad", [x, ctx.ints(pads), ctx.scalar("float64", 0)], { mode: { string: "constant" } })
    : x;
  const [ph, pw] = plane(w);
  const flat = ctx.op("Reshape", [padded, ctx.ints([n, c, ph! * pw!])]);
  const cols = ctx.op("Gather", [flat, ctx.ints(tapIndex(w))], { axis: { int: 2 } });
  return ctx.op("Reshape", [cols, ctx.ints([n, c, taps(w), positions(w)])]);
}

/** The adjoint of `im2col`: columns [N, C, taps * positions] added back into [N, C, H, W]. */
export function col2im(
  ctx: LoweringContext,
  cols: string,
  n: number,
  c: number,
  w: Windows,
  out?: string,
): string {
  const [ph, pw] = plane(w);
  const zeros = ctx.op("ConstantOfShape", [ctx.ints([n, c, ph! * pw!])], {
    value: { tensor: ctx.tensorProto("float64", [1], [0]) },
  });
  const index = ctx.constant("int64", [1, 1, taps(w) * positions(w)], tapIndex(w));
  const expanded = ctx.op("Expand", [index, ctx.ints([n, c, taps(w) * positions(w)])]);
  const summed = ctx.op("ScatterElements", [zeros, expanded, cols], {
    axis: { int: 2 },
    reduction: { string: "add" },
  });
  const grid = ctx.op("Reshape", [summed, ctx.ints([n, c, ph!, pw!])]);
  return ctx.op(
    "Slice",
    [
      grid,
      ctx.ints(w.before),
      ctx.ints([w.before[0]! + w.input[0]!, w.before[1]! + w.input[1]!]),
      ctx.ints([2, 3]),
    ],
    {},
    out,
  );
}

/** conv2d in float64: W [G, og, cg*taps] @ columns [N, G, cg*taps, positions]. */
export function conv64(
  ctx: LoweringContext,
  x: string,
  wt: string,
  xShape: readonly number[],
  wShape: readonly number[],
  groups: number,
  w: Windows,
): string {
  const [n, c] = xShape as [number, number];
  const [o, cg] = wShape as [number, number];
  const k = cg * taps(w);
  const cols = ctx.op("Reshape", [im2col(ctx, x, n, c, w), ctx.ints([n, groups, k, positions(w)])]);
  const weights = ctx.op("Reshape", [wt, ctx.ints([groups, o / groups, k])]);
  const y = ctx.op("MatMul", [weights, cols]);
  return ctx.op("Reshape", [y, ctx.ints([n, o, w.output[0]!, w.output[1]!])], {}, ctx.out);
}

/** dW = sum over the batch of gradOutput [N, G, og, positions] @ columns^T. */
export function convBackwardWeight64(
  ctx: LoweringContext,
  g: string,
  x: string,
  xShape: readonly number[],
  wShape: readonly number[],
  groups: number,
  w: Windows,
): string {
  const [n, c] = xShape as [number, number];
  const [o] = wShape as [number];
  const k = (c / groups) * taps(w);
  const cols = ctx.op("Reshape", [im2col(ctx, x, n, c, w), ctx.ints([n, groups, k, positions(w)])]);
  const grads = ctx.op("Reshape", [g, ctx.ints([n, groups, o / groups, positions(w)])]);
  const perSample = ctx.op("MatMul", [grads, ctx.op("Transpose", [cols], { perm: { ints: [0, 1, 3, 2] } })]);
  const summed = ctx.reduce("ReduceSum", perSample, [0], false);
  return ctx.op("Reshape", [summed, ctx.ints([...wShape])], {}, ctx.out);
}

/** dX = col2im(W^T [G, cg*taps, og] @ gradOutput [N, G, og, positions]). */
export function convBackwardInput64(
  ctx: LoweringContext,
  g: string,
  wt: string,
  xShape: readonly number[],
  wShape: readonly number[],
  groups: number,
  w: Windows,
): string {
  const [n, c] = xShape as [number, number];
  const [o, cg] = wShape as [number, number];
  const k = cg * taps(w);
  const weightsT = ctx.op("Transpose", [ctx.op("Reshape", [wt, ctx.ints([groups, o / groups, k])])], {
    perm: { ints: [0, 2, 1] },
  });
  const grads = ctx.op("Reshape", [g, ctx.ints([n, groups, o / groups, positions(w)])]);
  const cols = ctx.op("Reshape", [
    ctx.op("MatMul", [weightsT, grads]),
    ctx.ints([n, c, taps(w) * positions(w)]),
  ]);
  return col2im(ctx, cols, n, c, w, ctx.out);
}

/** Window sums (zeros in the padding) divided by the reference's divisor map (Infinity where a window is empty). */
export function avgPool64(
  ctx: LoweringContext,
  x: string,
  xShape: readonly number[],
  w: Windows,
  divisors: readonly number[],
): string {
  const [n, c] = xShape as [number, number];
  const sums = ctx.reduce("ReduceSum", im2col(ctx, x, n, c, w), [2], false);
  const grid = ctx.op("Reshape", [sums, ctx.ints([n, c, w.output[0]!, w.output[1]!])]);
  return ctx.op(
    "Div",
    [
      grid,
      ctx.constant(
        "float64",
        w.output,
        divisors.map((d) => (d === 0 ? Infinity : d)),
      ),
    ],
    {},
    ctx.out,
  );
}

/** Each gradient divided by its divisor, repeated over its window's taps, and added back. */
export function avgPoolBackward64(
  ctx: LoweringContext,
  g: string,
  xShape: readonly number[],
  w: Windows,
  divisors: readonly number[],
): string {
  const [n, c] = xShape as [number, number];
  const share = ctx.op("Div", [
    g,
    ctx.constant(
      "float64",
      w.output,
      divisors.map((d) => (d === 0 ? Infinity : d)),
    ),
  ]);
  const row = ctx.op("Reshape", [share, ctx.ints([n, c, 1, positions(w)])]);
  const cols = ctx.op("Reshape", [
    ctx.op("Expand", [row, ctx.ints([n, c, taps(w), positions(w)])]),
    ctx.ints([n, c, taps(w) * positions(w)]),
  ]);
  return col2im(ctx, cols, n, c, w, ctx.out);
}

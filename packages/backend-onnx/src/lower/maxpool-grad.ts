// maxPool2dBackward by per-tap masks, without MaxPool's Indices output (ORT computes it in a slow
// scalar kernel) or a ScatterElements.
import { type DType, isFloating } from "@aotjs/ir";
import type { LoweringContext } from "../context.js";
import { interleavePhases, tapReader } from "./phases.js";

/** A pool's windows, as pool.ts computes them (exact end padding, negative where rows go unread). */
export interface PoolGeometry {
  readonly kernel: readonly number[];
  readonly stride: readonly number[];
  readonly dilation: readonly number[];
  readonly begin: readonly number[];
  readonly end: readonly number[];
  readonly input: readonly number[];
  readonly output: readonly number[];
}

/** What padding holds: below every value, so it never wins a window (and masks keep it from tying). */
const LOWEST: { readonly [D in DType]?: number | bigint } = {
  float32: Number.NEGATIVE_INFINITY,
  float64: Number.NEGATIVE_INFINITY,
  int32: -(2 ** 31),
  int64: -(2n ** 63n),
};

/** How maxPool2dBackward is lowered (see `OnnxModelOptions.formulations`). */
export type MaxPoolGradFormulation = "scatter" | "masks";

/**
 * Each window's winner, tap by tap, as the reference picks it: the first maximum in row-major tap
 * order, or, in a window holding NaN, the last NaN (a later element wins when greater or NaN).
 *
 *   - x is padded with -infinity and read tap by tap, x_t [N, C, OH, OW] (see `tapReader`);
 *     m = Max(x_0, ..., x_T-1), which is NaN exactly in the windows holding one (ORT's Max
 *     propagates NaN; its MaxPool does not, and yields -FLT_MAX for a window of -infinity).
 *   - first_t = (x_t == m) and no earlier tap matched: the newly set bits of a running Or, by Xor.
 *     Padding never matches: where a tap can fall into the padding, a constant mask of the output
 *     positions where it reads the input keeps a window whose real values are all -infinity
 *     routing to its first real element, as the reference does (its taps skip padding).
 *   - last_t = isnan(x_t) and no later tap is NaN, from a running Or in reverse. In a NaN window
 *     no x_t equals m, so claim_t = first_t or last_t picks exactly one tap per window.
 *   - The gradient flows where claimed, Where(claim_t, gy, 0). A tap's input row y*s + i*d (in
 *     the padded plane) falls in row phase (i*d) mod s at row y + floor(i*d / s) of that phase's
 *     grid: the taps of a phase are padded into place and summed, the phases interleaved,
 *     and the padding cut off.
 */
export function maxPoolGradMasks(
  ctx: LoweringContext,
  gy: string,
  x: string,
  dtype: DType,
  shape: readonly number[],
  g: PoolGeometry,
): string {
  const float = isFloating(dtype);
  const [n, c] = shape as [number, number];
  const [oh, ow] = g.output as [number, number];
  const [kh, kw] = g.kernel as [number, number];
  const [sh, sw] = g.stride as [number, number];
  const after = g.end.map((e) => Math.max(0, e));
  const plane = [0, 1].map((i) => g.begin[i]! + g.input[i]! + after[i]!);
  const extent = [0, 1].map(
    (k) => (g.kernel[k]! - 1) * g.dilation[k]! + (g.output[k]! - 1) * g.stride[k]! + 1,
  );
  const read = tapReader(
    ctx,
    x,
    shape,
    { begin: g.begin, extent, stride: g.stride, output: g.output },
    ctx.scalar(dtype, LOWEST[dtype] ?? 0),
    float,
  );
  interface Tap {
    readonly offset: readonly number[];
    readonly value: string;
  }
  const taps: Tap[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const offset = [i * g.dilation[0]!, j * g.dilation[1]!];
      taps.push({ offset, value: read(offset) });
    }
  }
  const max =
    taps.length === 1
      ? taps[0]!.value
      : ctx.op(
          "Max",
          taps.map((t) => t.value),
        );
  /** Output positions where the tap reads the input, not the padding; undefined when that is all of them. */
  const readsInput = (offset: readonly number[]): string | undefined => {
    const inside = [0, 1].map((k) =>
      Array.from({ length: g.output[k]! }, (_, o) => {
        const at = o * g.stride[k]! + offset[k]! - g.begin[k]!;
        return at >= 0 && at < g.input[k]!;
      }),
    );
    if (inside.every((d) => d.every(Boolean))) return undefined;
    const mask = inside[0]!.flatMap((r) => inside[1]!.map((col) => (r && col ? 1 : 0)));
    return ctx.constant("bool", [oh, ow], mask);
  };
  const lasts: (string | undefined)[] = new Array(taps.length);
  let later: string | undefined;
  for (let k = taps.length - 1; k >= 0 && float; k--) {
    const nan = ctx.op("IsNaN", [taps[k]!.value]);
    const next: string = later ? ctx.op("Or", [later, nan]) : nan;
    lasts[k] = later ? ctx.op("Xor", [next, later]) : nan;
    later = next;
  }
  const firsts: string[] = [];
  let seen: string | undefined;
  for (const t of taps) {
    const valid = readsInput(t.offset);
    const equal = ctx.op("Equal", [t.value, max]);
    const match = valid ? ctx.op("And", [equal, valid]) : equal;
    const next: string = seen ? ctx.op("Or", [seen, match]) : match;
    firsts.push(seen ? ctx.op("Xor", [next, seen]) : match);
    seen = next;
  }
  const zero = ctx.scalar(dtype, 0);
  const rows = Math.ceil(plane[0]! / sh);
  const cols = Math.ceil(plane[1]! / sw);
  const phases: string[][] = Array.from({ length: sh }, () => new Array<string>(sw));
  const members = new Map<number, string[]>();
  taps.forEach((t, k) => {
    const claim = float ? ctx.op("Or", [firsts[k]!, lasts[k]!]) : firsts[k]!;
    const share = ctx.op("Where", [claim, gy, zero]);
    const at = [0, 1].map((d) => Math.floor(t.offset[d]! / g.stride[d]!));
    const placed = ctx.op(
      "Pad",
      [share, ctx.ints([0, 0, at[0]!, at[1]!, 0, 0, rows - oh - at[0]!, cols - ow - at[1]!]), zero],
      { mode: { string: "constant" } },
    );
    const key = (t.offset[0]! % sh) * sw + (t.offset[1]! % sw);
    members.set(key, [...(members.get(key) ?? []), placed]);
  });
  for (let ry = 0; ry < sh; ry++) {
    for (let rx = 0; rx < sw; rx++) {
      const parts = members.get(ry * sw + rx);
      phases[ry]![rx] = !parts
        ? ctx.op("ConstantOfShape", [ctx.ints([n, c, rows, cols])], {
            value: { tensor: ctx.tensorProto(dtype, [1], [0]) },
          })
        : parts.slice(1).reduce((sum, p) => ctx.op("Add", [sum, p]), parts[0]!);
    }
  }
  const full = interleavePhases(ctx, phases, [n, c, rows, cols]);
  return ctx.op(
    "Slice",
    [
      full,
      ctx.ints([g.begin[0]!, g.begin[1]!]),
      ctx.ints([g.begin[0]! + g.input[0]!, g.begin[1]! + g.input[1]!]),
      ctx.ints([2, 3]),
    ],
    {},
    ctx.out,
  );
}

/**
 * The formulation for one node: the forced one, else (auto) "scatter". On resnet18's pool
 * ([8,64,112,112], 3x3 stride 2) "masks" measured about twice as slow: ORT runs its ~100 small
 * pointwise nodes (Where alone ~1.5 ms per tap) slower than MaxPool's Indices kernel.
 */
export function chooseMaxPoolGrad(
  forced: MaxPoolGradFormulation | "auto" | undefined,
): MaxPoolGradFormulation {
  return forced && forced !== "auto" ? forced : "scatter";
}

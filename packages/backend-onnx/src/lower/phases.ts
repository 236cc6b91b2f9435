import type { LoweringContext } from "../context.js";

/**
 * Interleaves stride phases: `phases[ry][rx]`, each [N, C, rows, cols], become one
 * [N, C, rows * sh, cols * sw] whose element (Y * sh + ry, X * sw + rx) is phases[ry][rx][Y, X]:
 * the phases stacked on two new axes, [N, C, rows, sh, cols, sw], and reshaped. (ORT's
 * DepthToSpace does the same for square strides about ten times slower.)
 */
export function interleavePhases(
  ctx: LoweringContext,
  phases: readonly (readonly string[])[],
  shape: readonly [number, number, number, number],
): string {
  const [n, c, rows, cols] = shape;
  const sh = phases.length;
  const sw = phases[0]!.length;
  if (sh === 1 && sw === 1) return phases[0]![0]!;
  const unsqueeze = (v: string, axis: number) => ctx.op("Unsqueeze", [v, ctx.ints([axis])]);
  const byRow = phases.map((row) =>
    row.length === 1
      ? unsqueeze(row[0]!, 4)
      : ctx.op(
          "Concat",
          row.map((p) => unsqueeze(p, 4)),
          { axis: { int: 4 } },
        ),
  );
  const stacked =
    byRow.length === 1
      ? unsqueeze(byRow[0]!, 3)
      : ctx.op(
          "Concat",
          byRow.map((r) => unsqueeze(r, 3)),
          { axis: { int: 3 } },
        );
  return ctx.op("Reshape", [stacked, ctx.ints([n, c, rows * sh, cols * sw])]);
}

/** A float zero tensor of `shape` (ConstantOfShape), for a phase no tap reaches. */
export const zerosOf = (
  ctx: LoweringContext,
  dtype: "float32" | "float64",
  shape: readonly number[],
): string =>
  ctx.op("ConstantOfShape", [ctx.ints(shape)], { value: { tensor: ctx.tensorProto(dtype, [1], [0]) } });

/**
 * Reads a padded plane tap by tap: `x` [N, C, H, W], padded with `fill`, `begin` rows/cols before
 * and out to at least `extent` (and the input) after, returned as a function from a tap's offset in the
 * padded plane to its [N, C, out_h, out_w] slice (rows offset + y * stride). A strided Slice reads
 * element by element and ORT runs it slowly, so with a stride the padded plane is first split into
 * its stride phases, [N, sh * sw * C, rows / sh, cols / sw] (SpaceToDepth's layout, channel
 * (ry * sw + rx) * C + c), where every tap is a contiguous block.
 */
export function tapReader(
  ctx: LoweringContext,
  x: string,
  shape: readonly number[],
  geo: {
    readonly begin: readonly number[];
    readonly extent: readonly number[];
    readonly stride: readonly number[];
    readonly output: readonly number[];
  },
  fill: string,
  float: boolean,
): (offset: readonly number[]) => string {
  const [n, c, h, w] = shape as [number, number, number, number];
  const [sh, sw] = geo.stride as [number, number];
  const [oh, ow] = geo.output as [number, number];
  // Whole phases over the input and every tap's reach, so no pad is negative.
  const rows = Math.ceil(Math.max(geo.extent[0]!, geo.begin[0]! + h) / sh);
  const cols = Math.ceil(Math.max(geo.extent[1]!, geo.begin[1]! + w) / sw);
  const pads = [
    0,
    0,
    geo.begin[0]!,
    geo.begin[1]!,
    0,
    0,
    rows * sh - geo.begin[0]! - h,
    cols * sw - geo.begin[1]! - w,
  ];
  const padded = pads.some((p) => p !== 0)
    ? ctx.op("Pad", [x, ctx.ints(pads), fill], { mode: { string: "constant" } })
    : x;
  if (sh === 1 && sw === 1) {
    return (offset) =>
      ctx.op("Slice", [
        padded,
        ctx.ints([offset[0]!, offset[1]!]),
        ctx.ints([offset[0]! + oh, offset[1]! + ow]),
        ctx.ints([2, 3]),
      ]);
  }
  // ORT's SpaceToDepth has float kernels only; a Transpose gives the same layout for any dtype.
  const split =
    sh === sw && float
      ? ctx.op("SpaceToDepth", [padded], { blocksize: { int: sh } })
      : ctx.op("Reshape", [
          ctx.op("Transpose", [ctx.op("Reshape", [padded, ctx.ints([n, c, rows, sh, cols, sw])])], {
            perm: { ints: [0, 3, 5, 1, 2, 4] },
          }),
          ctx.ints([n, sh * sw * c, rows, cols]),
        ]);
  return (offset) => {
    const phase = (offset[0]! % sh) * sw + (offset[1]! % sw);
    const at = [Math.floor(offset[0]! / sh), Math.floor(offset[1]! / sw)];
    return ctx.op("Slice", [
      split,
      ctx.ints([phase * c, at[0]!, at[1]!]),
      ctx.ints([(phase + 1) * c, at[0]! + oh, at[1]! + ow]),
      ctx.ints([1, 2, 3]),
    ]);
  };
}

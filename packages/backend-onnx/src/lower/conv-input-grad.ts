// conv2dBackwardInput in float32: ORT's ConvTranspose, or ordinary Convs of the output gradient
// with the spatially flipped, per-group transposed weight (one Conv at stride 1, one per output
// phase above it). Which one a node gets is `chooseInputGrad`'s call, from measurements.
import type { LoweringContext } from "../context.js";
import { type ConvGeometry, negativeEnd, symmetricPads } from "./conv-geometry.js";
import { type KernelSlice, type NchwcConvSpec, nchwcConv, onNchwc } from "./nchwc.js";
import { interleavePhases, zerosOf } from "./phases.js";

/** How conv2dBackwardInput is lowered (see `OnnxModelOptions.formulations`). */
export type InputGradFormulation = "convTranspose" | "conv";

/**
 * ConvTranspose with the conv's own OIHW weight, which is ConvTranspose's (C_in, C_out / groups,
 * kH, kW) layout as it stands. output_padding restores the rows the forward's floor dropped.
 */
export function inputGradConvTranspose(
  ctx: LoweringContext,
  g: string,
  w: string,
  geo: ConvGeometry,
): string {
  const outputPadding = [0, 1].map((i) => {
    const base =
      (geo.output[i]! - 1) * geo.stride[i]! -
      2 * geo.padding[i]! +
      geo.dilation[i]! * (geo.kernel[i]! - 1) +
      1;
    return geo.input[i]! - base;
  });
  if (outputPadding.some((p) => p < 0))
    ctx.fail(`inputShape [${geo.x}] is smaller than the transposed conv's output`);
  return ctx.op(
    "ConvTranspose",
    [g, w],
    {
      kernel_shape: { ints: geo.kernel },
      strides: { ints: geo.stride },
      pads: { ints: symmetricPads(geo.padding) },
      dilations: { ints: geo.dilation },
      group: { int: geo.groups },
      output_padding: { ints: outputPadding },
    },
    ctx.out,
  );
}

/** w [O, C/G, kh, kw] as [C, O/G, kh, kw]: each group's block transposed, so input and output channels trade places. */
function transposeWeight(ctx: LoweringContext, w: string, geo: ConvGeometry): string {
  if (geo.groups === 1) return ctx.op("Transpose", [w], { perm: { ints: [1, 0, 2, 3] } });
  const [kh, kw] = geo.kernel as [number, number];
  const og = geo.o / geo.groups;
  const blocks = ctx.op("Reshape", [w, ctx.ints([geo.groups, og, geo.cg, kh, kw])]);
  return ctx.op("Reshape", [
    ctx.op("Transpose", [blocks], { perm: { ints: [0, 2, 1, 3, 4] } }),
    ctx.ints([geo.c, og, kh, kw]),
  ]);
}

/** A stride-1 Conv of g (its pads negative where g is cropped first) as the NCHWc kernel would take it. */
function gradConvSpec(
  geo: ConvGeometry,
  kernel: readonly number[],
  dilation: readonly number[],
  pads: readonly number[],
): NchwcConvSpec {
  return {
    inChannels: geo.o,
    outChannels: geo.c,
    groups: geo.groups,
    kernel,
    strides: [1, 1],
    dilations: dilation,
    pads: pads.map((p) => Math.max(0, p)),
    output: [0, 1].map((i) => geo.output[i]! + pads[i]! + pads[i + 2]! - dilation[i]! * (kernel[i]! - 1)),
  };
}

/** The flipped kernel's pads at stride 1: d * (k - 1) - p each side. */
const flippedPads = (geo: ConvGeometry) => {
  const p = [0, 1].map((i) => geo.dilation[i]! * (geo.kernel[i]! - 1) - geo.padding[i]!);
  return [p[0]!, p[1]!, p[0]!, p[1]!];
};

/**
 * A stride-1 Conv of g with `slice` of w's kernel (a flip, a phase's taps) and explicit [top, left, bottom, right] pads;
 * a negative pad crops g instead (ONNX pads are non-negative). `transposed` gives w with its
 * channels traded per group (emitted once, when a Conv first needs it).
 */
function convOfGrad(
  ctx: LoweringContext,
  g: string,
  w: string,
  transposed: () => string,
  geo: ConvGeometry,
  slice: KernelSlice,
  kernel: readonly number[],
  dilation: readonly number[],
  pads: readonly number[],
  out?: string,
): string {
  const spec = gradConvSpec(geo, kernel, dilation, pads);
  const crop = pads.map((p) => Math.max(0, -p));
  let src = g;
  if (crop.some((c) => c > 0)) {
    src = ctx.op("Slice", [
      g,
      ctx.ints([crop[0]!, crop[1]!]),
      ctx.ints([negativeEnd(crop[2]!), negativeEnd(crop[3]!)]),
      ctx.ints([2, 3]),
    ]);
  }
  // The NCHWc filter reorder takes the slice itself, where ORT copies it in whole rows.
  if (onNchwc(ctx.nchwcBlock, spec)) return nchwcConv(ctx, src, w, spec, { kernel: geo.kernel, slice }, out);
  const { starts, ends, steps } = slice;
  const weight = ctx.op("Slice", [
    transposed(),
    ctx.ints(starts),
    ctx.ints(ends),
    ctx.ints([2, 3]),
    ctx.ints(steps),
  ]);
  return ctx.op(
    "Conv",
    [src, weight],
    {
      kernel_shape: { ints: kernel },
      strides: { ints: [1, 1] },
      pads: { ints: spec.pads },
      dilations: { ints: dilation },
      group: { int: geo.groups },
    },
    out,
  );
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * The taps of one output phase along one dim. dx[y] sums g[oy] * w[i] over oy * s + i * d - p = y;
 * for y = Y * s + r those are the taps i with i * d = r + p (mod s), which step by s / gcd(d, s)
 * and read g at Y + delta, delta falling by d / gcd(d, s) from tap to tap. Read last tap first,
 * that is a stride-1 correlation of g with the reversed sub-kernel, dilation d / gcd(d, s), and
 * `before` rows of padding. Undefined when no tap lands on the phase (kernel smaller than stride).
 */
interface PhaseTaps {
  readonly first: number;
  readonly count: number;
  readonly step: number;
  readonly dilation: number;
  readonly before: number;
}

function phaseTaps(
  kernel: number,
  stride: number,
  pad: number,
  dilation: number,
  r: number,
): PhaseTaps | undefined {
  const common = gcd(dilation, stride);
  const step = stride / common;
  let first = -1;
  for (let i = 0; i < Math.min(kernel, step) && first < 0; i++) {
    if ((((r + pad - i * dilation) % stride) + stride) % stride === 0) first = i;
  }
  if (first < 0) return undefined;
  const count = Math.floor((kernel - 1 - first) / step) + 1;
  const deltaFirst = (r + pad - first * dilation) / stride;
  const deltaLast = deltaFirst - (count - 1) * (dilation / common);
  return { first, count, step, dilation: dilation / common, before: -deltaLast };
}

/**
 * The gradient as ordinary Convs. At stride 1 it is one Conv of g with the flipped, transposed
 * weight and padding d * (k - 1) - p. At stride s each of the s_h * s_w output phases (rows
 * Y * s + r) is its own stride-1 Conv with the phase's sub-kernel, so no multiply touches an
 * inserted zero; the phases, ceil(H / s) rows each, are interleaved and the rows past the input
 * cut off. Rows the forward's floor dropped read g out of range, so they come out zero.
 */
export function inputGradConv(ctx: LoweringContext, g: string, w: string, geo: ConvGeometry): string {
  const [sh, sw] = geo.stride as [number, number];
  const [h, wd] = geo.input as [number, number];
  let wt: string | undefined;
  const transposed = () => (wt ??= transposeWeight(ctx, w, geo));
  if (sh === 1 && sw === 1) {
    const flip = { starts: [-1, -1], ends: [-geo.kernel[0]! - 1, -geo.kernel[1]! - 1], steps: [-1, -1] };
    return convOfGrad(ctx, g, w, transposed, geo, flip, geo.kernel, geo.dilation, flippedPads(geo), ctx.out);
  }
  const rows = Math.ceil(h / sh);
  const cols = Math.ceil(wd / sw);
  const taps = [0, 1].map((dim) =>
    Array.from({ length: geo.stride[dim]! }, (_, r) =>
      phaseTaps(geo.kernel[dim]!, geo.stride[dim]!, geo.padding[dim]!, geo.dilation[dim]!, r),
    ),
  ) as [(PhaseTaps | undefined)[], (PhaseTaps | undefined)[]];
  const phase = (ty: PhaseTaps, tx: PhaseTaps) => {
    const sub = {
      starts: [ty.first + (ty.count - 1) * ty.step, tx.first + (tx.count - 1) * tx.step],
      ends: [
        ty.first > 0 ? ty.first - 1 : -geo.kernel[0]! - 1,
        tx.first > 0 ? tx.first - 1 : -geo.kernel[1]! - 1,
      ],
      steps: [-ty.step, -tx.step],
    };
    // A stride-1 conv's output is in + before + after - d * (k - 1): solve for `after` so it is rows/cols long.
    const afterY = rows - geo.output[0]! - ty.before + ty.dilation * (ty.count - 1);
    const afterX = cols - geo.output[1]! - tx.before + tx.dilation * (tx.count - 1);
    const pads = [ty.before, tx.before, afterY, afterX];
    return convOfGrad(
      ctx,
      g,
      w,
      transposed,
      geo,
      sub,
      [ty.count, tx.count],
      [ty.dilation, tx.dilation],
      pads,
    );
  };
  const live = taps[0].flatMap((ty, ry) =>
    taps[1].flatMap((tx, rx) => (ty && tx ? [{ ty, tx, ry, rx }] : [])),
  );
  let full: string;
  if (live.length === 1) {
    // One phase holds every tap (the kernel is smaller than the stride): zero-interleave it.
    const { ty, tx, ry, rx } = live[0]!;
    const grid = ctx.op("Reshape", [phase(ty, tx), ctx.ints([geo.n, geo.c, rows, 1, cols, 1])]);
    const pads = [0, 0, 0, ry, 0, rx, 0, 0, 0, sh - 1 - ry, 0, sw - 1 - rx];
    full = ctx.op("Reshape", [
      ctx.op("Pad", [grid, ctx.ints(pads), ctx.scalar("float32", 0)], { mode: { string: "constant" } }),
      ctx.ints([geo.n, geo.c, rows * sh, cols * sw]),
    ]);
  } else {
    const phases = taps[0].map((ty) =>
      taps[1].map((tx) => (ty && tx ? phase(ty, tx) : zerosOf(ctx, "float32", [geo.n, geo.c, rows, cols]))),
    );
    full = interleavePhases(ctx, phases, [geo.n, geo.c, rows, cols]);
  }
  if (rows * sh === h && cols * sw === wd) return ctx.op("Identity", [full], {}, ctx.out);
  return ctx.op("Slice", [full, ctx.ints([0, 0]), ctx.ints([h, wd]), ctx.ints([2, 3])], {}, ctx.out);
}

/**
 * The formulation for one node: the forced one, else (auto) by shape, from resnet18's layers at
 * batch 8 on ORT's CPU kernels (see the README's Performance section): the flipped-weight Conv at
 * stride 1 on planes of 16x16 and up (up to 25% faster at 56x56), and on 14x14 where it runs on
 * the NCHWc kernel (256 channels: 10.8 ms against ConvTranspose's 11.5, 12.2 as ORT's Conv);
 * ConvTranspose otherwise (the per-phase Convs of a strided gradient ran slower than
 * ConvTranspose on every resnet18 shape but the first, NCHWc or not).
 */
export function chooseInputGrad(
  geo: ConvGeometry,
  forced: InputGradFormulation | "auto" | undefined,
  nchwcBlock: number,
): InputGradFormulation {
  if (forced && forced !== "auto") return forced;
  if (!geo.stride.every((s) => s === 1)) return "convTranspose";
  const nchwc = onNchwc(nchwcBlock, gradConvSpec(geo, geo.kernel, geo.dilation, flippedPads(geo)));
  return geo.input[0]! * geo.input[1]! >= 256 || nchwc ? "conv" : "convTranspose";
}

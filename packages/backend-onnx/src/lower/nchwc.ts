// Convolutions on ONNX Runtime's NCHWc kernels (the com.microsoft.nchwc domain of its CPU
// provider): x reordered into blocks of B channels, the weight into the kernel's blocked filter
// layout, the result back to NCHW. ORT's own layout pass (optimization level "all") does this
// only for constant weights; a compiled graph's weights are inputs, so here the filter is
// reordered in the graph each run (ReorderInputs, see `reorderFilter`), small next to the conv.
import type { LoweringContext } from "../context.js";

const DOMAIN = "com.microsoft.nchwc";

/** The IR ops whose lowerings may emit NCHWc kernels: only graphs holding one (in float32) need the block size. */
export const NCHWC_LOWERED_OPS: ReadonlySet<string> = new Set(["conv2d", "conv2dBackwardInput"]);

/** One conv as the NCHWc kernel takes it. */
export interface NchwcConvSpec {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly groups: number;
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  /** [top, left, bottom, right], none negative. */
  readonly pads: readonly number[];
  /** The output plane [oh, ow]. */
  readonly output: readonly number[];
}

/**
 * Whether `spec` runs on the NCHWc kernel, by what measured faster than ORT's Conv (im2col and a
 * GEMM) on 2 cores at batch 8, reorders included (median ms, Conv against NCHWc): the 7x7/2 stem
 * 19.8/15.3, 3x3 convs on 56^2 planes 10.8/8.0, on 28^2 8.6/7.4, on 14^2 9.5/8.3; slower for
 * 3x3 on 7^2 (10.3/16.1) and for 1x1 convs (0.9/1.3 at 7^2, 1.5/1.7 at 28^2). So: spatial
 * kernels with an output of 14x14 and up. Only the layouts MLAS blocks without padding: no groups,
 * output channels a multiple of B, input channels a multiple of B or fewer than B (x then stays
 * NCHW, as for an image).
 */
export function onNchwc(block: number, spec: NchwcConvSpec): boolean {
  return (
    block > 1 &&
    spec.groups === 1 &&
    spec.outChannels % block === 0 &&
    (spec.inChannels % block === 0 || spec.inChannels < block) &&
    spec.kernel[0]! * spec.kernel[1]! > 1 &&
    spec.output[0]! * spec.output[1]! >= 196 &&
    spec.strides.every((s) => s <= 2) &&
    spec.dilations.every((d) => d === 1)
  );
}

/** A Slice of a kernel's spatial dims (a flip, a stride phase's taps): starts, ends and steps for [kh, kw]. */
export interface KernelSlice {
  readonly starts: readonly number[];
  readonly ends: readonly number[];
  readonly steps: readonly number[];
}

/**
 * How the weight handed to `nchwcConv` is laid out when it is not [outChannels, inChannels, ...
 * spec.kernel]: a conv's weight read by its input gradient, [inChannels, outChannels, ...kernel]
 * (the channels trade places), of which the gradient's conv takes `slice` (the flipped kernel).
 */
export interface GradientWeight {
  readonly kernel: readonly number[];
  readonly slice: KernelSlice;
}

/** The indices ONNX's Slice takes along a dim of `size` (negative starts and ends count from the end, then clamp). */
function sliceIndices(size: number, start: number, end: number, step: number): number[] {
  const at = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + size : v, lo), hi);
  const out: number[] = [];
  if (step > 0) for (let v = at(start, 0, size); v < at(end, 0, size); v += step) out.push(v);
  else for (let v = at(start, 0, size - 1); v > at(end, -1, size - 1); v += step) out.push(v);
  return out;
}

/** A gradient weight's kernel slice as flat tap indices into its [kh * kw] taps, row-major. */
const slicedTaps = ({ kernel: [fh, fw], slice: { starts, ends, steps } }: GradientWeight): number[] =>
  sliceIndices(fh!, starts[0]!, ends[0]!, steps[0]!).flatMap((r) =>
    sliceIndices(fw!, starts[1]!, ends[1]!, steps[1]!).map((c) => r * fw! + c),
  );

/**
 * w in MLAS's filter layout: [O/B, I/B, kh, kw, Bi, Bo] for a blocked x, [O/B, I, kh, kw, Bo] for
 * an NCHW one, shaped back to [O, I, kh, kw] as the kernel reads its dims. The moves are NCHWc
 * ReorderInputs, which MLAS runs as blocked SIMD transposes: one takes a channel dim's blocks
 * innermost, so [O, I, K] gives [O, I/B, K, Bi], and the same on [O/B, B, rest] moves Bo behind
 * everything. ORT's Transpose moves such blocks 2-3 times slower (resnet18's 512-channel 3x3
 * weight: 2.1 ms against 4.1 for three Transposes) and one element at a time when the innermost
 * dim changes. A gradient's weight, [I, O, ...from.kernel], is reordered to [I, O/B, K, Bo], its
 * kernel slice (the flip, a stride phase's taps) taken by a Gather of whole Bo blocks over the
 * flat taps (0.35 ms for a 256-channel flip, a Slice 0.6-1.0 and one through the innermost dims
 * 1.7), and two Transposes of whole blocks put O/B in front and Bi behind the taps.
 */
function reorderFilter(
  ctx: LoweringContext,
  w: string,
  spec: NchwcConvSpec,
  from: GradientWeight | undefined,
  blocked: boolean,
): string {
  const b = ctx.nchwcBlock;
  const [o, i] = [spec.outChannels, spec.inChannels];
  const [kh, kw] = spec.kernel as [number, number];
  const k = kh * kw;
  const reshape = (x: string, shape: number[]) => ctx.op("Reshape", [x, ctx.ints(shape)]);
  const reorder = (x: string, shape: number[]) => ctx.opIn(DOMAIN, "ReorderInput", [reshape(x, shape)]);
  let blocks: string;
  if (from) {
    const [fh, fw] = from.kernel as [number, number];
    const byOut = reorder(w, [i, o, fh * fw, 1]);
    const sliced = ctx.op("Gather", [reshape(byOut, [i * (o / b), fh * fw, b]), ctx.ints(slicedTaps(from))], {
      axis: { int: 1 },
    });
    const outFirst = ctx.op("Transpose", [reshape(sliced, [i, o / b, k * b])], { perm: { ints: [1, 0, 2] } });
    blocks = blocked
      ? ctx.op("Transpose", [reshape(outFirst, [(o / b) * (i / b), b, k, b])], {
          perm: { ints: [0, 2, 1, 3] },
        })
      : outFirst;
  } else {
    const inner = blocked ? reorder(w, [o, i, k, 1]) : w;
    blocks = reorder(inner, [o / b, b, i * k, 1]);
  }
  return reshape(blocks, [o, i, kh, kw]);
}

/**
 * The conv of x [N, I, H, W] with w ([O, I, ...spec.kernel], or as `from` says) on the NCHWc
 * kernel, as NCHW.
 */
export function nchwcConv(
  ctx: LoweringContext,
  x: string,
  w: string,
  spec: NchwcConvSpec,
  from: GradientWeight | undefined,
  out?: string,
): string {
  const blocked = spec.inChannels % ctx.nchwcBlock === 0;
  const input = blocked ? ctx.opIn(DOMAIN, "ReorderInput", [x]) : x;
  const y = ctx.opIn(DOMAIN, "Conv", [input, reorderFilter(ctx, w, spec, from, blocked)], {
    kernel_shape: { ints: spec.kernel },
    strides: { ints: spec.strides },
    dilations: { ints: spec.dilations },
    pads: { ints: spec.pads },
    group: { int: 1 },
  });
  return ctx.opIn(DOMAIN, "ReorderOutput", [y], { channels: { int: spec.outChannels } }, out);
}

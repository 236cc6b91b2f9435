// The geometry of one conv node, shared by the conv lowerings and their formulation choices.

export interface ConvAttrs {
  readonly stride: readonly number[];
  readonly padding: readonly number[];
  readonly dilation: readonly number[];
  readonly groups: number;
}

/** x [n, c, ...input] * weight [o, cg, ...kernel] -> [n, o, ...output], spatial dims as [h, w] pairs. */
export interface ConvGeometry extends ConvAttrs {
  readonly x: readonly number[];
  readonly n: number;
  readonly c: number;
  readonly o: number;
  /** Input channels per group, C / G. */
  readonly cg: number;
  readonly kernel: readonly number[];
  readonly input: readonly number[];
  readonly output: readonly number[];
}

export function convGeometry(
  x: readonly number[],
  w: readonly number[],
  y: readonly number[],
  a: ConvAttrs,
): ConvGeometry {
  return {
    stride: a.stride,
    padding: a.padding,
    dilation: a.dilation,
    groups: a.groups,
    x,
    n: x[0]!,
    c: x[1]!,
    o: w[0]!,
    cg: w[1]!,
    kernel: w.slice(2),
    input: x.slice(2),
    output: y.slice(2),
  };
}

/** Multiply-adds of the conv (and of each of its two gradients), times 2. */
export const convFlops = (geo: ConvGeometry): number =>
  2 * geo.n * geo.o * geo.output[0]! * geo.output[1]! * geo.cg * geo.kernel[0]! * geo.kernel[1]!;

/** ONNX pads list begins then ends: [top, left, bottom, right]. */
export const symmetricPads = (p: readonly number[]): number[] => [p[0]!, p[1]!, p[0]!, p[1]!];

/** A Slice end that drops the last `crop` entries of a dim (0: keep them all). */
export const negativeEnd = (crop: number): number => (crop > 0 ? -crop : Number.MAX_SAFE_INTEGER);

import { TensorData } from "@aotjs/ir";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runKernel } from "../src/kernels/run.js";
import { dot, expectClose, numel, rng, uniformTensor } from "./support-kernels.js";

/** Distinct values (a shuffled 0.01-spaced ramp), so each window's argmax survives a small nudge. */
function distinctTensor(shape: number[], seed: number): TensorData {
  const next = rng(seed);
  const data = Float64Array.from({ length: numel(shape) }, (_, i) => i * 0.01 - 1);
  for (let i = data.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [data[i], data[j]] = [data[j]!, data[i]!];
  }
  return new TensorData("float64", shape, data);
}

const grid = (h: number, w: number) =>
  new TensorData(
    "float64",
    [1, 1, h, w],
    Float64Array.from({ length: h * w }, (_, i) => i + 1),
  );

interface Pool {
  kernelSize: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  ceilMode: boolean;
  countIncludePad: boolean;
}

const pool = (o: Partial<Pool> & Pick<Pool, "kernelSize" | "stride">): Pool => ({
  padding: [0, 0],
  dilation: [1, 1],
  ceilMode: false,
  countIncludePad: true,
  ...o,
});
const maxAttrs = ({ countIncludePad: _, ...a }: Pool) => a;
const avgAttrs = ({ dilation: _, ...a }: Pool) => a;

/** PyTorch's output length, written out from its docs (floor/ceil, then drop a window starting past the padding). */
function outLength(size: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const span = (size + 2 * p - d * (k - 1) - 1) / s;
  let out = (ceil ? Math.ceil(span) : Math.floor(span)) + 1;
  if (ceil && (out - 1) * s >= size + p) out--;
  return out;
}

/**
 * Oracle: direct loops over every output and every kernel tap. Max: taps in the padding are
 * skipped (-infinity), a later tap wins only when strictly greater or NaN (PyTorch's rule), and the
 * winner's index is kept for the backward oracle. Avg: PyTorch's divisor, phrased as a count of
 * taps: with countIncludePad, the taps inside the padded input [-p, size + p); else the real ones.
 */
function directPool(x: TensorData, a: Pool) {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [kh, kw] = a.kernelSize;
  const oh = outLength(h, kh, a.stride[0], a.padding[0], a.dilation[0], a.ceilMode);
  const ow = outLength(w, kw, a.stride[1], a.padding[1], a.dilation[1], a.ceilMode);
  const get = (i: number) => Number(x.data[i]!);
  const max = new Float64Array(n * c * oh * ow);
  const argmax = new Int32Array(max.length).fill(-1);
  const avg = new Float64Array(max.length);
  const divisor = new Float64Array(max.length);
  let o = 0;
  for (let plane = 0; plane < n * c; plane++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++, o++) {
        let best = Number.NEGATIVE_INFINITY;
        let sum = 0;
        let real = 0;
        let padded = 0;
        for (let i = 0; i < kh; i++)
          for (let j = 0; j < kw; j++) {
            const iy = oy * a.stride[0] - a.padding[0] + i * a.dilation[0];
            const ix = ox * a.stride[1] - a.padding[1] + j * a.dilation[1];
            if (iy < h + a.padding[0] && ix < w + a.padding[1]) padded++;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
            const index = (plane * h + iy) * w + ix;
            const v = get(index);
            if (argmax[o] === -1 || v > best || Number.isNaN(v)) {
              best = v;
              argmax[o] = index;
            }
            sum += v;
            real++;
          }
        max[o] = best;
        divisor[o] = a.countIncludePad ? padded : real;
        avg[o] = real === 0 ? 0 : sum / divisor[o]!;
      }
  return { shape: [n, c, oh, ow], max, argmax, avg, divisor };
}

const maxPool = (x: TensorData, a: Pool) => runKernel("maxPool2d", [x], maxAttrs(a));
const maxPoolBwd = (g: TensorData, x: TensorData, a: Pool) =>
  runKernel("maxPool2dBackward", [g, x], maxAttrs(a));
const avgPool = (x: TensorData, a: Pool) => runKernel("avgPool2d", [x], avgAttrs(a));
const avgPoolBwd = (g: TensorData, x: TensorData, a: Pool) =>
  runKernel("avgPool2dBackward", [g], { ...avgAttrs(a), inputShape: x.shape });

/** Scatter of gradOut through the oracle's argmax / divisors: the direct backward oracle. */
function directBackward(g: TensorData, x: TensorData, a: Pool) {
  const ref = directPool(x, a);
  const dmax = new Float64Array(x.size);
  ref.argmax.forEach((index, o) => {
    if (index >= 0) dmax[index] += g.data[o] as number;
  });
  const davg = new Float64Array(x.size);
  const [, , h, w] = x.shape as number[];
  const [oh, ow] = ref.shape.slice(2) as [number, number];
  for (let o = 0; o < ref.divisor.length; o++) {
    const [oy, ox, plane] = [Math.floor(o / ow) % oh, o % ow, Math.floor(o / (oh * ow))];
    for (let i = 0; i < a.kernelSize[0]; i++)
      for (let j = 0; j < a.kernelSize[1]; j++) {
        const iy = oy * a.stride[0] - a.padding[0] + i;
        const ix = ox * a.stride[1] - a.padding[1] + j;
        if (iy >= 0 && iy < h! && ix >= 0 && ix < w!)
          davg[(plane * h! + iy) * w! + ix] += (g.data[o] as number) / ref.divisor[o]!;
      }
  }
  return { dmax, davg };
}

const cases: [string, number[], Pool][] = [
  ["k2 s2", [1, 2, 6, 6], pool({ kernelSize: [2, 2], stride: [2, 2] })],
  ["k3 s2 p1 (resnet)", [2, 3, 9, 8], pool({ kernelSize: [3, 3], stride: [2, 2], padding: [1, 1] })],
  ["overlapping k3 s1", [1, 2, 5, 6], pool({ kernelSize: [3, 3], stride: [1, 1] })],
  ["asymmetric", [1, 1, 7, 9], pool({ kernelSize: [2, 4], stride: [1, 3], padding: [1, 2] })],
  ["ceil mode", [1, 2, 7, 6], pool({ kernelSize: [3, 2], stride: [2, 2], ceilMode: true })],
  [
    "ceil mode + padding",
    [1, 2, 6, 7],
    pool({ kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], ceilMode: true }),
  ],
  [
    "ceil mode + padding, stride 3",
    [1, 1, 8, 8],
    pool({ kernelSize: [4, 4], stride: [3, 3], padding: [2, 1], ceilMode: true }),
  ],
  [
    "exclude pad",
    [1, 2, 6, 7],
    pool({ kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], countIncludePad: false }),
  ],
  [
    "exclude pad + ceil",
    [1, 2, 6, 6],
    pool({ kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], ceilMode: true, countIncludePad: false }),
  ],
];
const dilatedCases: [string, number[], Pool][] = [
  [
    "dilation 2",
    [1, 2, 8, 9],
    pool({ kernelSize: [3, 3], stride: [1, 2], dilation: [2, 2], padding: [1, 1] }),
  ],
  [
    "dilation + ceil",
    [1, 1, 9, 8],
    pool({ kernelSize: [2, 3], stride: [2, 2], dilation: [3, 2], padding: [1, 1], ceilMode: true }),
  ],
];

describe("maxPool2d and avgPool2d", () => {
  it.each([...cases, ...dilatedCases])(
    "%s: maxPool2d matches the direct-loop oracle (f64 and f32)",
    (_, shape, a) => {
      const x = uniformTensor("float64", shape, numel(shape));
      const ref = directPool(x, a);
      const y = maxPool(x, a);
      expect(y.shape).toEqual(ref.shape);
      expect(Array.from(y.data as Float64Array)).toEqual(Array.from(ref.max));
      const x32 = new TensorData("float32", shape, Float32Array.from(x.data as Float64Array));
      expect(Array.from(maxPool(x32, a).data as Float32Array)).toEqual(Array.from(directPool(x32, a).max));
    },
  );

  it.each(cases)("%s: avgPool2d matches the direct-loop oracle (f64 and f32)", (_, shape, a) => {
    const x = uniformTensor("float64", shape, numel(shape) + 3);
    const ref = directPool(x, a);
    const y = avgPool(x, a);
    expect(y.shape).toEqual(ref.shape);
    expectClose(y.data as Float64Array, ref.avg, 1e-14);
    const x32 = new TensorData("float32", shape, Float32Array.from(x.data as Float64Array));
    expectClose(avgPool(x32, a).data as Float32Array, directPool(x32, a).avg, 1e-6);
  });

  it.each([...cases, ...dilatedCases])("%s: backward ops match the direct scatter oracle", (_, shape, a) => {
    const x = distinctTensor(shape, numel(shape) + 5);
    const g = uniformTensor("float64", directPool(x, a).shape, 7);
    const ref = directBackward(g, x, a);
    expectClose(maxPoolBwd(g, x, a).data as Float64Array, ref.dmax, 1e-14);
    if (a.dilation[0] === 1 && a.dilation[1] === 1)
      expectClose(avgPoolBwd(g, x, a).data as Float64Array, ref.davg, 1e-14);
  });

  it("matches the oracle on random configurations (fast-check)", () => {
    const config = fc.record({
      k: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
      s: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
      d: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
      padFrac: fc.tuple(fc.boolean(), fc.boolean()),
      extra: fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 })),
      ceilMode: fc.boolean(),
      countIncludePad: fc.boolean(),
      seed: fc.integer({ min: 0, max: 1e6 }),
    });
    fc.assert(
      fc.property(config, (c) => {
        const padding = c.k.map((k, i) => (c.padFrac[i] ? Math.floor(k / 2) : 0)) as [number, number];
        const size = c.k.map((k, i) => Math.max(1, c.d[i]! * (k - 1) + 1 - 2 * padding[i]!) + c.extra[i]!);
        const a = pool({
          kernelSize: c.k,
          stride: c.s,
          padding,
          dilation: c.d,
          ceilMode: c.ceilMode,
          countIncludePad: c.countIncludePad,
        });
        const x = distinctTensor([1, 2, ...size], c.seed);
        const ref = directPool(x, a);
        expect(Array.from(maxPool(x, a).data as Float64Array)).toEqual(Array.from(ref.max));
        const g = uniformTensor("float64", ref.shape, c.seed + 1);
        const back = directBackward(g, x, a);
        expectClose(maxPoolBwd(g, x, a).data as Float64Array, back.dmax, 1e-14);
        const avg = { ...a, dilation: [1, 1] as [number, number] };
        const refAvg = directPool(x, avg);
        expectClose(avgPool(x, avg).data as Float64Array, refAvg.avg, 1e-14);
        const gAvg = uniformTensor("float64", refAvg.shape, c.seed + 2);
        expectClose(avgPoolBwd(gAvg, x, avg).data as Float64Array, directBackward(gAvg, x, avg).davg, 1e-14);
      }),
      { numRuns: 100 },
    );
  });

  it("gives PyTorch's values on hand cases", () => {
    // F.max_pool2d(arange(1, 17).view(1, 1, 4, 4), 2, 2) == [[6, 8], [14, 16]]
    const a2 = pool({ kernelSize: [2, 2], stride: [2, 2] });
    expect(Array.from(maxPool(grid(4, 4), a2).data as Float64Array)).toEqual([6, 8, 14, 16]);
    // F.max_pool2d(arange(1, 26).view(1, 1, 5, 5), 2, 2, ceil_mode=True): the last row and column
    // windows hang past the input and are clipped.
    const y = maxPool(grid(5, 5), { ...a2, ceilMode: true });
    expect(y.shape).toEqual([1, 1, 3, 3]);
    expect(Array.from(y.data as Float64Array)).toEqual([7, 9, 10, 17, 19, 20, 22, 24, 25]);
    // F.avg_pool2d(arange(1, 26).view(1, 1, 5, 5), 3, 2, 1, ceil_mode=True): the window rows and
    // columns are {0,1}, {1,2,3}, {3,4}; window sums worked by hand.
    const sums = [16, 33, 28, 69, 117, 87, 76, 123, 88];
    const k3 = pool({ kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], ceilMode: true });
    expectClose(
      avgPool(grid(5, 5), k3).data as Float64Array,
      sums.map((s) => s / 9),
      1e-15,
    );
    const counts = [4, 6, 4, 6, 9, 6, 4, 6, 4];
    const exclude = avgPool(grid(5, 5), { ...k3, countIncludePad: false }).data as Float64Array;
    expectClose(
      exclude,
      sums.map((s, i) => s / counts[i]!),
      1e-15,
    );
    // On 6x6 ceil mode adds a 4th window starting at 5 whose kernel runs past the right padding:
    // PyTorch divides by the window clipped to the padded input (2 x 2 = 4 for the corner, 3 x 2 for
    // the top-right), not the full 9, nor (with countIncludePad false) by more than the 1 real element.
    const six = avgPool(grid(6, 6), k3);
    expect(six.shape).toEqual([1, 1, 4, 4]);
    expect((six.data as Float64Array)[15]).toBeCloseTo(36 / 4, 14);
    expect((six.data as Float64Array)[3]).toBeCloseTo((6 + 12) / 6, 14);
    const sixEx = avgPool(grid(6, 6), { ...k3, countIncludePad: false }).data as Float64Array;
    expect(sixEx[15]).toBe(36);
    expect(sixEx[3]).toBe(9);
  });

  it("propagates NaN as the max and routes its gradient to the last NaN, as PyTorch does", () => {
    const x = new TensorData("float64", [1, 1, 2, 2], new Float64Array([1, Number.NaN, 3, Number.NaN]));
    const a = pool({ kernelSize: [2, 2], stride: [2, 2] });
    expect((maxPool(x, a).data as Float64Array)[0]).toBeNaN();
    const g = new TensorData("float64", [1, 1, 1, 1], new Float64Array([1]));
    expect(Array.from(maxPoolBwd(g, x, a).data as Float64Array)).toEqual([0, 0, 0, 1]);
  });

  it("sends tied gradients to the first maximum in row-major window order", () => {
    const x = new TensorData("float64", [1, 1, 4, 4], new Float64Array(16).fill(2));
    const a = pool({ kernelSize: [3, 3], stride: [1, 1] });
    const g = new TensorData("float64", [1, 1, 2, 2], new Float64Array([1, 10, 100, 1000]));
    // Window (oy, ox) starts at (oy, ox), which is also its first element.
    expect(Array.from(maxPoolBwd(g, x, a).data as Float64Array)).toEqual([
      1, 10, 0, 0, 100, 1000, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
  });

  it("yields -infinity and no gradient for a dilated window that misses the input", () => {
    // Taps at -1 and 1 on a 1-wide input: both in the padding. (PyTorch reads out of bounds here.)
    const x = new TensorData("float64", [1, 1, 1, 1], new Float64Array([5]));
    const a = pool({ kernelSize: [2, 2], stride: [1, 1], padding: [1, 1], dilation: [2, 2] });
    expect(Array.from(maxPool(x, a).data as Float64Array)).toEqual([Number.NEGATIVE_INFINITY]);
    const g = new TensorData("float64", [1, 1, 1, 1], new Float64Array([1]));
    expect(Array.from(maxPoolBwd(g, x, a).data as Float64Array)).toEqual([0]);
  });

  it("max-pools int32 and int64 (exactly beyond 2^53)", () => {
    const a = pool({ kernelSize: [2, 2], stride: [1, 1], padding: [1, 1] });
    const next = rng(3);
    const ints = Int32Array.from({ length: 20 }, () => Math.floor(next() * 2e9) - 1e9);
    const x32 = new TensorData("int32", [1, 1, 4, 5], ints);
    const y32 = maxPool(x32, a);
    expect(y32.dtype).toBe("int32");
    expect(Array.from(y32.data as Int32Array)).toEqual(Array.from(directPool(x32, a).max));
    const big = 2n ** 60n;
    const x64 = new TensorData("int64", [1, 1, 2, 2], new BigInt64Array([big, big + 1n, -big, big - 1n]));
    const y64 = maxPool(x64, pool({ kernelSize: [2, 2], stride: [2, 2] }));
    expect(Array.from(y64.data as BigInt64Array)).toEqual([big + 1n]);
    const g64 = new TensorData("int64", [1, 1, 1, 1], new BigInt64Array([7n]));
    const d64 = maxPoolBwd(g64, x64, pool({ kernelSize: [2, 2], stride: [2, 2] }));
    expect(Array.from(d64.data as BigInt64Array)).toEqual([0n, 7n, 0n, 0n]);
  });

  it("backward ops match central finite differences (float64)", () => {
    const eps = 1e-5;
    for (const a of [
      pool({ kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], ceilMode: true }),
      pool({ kernelSize: [2, 3], stride: [1, 2], padding: [1, 1], dilation: [2, 1] }),
    ]) {
      // Values 0.01 apart, so a nudge of 1e-5 never changes a window's argmax.
      const x = distinctTensor([1, 2, 6, 5], 31);
      const g = uniformTensor("float64", directPool(x, a).shape, 32);
      const dMax = maxPoolBwd(g, x, a).data as Float64Array;
      const avg = { ...a, dilation: [1, 1] as [number, number] };
      const gAvg = uniformTensor("float64", directPool(x, avg).shape, 33);
      const dAvg = avgPoolBwd(gAvg, x, avg).data as Float64Array;
      const p = x.data as Float64Array;
      for (let i = 0; i < p.length; i++) {
        const keep = p[i]!;
        const at = (v: number) => {
          p[i] = v;
          const r = [dot(maxPool(x, a), g), dot(avgPool(x, avg), gAvg)];
          p[i] = keep;
          return r;
        };
        const [upMax, upAvg] = at(keep + eps) as [number, number];
        const [downMax, downAvg] = at(keep - eps) as [number, number];
        expect((upMax - downMax) / (2 * eps)).toBeCloseTo(dMax[i]!, 6);
        expect((upAvg - downAvg) / (2 * eps)).toBeCloseTo(dAvg[i]!, 6);
      }
    }
  });

  it("avgPool2dBackward is the adjoint of avgPool2d: <avg(x), g> == <x, avgBwd(g)>", () => {
    for (const [, shape, a] of cases) {
      const x = uniformTensor("float64", shape, 41);
      const y = avgPool(x, a);
      const g = uniformTensor("float64", [...y.shape], 42);
      const lhs = dot(y, g);
      expect(Math.abs(dot(x, avgPoolBwd(g, x, a)) - lhs)).toBeLessThan(1e-12 * Math.max(1, Math.abs(lhs)));
    }
  });

  it("names the op and shapes on bad input", () => {
    const x = TensorData.zeros("float32", [1, 1, 2, 2]);
    expect(() => maxPool(x, pool({ kernelSize: [3, 3], stride: [1, 1] }))).toThrow(
      /maxPool2d.*f32\[1,1,2,2\]/,
    );
    const g = TensorData.zeros("float32", [1, 1, 2, 2]);
    expect(() =>
      avgPoolBwd(g, TensorData.zeros("float32", [1, 1, 6, 6]), pool({ kernelSize: [2, 2], stride: [2, 2] })),
    ).toThrow(/avgPool2dBackward/);
  });
});

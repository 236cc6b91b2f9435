import { TensorData } from "@aotjs/ir";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runKernel } from "../src/kernels/run.js";
import { dot, expectClose, numel, uniformTensor } from "./support-kernels.js";

const asF64 = (t: TensorData) =>
  new TensorData("float64", t.shape, Float64Array.from(t.data as Float32Array));

interface Conv {
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
}

/**
 * Oracle: the direct convolution, seven nested loops in float64. The same loops scatter
 * gradOut * weight into dx and gradOut * x into dw, which gives a direct oracle for both backward ops.
 */
function directConv(x: TensorData, w: TensorData, a: Conv, gradOut?: TensorData) {
  const [n, c, h, wd] = x.shape as [number, number, number, number];
  const [o, cg, kh, kw] = w.shape as [number, number, number, number];
  const og = o / a.groups;
  const oh = Math.floor((h + 2 * a.padding[0] - a.dilation[0] * (kh - 1) - 1) / a.stride[0]) + 1;
  const ow = Math.floor((wd + 2 * a.padding[1] - a.dilation[1] * (kw - 1) - 1) / a.stride[1]) + 1;
  const xd = x.data as Float64Array;
  const wdt = w.data as Float64Array;
  const y = new Float64Array(n * o * oh * ow);
  const dx = new Float64Array(x.size);
  const dw = new Float64Array(w.size);
  const g = gradOut?.data as Float64Array | undefined;
  for (let b = 0; b < n; b++)
    for (let oc = 0; oc < o; oc++)
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++) {
          const yi = ((b * o + oc) * oh + oy) * ow + ox;
          const grp = Math.floor(oc / og);
          for (let ic = 0; ic < cg; ic++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const iy = oy * a.stride[0] - a.padding[0] + i * a.dilation[0];
                const ix = ox * a.stride[1] - a.padding[1] + j * a.dilation[1];
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                const xi = ((b * c + grp * cg + ic) * h + iy) * wd + ix;
                const wi = ((oc * cg + ic) * kh + i) * kw + j;
                y[yi] += xd[xi]! * wdt[wi]!;
                if (g) {
                  dx[xi] += g[yi]! * wdt[wi]!;
                  dw[wi] += g[yi]! * xd[xi]!;
                }
              }
        }
  return { shape: [n, o, oh, ow], y, dx, dw };
}

const conv = (x: TensorData, w: TensorData, a: Conv) => runKernel("conv2d", [x, w], a);
const convBwdInput = (g: TensorData, w: TensorData, a: Conv, x: TensorData) =>
  runKernel("conv2dBackwardInput", [g, w], { ...a, inputShape: x.shape });
const convBwdWeight = (g: TensorData, x: TensorData, a: Conv, w: TensorData) =>
  runKernel("conv2dBackwardWeight", [g, x], { ...a, weightShape: w.shape });

/** Runs all three ops in float64 and checks them against the direct loops and the adjoint identity. */
function checkFloat64(xShape: number[], wShape: number[], a: Conv, seed: number): void {
  const x = uniformTensor("float64", xShape, seed);
  const w = uniformTensor("float64", wShape, seed + 1);
  const y = conv(x, w, a);
  const g = uniformTensor("float64", [...y.shape], seed + 2);
  const ref = directConv(x, w, a, g);
  expect(y.shape).toEqual(ref.shape);
  expectClose(y.data as Float64Array, ref.y, 1e-12);
  const dx = convBwdInput(g, w, a, x);
  const dw = convBwdWeight(g, x, a, w);
  expect(dx.shape).toEqual(xShape);
  expect(dw.shape).toEqual(wShape);
  expectClose(dx.data as Float64Array, ref.dx, 1e-12);
  expectClose(dw.data as Float64Array, ref.dw, 1e-12);
  // Adjoint identity: <conv(x, w), g> == <x, convBwdInput(g, w)> == <w, convBwdWeight(g, x)>.
  const lhs = dot(y, g);
  const scale = Math.max(1, Math.abs(lhs));
  expect(Math.abs(dot(x, dx) - lhs) / scale).toBeLessThan(1e-12);
  expect(Math.abs(dot(w, dw) - lhs) / scale).toBeLessThan(1e-12);
}

/** Float32 kernels against the float64 direct loops on the same (float32-representable) values. */
function checkFloat32(xShape: number[], wShape: number[], a: Conv, seed: number): void {
  const x = uniformTensor("float32", xShape, seed);
  const w = uniformTensor("float32", wShape, seed + 1);
  const y = conv(x, w, a);
  expect(y.dtype).toBe("float32");
  const g = uniformTensor("float32", [...y.shape], seed + 2);
  const ref = directConv(asF64(x), asF64(w), a, asF64(g));
  expectClose(y.data as Float32Array, ref.y, 1e-5);
  expectClose(convBwdInput(g, w, a, x).data as Float32Array, ref.dx, 1e-5);
  expectClose(convBwdWeight(g, x, a, w).data as Float32Array, ref.dw, 1e-5);
}

const attrs = (o: Partial<Conv> = {}): Conv => ({
  stride: [1, 1],
  padding: [0, 0],
  dilation: [1, 1],
  groups: 1,
  ...o,
});

const cases: [string, number[], number[], Conv][] = [
  ["plain 3x3", [1, 2, 6, 7], [3, 2, 3, 3], attrs()],
  ["stride 2, padding 1", [2, 3, 9, 8], [4, 3, 3, 3], attrs({ stride: [2, 2], padding: [1, 1] })],
  [
    "asymmetric stride, padding and kernel",
    [1, 2, 7, 10],
    [3, 2, 2, 4],
    attrs({ stride: [1, 3], padding: [2, 0] }),
  ],
  ["dilation 2", [1, 2, 9, 9], [2, 2, 3, 3], attrs({ dilation: [2, 2], padding: [2, 1] })],
  ["groups 2", [2, 4, 6, 6], [6, 2, 3, 3], attrs({ groups: 2, padding: [1, 1] })],
  ["depthwise (groups == channels)", [2, 3, 7, 7], [3, 1, 3, 3], attrs({ groups: 3, padding: [1, 1] })],
  [
    "depthwise, multiplier 2",
    [1, 3, 6, 6],
    [6, 1, 3, 3],
    attrs({ groups: 3, stride: [2, 2], padding: [1, 1] }),
  ],
  ["1x1 (input serves as cols)", [2, 16, 8, 8], [32, 16, 1, 1], attrs()],
  ["1x1 stride 2", [1, 4, 7, 7], [5, 4, 1, 1], attrs({ stride: [2, 2] })],
  ["kernel as large as the padded input", [1, 1, 3, 3], [2, 1, 5, 5], attrs({ padding: [1, 1] })],
  ["blocked gemm sizes", [2, 8, 12, 12], [16, 8, 3, 3], attrs({ padding: [1, 1] })],
  ["resnet conv1 in miniature", [1, 3, 20, 20], [8, 3, 7, 7], attrs({ stride: [2, 2], padding: [3, 3] })],
];

describe("conv2d and its backward ops", () => {
  it.each(cases)("%s: float64 matches the direct 7-loop oracle and the adjoint identity", (_, xs, ws, a) => {
    checkFloat64(xs, ws, a, numel(xs) + numel(ws));
  });

  it.each(cases)("%s: float32 agrees with the float64 oracle", (_, xs, ws, a) => {
    checkFloat32(xs, ws, a, numel(xs) * 7 + numel(ws));
  });

  it("matches the direct oracle on random configurations (fast-check)", () => {
    const config = fc.record({
      n: fc.integer({ min: 1, max: 2 }),
      groups: fc.integer({ min: 1, max: 3 }),
      cg: fc.integer({ min: 1, max: 3 }),
      og: fc.integer({ min: 1, max: 3 }),
      kh: fc.integer({ min: 1, max: 4 }),
      kw: fc.integer({ min: 1, max: 4 }),
      sh: fc.integer({ min: 1, max: 3 }),
      sw: fc.integer({ min: 1, max: 3 }),
      ph: fc.integer({ min: 0, max: 2 }),
      pw: fc.integer({ min: 0, max: 2 }),
      dh: fc.integer({ min: 1, max: 3 }),
      dw: fc.integer({ min: 1, max: 3 }),
      extraH: fc.integer({ min: 0, max: 6 }),
      extraW: fc.integer({ min: 0, max: 6 }),
      seed: fc.integer({ min: 0, max: 1e6 }),
    });
    fc.assert(
      fc.property(config, (c) => {
        // The smallest input the dilated kernel fits in once padded, plus some slack.
        const h = Math.max(1, c.dh * (c.kh - 1) + 1 - 2 * c.ph) + c.extraH;
        const w = Math.max(1, c.dw * (c.kw - 1) + 1 - 2 * c.pw) + c.extraW;
        const a: Conv = {
          stride: [c.sh, c.sw],
          padding: [c.ph, c.pw],
          dilation: [c.dh, c.dw],
          groups: c.groups,
        };
        const xs = [c.n, c.cg * c.groups, h, w];
        const ws = [c.og * c.groups, c.cg, c.kh, c.kw];
        checkFloat64(xs, ws, a, c.seed);
        checkFloat32(xs, ws, a, c.seed);
      }),
      { numRuns: 80 },
    );
  });

  it("backward ops match central finite differences (float64)", () => {
    const a = attrs({ stride: [2, 1], padding: [1, 2], dilation: [1, 2], groups: 2 });
    const x = uniformTensor("float64", [1, 4, 5, 6], 21);
    const w = uniformTensor("float64", [4, 2, 3, 2], 22);
    const g = uniformTensor("float64", [...conv(x, w, a).shape], 23);
    const loss = () => dot(conv(x, w, a), g);
    const eps = 1e-6;
    for (const [param, grad] of [
      [x, convBwdInput(g, w, a, x)],
      [w, convBwdWeight(g, x, a, w)],
    ] as const) {
      const p = param.data as Float64Array;
      for (let i = 0; i < p.length; i++) {
        const keep = p[i]!;
        p[i] = keep + eps;
        const up = loss();
        p[i] = keep - eps;
        const down = loss();
        p[i] = keep;
        expect((up - down) / (2 * eps)).toBeCloseTo((grad.data as Float64Array)[i]!, 6);
      }
    }
  });

  it("computes a hand-checked case", () => {
    // x = 1..9 as 3x3, w = all ones 2x2: each output sums a 2x2 patch.
    const x = new TensorData(
      "float32",
      [1, 1, 3, 3],
      Float32Array.from({ length: 9 }, (_, i) => i + 1),
    );
    const w = new TensorData("float32", [1, 1, 2, 2], new Float32Array(4).fill(1));
    expect(Array.from(conv(x, w, attrs()).data as Float32Array)).toEqual([12, 16, 24, 28]);
    // Padding 1, stride 2: windows start at rows/cols -1 and 1, so they cover {1}, {2,3}, {4,7}, {5,6,8,9}.
    const padded = conv(x, w, attrs({ stride: [2, 2], padding: [1, 1] }));
    expect(Array.from(padded.data as Float32Array)).toEqual([1, 5, 11, 28]);
  });

  it("names the op and shapes on bad input", () => {
    const x = TensorData.zeros("float32", [1, 3, 5, 5]);
    expect(() => conv(x, TensorData.zeros("float32", [4, 2, 3, 3]), attrs())).toThrow(
      /conv2d.*f32\[1,3,5,5\]/,
    );
    expect(() => conv(x, TensorData.zeros("float32", [4, 3, 3, 3]), attrs({ groups: 2 }))).toThrow(
      /conv2d.*groups/,
    );
  });
});

// A second, independent oracle: TensorFlow.js's own autodiff (`tf.grads` on the `cpu` backend).
// For every differentiable catalog op and every sample of @aotjs/op-samples (but the `forwardOnly`
// edge values: NaN, infinities, empty tensors), in float32, the gradients of sum(op(...inputs) * w)
// from aotjs's eager engine must match TF.js's within 1e-4 relative. Each op maps to its TF.js equivalent; where TF.js lacks one, it is built from TF.js
// ops that have gradients (noted per entry). What cannot be compared is collected and must equal
// the hard-coded NOT_COMPARED list (also in the README), so the list can't silently grow.
import { checkNode, isFloating, type OpAttrs, type OpName, opNames, TensorData, Value } from "@aotjs/ir";
import { dispatch, type Tensor } from "@aotjs/tensor";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, test } from "vitest";
import { derivativeRules, gradSync, notDifferentiable } from "../src/index.js";
import { expectClose, makeSamples, rng, type Sample, uniform } from "./support.js";

/** A TF.js function computing the op from TF.js tensors, or the reason this sample can't be compared. */
type TfOp<K extends OpName> = (
  xs: tf.Tensor[],
  attrs: OpAttrs<K>,
  out: readonly number[],
) => tf.Tensor | string;
type TfTable = { readonly [K in OpName]: TfOp<K> | "notDifferentiable" };

const NOT_COMPARED = [
  "amax [ties [2,3] dims [1]]: TF.js gives every tied maximum the full gradient; aotjs shares it (PyTorch)",
  "amin [ties [2,3] dims [1]]: TF.js gives every tied maximum the full gradient; aotjs shares it (PyTorch)",
  "maximum [ties at every other element]: TF.js gives a tie to the first input; aotjs splits it evenly (PyTorch)",
  "minimum [ties at every other element]: TF.js gives a tie to the first input; aotjs splits it evenly (PyTorch)",
  "pow [integer exponents]: TF.js zeroes d/db a^b where a <= 0; aotjs gives NaN for a < 0 (PyTorch)",
];

// ---- layout helpers: aotjs is NCHW/OIHW, TF.js is NHWC/HWIO ----
const nhwc = (x: tf.Tensor) => tf.transpose(x, [0, 2, 3, 1]);
const nchw = (x: tf.Tensor) => tf.transpose(x, [0, 3, 1, 2]);
const hwio = (w: tf.Tensor) => tf.transpose(w, [2, 3, 1, 0]);
type Pads = [[number, number], [number, number], [number, number], [number, number]];
const explicit = (p: readonly number[]): Pads => [
  [0, 0],
  [p[0]!, p[0]!],
  [p[1]!, p[1]!],
  [0, 0],
];
const pair = (p: readonly number[]) => [p[0]!, p[1]!] as [number, number];
const isOne = (p: readonly number[]) => p.every((v) => v === 1);
/** Grouped convolutions: split each operand's channel axis into `groups` parts, run, concat. */
const grouped = (
  groups: number,
  parts: [tf.Tensor, number][],
  axis: number,
  f: (...xs: tf.Tensor[]) => tf.Tensor,
) => {
  if (groups === 1) return f(...parts.map(([t]) => t)); // TF.js's split gradient fails for one part
  const split = parts.map(([t, ax]) => tf.split(t, groups, ax));
  return tf.concat(
    Array.from({ length: groups }, (_, g) => f(...split.map((s) => s[g]!))),
    axis,
  );
};
/** Move `dim` last: the permutation and its inverse. */
const moveLast = (rank: number, dim: number) => {
  const perm = [...Array.from({ length: rank }, (_, i) => i).filter((i) => i !== dim), dim];
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return { perm, inverse };
};
/** Insert d-1 zeros between the taps of the two trailing (spatial) axes: a dilated kernel. */
function dilate(t: tf.Tensor, d: readonly number[]): tf.Tensor {
  let r = t;
  [2, 3].forEach((axis, k) => {
    const f = d[k]!;
    if (f === 1) return;
    const n = r.shape[axis]!;
    const e = tf.expandDims(r, axis + 1);
    const spaced = tf.pad(
      e,
      e.shape.map((_, j) => [0, j === axis + 1 ? f - 1 : 0] as [number, number]),
    );
    const merged = tf.reshape(
      spaced,
      r.shape.map((s, j) => (j === axis ? n * f : s)),
    );
    r = tf.slice(
      merged,
      merged.shape.map(() => 0),
      merged.shape.map((s, j) => (j === axis ? (n - 1) * f + 1 : s)),
    );
  });
  return r;
}
interface PoolAttrs {
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly padding: readonly number[];
  readonly dilation?: readonly number[];
  readonly countIncludePad?: boolean;
}
/** Along spatial dim d: `before` padding, and `length`, the padded extent the windows cover exactly. */
function poolGeometry(size: number, a: PoolAttrs, out: number, d: number) {
  const span = (a.kernelSize[d]! - 1) * (a.dilation?.[d] ?? 1) + 1;
  return { before: a.padding[d]!, length: (out - 1) * a.stride[d]! + span, size };
}
/** Pad (or crop) an NHWC tensor so valid pooling sees exactly the windows of the op. */
function padForPool(x: tf.Tensor, a: PoolAttrs, out: readonly number[], value: number): tf.Tensor {
  const [gh, gw] = [0, 1].map((d) => poolGeometry(x.shape[d + 1]!, a, out[d + 2]!, d));
  const after = (g: typeof gh) => Math.max(0, g!.length - g!.before - g!.size);
  const padded = tf.pad(
    x,
    [
      [0, 0],
      [gh!.before, after(gh)],
      [gw!.before, after(gw)],
      [0, 0],
    ],
    value,
  );
  return tf.slice(padded, [0, 0, 0, 0], [x.shape[0]!, gh!.length, gw!.length, x.shape[3]!]);
}
/** 1 where an average pool counts a position (the padding too with countIncludePad), as [1,H,W,1]. */
function countMask(shape: readonly number[], a: PoolAttrs, out: readonly number[]): tf.Tensor {
  const [h, w] = [shape[2]!, shape[3]!];
  if (!a.countIncludePad) return padForPool(tf.ones([1, h, w, 1]), a, out, 0);
  const [ph, pw] = pair(a.padding);
  const noPad = { ...a, padding: [0, 0] };
  return padForPool(tf.ones([1, h + 2 * ph, w + 2 * pw, 1]), noPad, out, 0);
}
/** Undo padForPool on a gradient: crop the padding, zero-fill what the windows never reached. */
function cropFromPool(
  t: tf.Tensor,
  g: ReturnType<typeof poolGeometry>[],
  size: readonly number[],
): tf.Tensor {
  const keep = g.map((x, d) => Math.min(size[d]!, x.length - x.before));
  const inside = tf.slice(
    t,
    [0, g[0]!.before, g[1]!.before, 0],
    [t.shape[0]!, keep[0]!, keep[1]!, t.shape[3]!],
  );
  return tf.pad(inside, [
    [0, 0],
    [0, size[0]! - keep[0]!],
    [0, size[1]! - keep[1]!],
    [0, 0],
  ]);
}
const TIES = "TF.js gives a tie to the first input; aotjs splits it evenly (PyTorch)";
const EXTREME_TIES = "TF.js gives every tied maximum the full gradient; aotjs shares it (PyTorch)";
const hasTie = (a: tf.Tensor, b: tf.Tensor) => tf.any(tf.equal(a, b)).dataSync()[0] === 1;
const hasTiedExtreme = (x: tf.Tensor, dims: readonly number[], f: typeof tf.max) =>
  tf.sum(tf.cast(tf.equal(x, f(x, [...dims], true)), "int32")).dataSync()[0] !==
  tf.sum(tf.onesLike(f(x, [...dims], true))).dataSync()[0];

const tfOps: TfTable = {
  neg: ([x]) => tf.neg(x!),
  abs: ([x]) => tf.abs(x!),
  sign: ([x]) => tf.sign(x!),
  exp: ([x]) => tf.exp(x!),
  log: ([x]) => tf.log(x!),
  sqrt: ([x]) => tf.sqrt(x!),
  rsqrt: ([x]) => tf.rsqrt(x!),
  reciprocal: ([x]) => tf.reciprocal(x!),
  sin: ([x]) => tf.sin(x!),
  cos: ([x]) => tf.cos(x!),
  tanh: ([x]) => tf.tanh(x!),
  sigmoid: ([x]) => tf.sigmoid(x!),
  relu: ([x]) => tf.relu(x!),
  erf: ([x]) => tf.erf(x!),
  logicalNot: "notDifferentiable",
  add: ([a, b]) => tf.add(a!, b!),
  sub: ([a, b]) => tf.sub(a!, b!),
  mul: ([a, b]) => tf.mul(a!, b!),
  div: ([a, b]) => tf.div(a!, b!),
  pow: ([a, b]) =>
    tf.any(tf.lessEqual(a!, 0)).dataSync()[0]
      ? "TF.js zeroes d/db a^b where a <= 0; aotjs gives NaN for a < 0 (PyTorch)"
      : tf.pow(a!, b!),
  // TF.js's Maximum/Minimum gradients do not reduce broadcast dims: broadcast explicitly first.
  maximum: ([a, b], _, out) =>
    hasTie(a!, b!) ? TIES : tf.maximum(tf.broadcastTo(a!, [...out]), tf.broadcastTo(b!, [...out])),
  minimum: ([a, b], _, out) =>
    hasTie(a!, b!) ? TIES : tf.minimum(tf.broadcastTo(a!, [...out]), tf.broadcastTo(b!, [...out])),
  eq: "notDifferentiable",
  ne: "notDifferentiable",
  lt: "notDifferentiable",
  le: "notDifferentiable",
  gt: "notDifferentiable",
  ge: "notDifferentiable",
  logicalAnd: "notDifferentiable",
  logicalOr: "notDifferentiable",
  where: ([c, a, b]) => tf.where(c!, a!, b!),
  cast: ([x]) => tf.cast(x!, "float32"),
  sum: ([x], a) => tf.sum(x!, [...a.dims], a.keepdim),
  mean: ([x], a) => (a.dims.length ? tf.mean(x!, [...a.dims], a.keepdim) : x!),
  amax: ([x], a) => (hasTiedExtreme(x!, a.dims, tf.max) ? EXTREME_TIES : tf.max(x!, [...a.dims], a.keepdim)),
  amin: ([x], a) => (hasTiedExtreme(x!, a.dims, tf.min) ? EXTREME_TIES : tf.min(x!, [...a.dims], a.keepdim)),
  argmax: "notDifferentiable",
  reshape: ([x], a) => tf.reshape(x!, [...a.shape]),
  permute: ([x], a) => tf.transpose(x!, [...a.dims]),
  expand: ([x], a) => tf.broadcastTo(x!, [...a.shape]),
  // tf.squeeze with no axes squeezes every size-1 dim; aotjs's dims [] squeezes none.
  squeeze: ([x], a) => (a.dims.length ? tf.squeeze(x!, [...a.dims]) : x!),
  unsqueeze: ([x], a) => [...a.dims].sort((p, q) => p - q).reduce((t, d) => tf.expandDims(t, d), x!),
  // Step > 1 as tf.gather of the selected positions: TF.js's stridedSlice has no gradient.
  slice: ([x], a) => {
    if (a.step === 1) {
      const begin = x!.shape.map((_, d) => (d === a.dim ? a.start : 0));
      return tf.slice(
        x!,
        begin,
        x!.shape.map((s, d) => (d === a.dim ? a.end - a.start : s)),
      );
    }
    return tf.gather(x!, tf.range(a.start, a.end, a.step, "int32"), a.dim);
  },
  concat: (xs, a) => tf.concat(xs, a.dim),
  pad: ([x], a) =>
    tf.pad(
      x!,
      a.before.map((b, i) => [b, a.after[i]!] as [number, number]),
      a.value,
    ),
  // torch.gather as tf.gather with batchDims 1: move dim last, flatten the other dims into a batch.
  gather: ([x, index], a) => {
    const { perm, inverse } = moveLast(x!.rank, a.dim);
    const xs = tf.slice(
      x!,
      x!.shape.map(() => 0),
      index!.shape.map((s, d) => (d === a.dim ? x!.shape[d]! : s)),
    );
    const xt = tf.transpose(xs, perm);
    const it = tf.transpose(index!, perm);
    const batch = it.shape.slice(0, -1).reduce((p, q) => p * q, 1);
    const out = tf.gather(
      tf.reshape(xt, [batch, xt.shape.at(-1)!]),
      tf.reshape(it, [batch, it.shape.at(-1)!]),
      1,
      1,
    );
    return tf.transpose(tf.reshape(out, it.shape), inverse);
  },
  // TF.js's scatterND has no gradient: built from tf.oneHot (one-hot rows of the index), mul and sum.
  scatterAdd: ([x, index, src], a) => {
    const { perm, inverse } = moveLast(x!.rank, a.dim);
    const it = tf.transpose(index!, perm);
    const oneHot = tf.oneHot(it, x!.shape[a.dim]!, 1, 0, "float32");
    const contrib = tf.transpose(
      tf.sum(tf.mul(oneHot, tf.expandDims(tf.transpose(src!, perm), -1)), -2),
      inverse,
    );
    return tf.add(
      x!,
      tf.pad(
        contrib,
        x!.shape.map((s, d) => [0, s - contrib.shape[d]!] as [number, number]),
      ),
    );
  },
  // TF.js's BatchMatMul gradient does not reduce broadcast batch dims: broadcast explicitly first.
  matmul: ([a, b], _, out) => {
    const batch = out.slice(0, -2);
    return tf.matMul(
      tf.broadcastTo(a!, [...batch, ...a!.shape.slice(-2)]),
      tf.broadcastTo(b!, [...batch, ...b!.shape.slice(-2)]),
    );
  },
  // Dilation as a zero-inserted kernel: TF.js's conv2d gradient refuses dilation > 1.
  conv2d: ([x, w], a) => {
    const conv = (xg: tf.Tensor, wg: tf.Tensor) =>
      tf.conv2d(
        xg as tf.Tensor4D,
        hwio(dilate(wg, a.dilation)) as tf.Tensor4D,
        pair(a.stride),
        explicit(a.padding),
        "NHWC",
      );
    return nchw(
      grouped(
        a.groups,
        [
          [nhwc(x!), 3],
          [w!, 0],
        ],
        3,
        conv,
      ),
    );
  },
  conv2dBackwardInput: ([gy, w], a) => {
    const [n, c, h, wd] = a.inputShape as [number, number, number, number];
    const convT = (gg: tf.Tensor, wg: tf.Tensor) =>
      tf.conv2dTranspose(
        gg as tf.Tensor4D,
        hwio(dilate(wg, a.dilation)) as tf.Tensor4D,
        [n, h, wd, c / a.groups],
        pair(a.stride),
        explicit(a.padding),
      );
    return nchw(
      grouped(
        a.groups,
        [
          [nhwc(gy!), 3],
          [w!, 0],
        ],
        3,
        convT,
      ),
    );
  },
  // dW[o,c,i,j] = sum gy[n,o,y,x] x[n,c,y*s+i*d,x*s+j*d]: a conv of x (batch and channels swapped)
  // with the zero-inserted gy as the filter, then taps i*d of the result.
  conv2dBackwardWeight: ([gy, x], a) => {
    const [, , kh, kw] = a.weightShape as [number, number, number, number];
    const dw = (gg: tf.Tensor, xg: tf.Tensor) => {
      const filter = tf.transpose(dilate(gg, a.stride), [2, 3, 0, 1]) as tf.Tensor4D;
      let r = tf.conv2d(
        tf.transpose(xg, [1, 2, 3, 0]) as tf.Tensor4D,
        filter,
        [1, 1],
        explicit(a.padding),
        "NHWC",
      ) as tf.Tensor;
      r = tf.gather(r, tf.range(0, (kh - 1) * a.dilation[0]! + 1, a.dilation[0]!, "int32"), 1);
      r = tf.gather(r, tf.range(0, (kw - 1) * a.dilation[1]! + 1, a.dilation[1]!, "int32"), 2);
      return tf.transpose(r, [3, 0, 1, 2]);
    };
    return grouped(
      a.groups,
      [
        [gy!, 1],
        [x!, 1],
      ],
      0,
      dw,
    );
  },
  // Pools run 'valid' on an explicitly padded input: TF.js's numeric padding, its ceil rounding in
  // gradients and its avgPool gradient with padding are not reliable (see the README).
  // Dilation with stride > 1 (which tf.pool refuses): pool at stride 1, then keep every stride-th window.
  maxPool2d: ([x], a, out) => {
    const xp = padForPool(nhwc(x!), a, out, Number.NEGATIVE_INFINITY);
    if (isOne(a.dilation)) {
      return nchw(tf.maxPool(xp as tf.Tensor4D, pair(a.kernelSize), pair(a.stride), "valid"));
    }
    const dense = tf.pool(xp as tf.Tensor4D, pair(a.kernelSize), "max", "valid", pair(a.dilation), 1);
    const strided = [0, 1].reduce(
      (t, d) =>
        a.stride[d] === 1
          ? t
          : tf.gather(t, tf.range(0, out[d + 2]! * a.stride[d]!, a.stride[d]!, "int32"), d + 1),
      dense as tf.Tensor,
    );
    return nchw(strided);
  },
  maxPool2dBackward: "notDifferentiable",
  avgPool2d: ([x], a, out) => {
    const pool = (t: tf.Tensor) => tf.avgPool(t as tf.Tensor4D, pair(a.kernelSize), pair(a.stride), "valid");
    return nchw(tf.div(pool(padForPool(nhwc(x!), a, out, 0)), pool(countMask(x!.shape, a, out))));
  },
  // TF.js's AvgPoolGrad has no gradient: divide by each window's count, then spread each gradient
  // over its window with a transposed conv of ones, and crop the padding.
  avgPool2dBackward: ([gy], a) => {
    const [n, c, h, w] = a.inputShape as [number, number, number, number];
    const out = gy!.shape;
    const pool = (t: tf.Tensor) => tf.avgPool(t as tf.Tensor4D, pair(a.kernelSize), pair(a.stride), "valid");
    const divided = tf.div(
      tf.reshape(gy!, [n * c, out[2]!, out[3]!, 1]),
      tf.mul(pool(countMask(a.inputShape, a, out)), a.kernelSize[0]! * a.kernelSize[1]!),
    );
    const [gh, gw] = [0, 1].map((d) => poolGeometry(a.inputShape[d + 2]!, a, out[d + 2]!, d));
    const spread = tf.conv2dTranspose(
      divided as tf.Tensor4D,
      tf.ones([a.kernelSize[0]!, a.kernelSize[1]!, 1, 1]) as tf.Tensor4D,
      [n * c, gh!.length, gw!.length, 1],
      pair(a.stride),
      "valid",
    );
    return tf.reshape(cropFromPool(spread, [gh!, gw!], [h, w]), [n, c, h, w]);
  },
  full: "notDifferentiable",
  arange: "notDifferentiable",
  uniform: "notDifferentiable",
  bernoulli: "notDifferentiable",
  // tf.softmax/logSoftmax normalize the last dim: move `dim` there and back.
  softmax: ([x], a) => lastDim(x!, a.dim, (t) => tf.softmax(t)),
  logSoftmax: ([x], a) => lastDim(x!, a.dim, (t) => tf.logSoftmax(t)),
  // Training-mode batch norm from tf.moments over every axis but 1; weight and bias as [1, C, 1, ...].
  batchNorm: ([x, w, b], a) => {
    const axes = x!.shape.map((_, i) => i).filter((i) => i !== 1);
    const channel = x!.shape.map((d, i) => (i === 1 ? d : 1));
    const { mean, variance } = tf.moments(x!, axes, true);
    const y = tf.mul(tf.sub(x!, mean), tf.rsqrt(tf.add(variance, a.eps)));
    return tf.add(tf.mul(y, tf.reshape(w!, channel)), tf.reshape(b!, channel));
  },
  layerNorm: ([x, w, b], a) => {
    const axes = x!.shape.map((_, i) => i).slice(x!.rank - a.normalizedRank);
    const { mean, variance } = tf.moments(x!, axes, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x!, mean), tf.rsqrt(tf.add(variance, a.eps))), w!), b!);
  },
};

function lastDim(x: tf.Tensor, dim: number, f: (t: tf.Tensor) => tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  perm[dim] = x.rank - 1;
  perm[x.rank - 1] = dim;
  return tf.transpose(f(tf.transpose(x, perm)), perm);
}

const toTf = (t: Tensor): tf.Tensor => {
  const values = Array.from(t.toData().data as ArrayLike<number | bigint>, Number);
  const dtype = isFloating(t.dtype) ? "float32" : t.dtype === "bool" ? "bool" : "int32";
  return tf.tensor(values, [...t.shape], dtype);
};
const fromTf = (t: tf.Tensor): TensorData =>
  new TensorData("float32", t.shape, Float32Array.from(t.dataSync() as Float32Array));

/** Within 1e-4 relative: per element, |a - e| <= 1e-4 * (|e| + max |e| over the tensor). */
function expectWithin1e4(actual: Tensor | TensorData, expected: TensorData, what: string) {
  const scale = Math.max(...Array.from(expected.data as Float32Array, Math.abs), 0);
  expectClose(actual, expected, what, 1e-4 * scale + 1e-7, 1e-4);
}

const table = makeSamples();
/** The samples whose gradients are compared: `forwardOnly` ones are edge values no two implementations agree on. */
const samplesOf = (op: OpName) => (table[op] as readonly Sample[]).filter((s) => !s.forwardOnly);

/** A sample in float32 (cast's float64 target too), run eagerly with fresh leaves for its float inputs. */
function prepare(op: OpName, s: Sample) {
  const attrsIn =
    (s.attrs as { dtype?: string } | undefined)?.dtype === "float64"
      ? { ...s.attrs, dtype: "float32" }
      : s.attrs;
  const inputs = s.inputs.map((t) => (isFloating(t.dtype) ? t.to("float32") : t));
  const needs = inputs.map((t) => isFloating(t.dtype));
  const leaves = inputs.map((t, k) => (needs[k] ? t.detach().requiresGrad_() : t));
  const out = dispatch(op, leaves, attrsIn as never);
  const attrs = checkNode(
    op,
    inputs.map((t, k) => new Value(`x${k}`, t.meta)),
    attrsIn,
    undefined,
  ).attrs;
  const fn = tfOps[op] as TfOp<OpName>;
  const tfInputs = inputs.map(toTf);
  return { needs, leaves, out, attrs, fn, tfInputs, probe: () => fn(tfInputs, attrs as never, out.shape) };
}

beforeAll(async () => {
  await tf.setBackend("cpu");
});

test("the table marks exactly the ops with no derivative rule as not differentiable", () => {
  const marked = opNames.filter((op) => tfOps[op] === "notDifferentiable");
  expect(marked).toEqual(opNames.filter((op) => derivativeRules[op] === notDifferentiable));
});

const differentiable = opNames.filter((op) => tfOps[op] !== "notDifferentiable");

test("what cannot be compared is exactly the documented list; everything else is compared", () => {
  const notCompared: string[] = [];
  let compared = 0;
  for (const op of differentiable) {
    for (const s of samplesOf(op)) {
      const { out, probe } = prepare(op, s);
      if (!out.requiresGrad) continue; // no float input or no float output: no gradient at all
      const r = probe();
      if (typeof r === "string") notCompared.push(`${op} [${s.name}]: ${r}`);
      else compared++;
    }
  }
  console.log(
    `comparing ${compared} samples with TF.js; not compared:\n  ${notCompared.sort().join("\n  ")}`,
  );
  expect(notCompared.sort()).toEqual([...NOT_COMPARED].sort());
  expect(compared).toBeGreaterThan(200);
});

describe.each(differentiable)("%s", (op) => {
  const samples = samplesOf(op).map((s, i) => [s.name, s, i] as const);
  test.each(samples)("%s: float32 gradients match tf.grads", (_, s, i) => {
    const { needs, leaves, out, attrs, fn, tfInputs, probe } = prepare(op, s);
    if (!out.requiresGrad) {
      expect(
        needs.some(Boolean) && isFloating(out.dtype),
        "only samples with no float input or output have no gradient",
      ).toBe(false);
      return;
    }
    const expectedOut = probe();
    if (typeof expectedOut === "string") return; // listed in NOT_COMPARED
    expectWithin1e4(out.detach(), fromTf(expectedOut), `${op} forward`);
    const w = uniform(rng(1000 + i), out.shape).to("float32");
    const mine = gradSync(
      [out.mul(w).sum()],
      leaves.filter((_, k) => needs[k]),
      { allowUnused: true },
    );
    const floatPositions = needs.flatMap((n, k) => (n ? [k] : []));
    const tfGrads = tf.grads((...xs: tf.Tensor[]) => {
      const all = tfInputs.map((t, k) => (needs[k] ? xs[floatPositions.indexOf(k)]! : t));
      return tf.sum(tf.mul(fn(all, attrs as never, out.shape) as tf.Tensor, toTf(w)));
    })(floatPositions.map((k) => tfInputs[k]!));
    expect(tfGrads.length).toBe(mine.length);
    tfGrads.forEach((g, k) => {
      expectWithin1e4(mine[k]!, fromTf(g), `${op} gradient of float input ${k}`);
    });
  });
});

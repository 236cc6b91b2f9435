import { allocate, catalog, type DType, numel, type OpAttrsInput, opNames, TensorData } from "@aotjs/ir";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { layoutKernels } from "../src/kernels/layout.js";
import { runKernel } from "../src/kernels/run.js";

type LayoutOp = keyof typeof layoutKernels;
type Elem = number | bigint;

const DTYPES: readonly DType[] = ["float32", "float64", "int32", "int64", "bool"];
const BIG = 2n ** 60n; // int64 test values sit above 2^53, so any trip through a double would show

// ---- helpers ----

function tensor(dtype: DType, shape: readonly number[], vals: readonly Elem[]): TensorData {
  const data = allocate(dtype, vals.length) as unknown as Elem[];
  vals.forEach((v, i) => {
    data[i] = dtype === "int64" ? BigInt(v) : Number(v);
  });
  return new TensorData(dtype, shape, data as never);
}

const values = (t: TensorData): Elem[] => Array.from(t.data as ArrayLike<Elem>);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Element i of a test tensor: distinct per i (except bool), exact in the dtype. */
const elementOf: Record<DType, (i: number) => Elem> = {
  float32: (i) => i * 0.25 - 3,
  float64: (i) => i / 3 + 0.1,
  int32: (i) => i * 7 - 1000,
  int64: (i) => BIG + BigInt(i) * 3n,
  bool: (i) => Math.imul(i + 1, 0x9e3779b1) >>> 31,
};
const iota = (dtype: DType, shape: readonly number[], seed = 0): TensorData =>
  tensor(
    dtype,
    shape,
    range(numel(shape)).map((i) => elementOf[dtype](i + seed * 100_003)),
  );

/** mulberry32: a small seeded generator, so fast-check controls every random choice via its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const randInt = (r: () => number, n: number) => Math.floor(r() * n);

function randomTensor(dtype: DType, shape: readonly number[], r: () => number): TensorData {
  const pick = (): Elem => {
    const k = randInt(r, 2001) - 1000;
    if (dtype === "int64") return 2n ** 54n + BigInt(k); // > 2^53, far from wrapping in small sums
    if (dtype === "bool") return k & 1;
    return dtype === "int32" ? k : k / 8;
  };
  return tensor(dtype, shape, Array.from({ length: numel(shape) }, pick));
}

function unravel(e: number, shape: readonly number[]): number[] {
  const c = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    c[d] = e % shape[d]!;
    e = Math.floor(e / shape[d]!);
  }
  return c;
}
const ravel = (c: readonly number[], shape: readonly number[]) =>
  c.reduce((acc, ci, d) => acc * shape[d]! + ci, 0);

/** The values of a tensor of `shape` whose element at coordinates c is f(c): every coordinate oracle. */
const byCoords = (shape: readonly number[], f: (c: number[]) => Elem): Elem[] =>
  Array.from({ length: numel(shape) }, (_, e) => f(unravel(e, shape)));

/**
 * Run an op through the catalog's shape rule and the kernel, and check the kernel contract
 * (oracle: types.ts): inputs are untouched and the output owns a fresh array.
 */
function run<K extends LayoutOp>(op: K, inputs: readonly TensorData[], attrs?: OpAttrsInput<K>): TensorData {
  const before = inputs.map(values);
  const out = runKernel(op, inputs, attrs);
  inputs.forEach((t, i) => {
    expect(values(t)).toEqual(before[i]);
    expect(out.data.buffer).not.toBe(t.data.buffer);
  });
  return out;
}

function expectTensor(t: TensorData, dtype: DType, shape: readonly number[], vals: readonly Elem[]): void {
  expect(t.dtype).toBe(dtype);
  expect(t.shape).toEqual(shape);
  expect(values(t)).toEqual(vals.map((v) => (dtype === "int64" ? BigInt(v) : Number(v))));
}

// ---- arbitraries ----

/** Mostly 1..4, sometimes 0: empty tensors must work but should not dominate. */
const dimArb = fc.integer({ min: -1, max: 8 }).map((d) => (d < 0 ? 0 : (d % 4) + 1));
const shapeArb = (minRank = 0, maxRank = 4) => fc.array(dimArb, { minLength: minRank, maxLength: maxRank });
const permArb = (rank: number) => fc.shuffledSubarray(range(rank), { minLength: rank, maxLength: rank });
const shapeAndPermArb = (maxRank = 5) =>
  shapeArb(0, maxRank).chain((s) => fc.tuple(fc.constant(s), permArb(s.length)));
/** A shape and k distinct output positions for unsqueeze (in [0, rank + k)). */
const unsqueezeArb = shapeArb().chain((s) =>
  fc.tuple(
    fc.constant(s),
    fc.integer({ min: 0, max: 3 }).chain((k) => permArb(s.length + k).map((p) => p.slice(0, k))),
  ),
);
const seedArb = fc.integer({ min: 0, max: 2 ** 31 - 1 });

// ---- references (independent formulations) ----

const permutedShape = (shape: readonly number[], dims: readonly number[]) => dims.map((d) => shape[d]!);

/** Permute by coordinates: input coordinate dims[i] is output coordinate i. */
function permuteRef(x: TensorData, dims: readonly number[]): Elem[] {
  const xs = values(x);
  const outShape = dims.map((d) => x.shape[d]!);
  return byCoords(outShape, (o) => {
    const c = new Array<number>(dims.length);
    dims.forEach((d, i) => {
      c[d] = o[i]!;
    });
    return xs[ravel(c, x.shape)]!;
  });
}

/**
 * For each element of a rank-3 index, in row-major order, the offset in x it addresses: torch's
 * formula (x[index[i][j][k]][j][k] for dim 0) written as three nested loops.
 */
function indexTargets(x: TensorData, index: TensorData, dim: number): number[] {
  const ix = values(index).map(Number);
  const [I, J, K] = index.shape as [number, number, number];
  const targets: number[] = [];
  for (let i = 0; i < I; i++)
    for (let j = 0; j < J; j++)
      for (let k = 0; k < K; k++) {
        const v = ix[(i * J + j) * K + k]!;
        targets.push(ravel(dim === 0 ? [v, j, k] : dim === 1 ? [i, v, k] : [i, j, v], x.shape));
      }
  return targets;
}

const gatherRef = (x: TensorData, index: TensorData, dim: number): Elem[] =>
  indexTargets(x, index, dim).map((t) => values(x)[t]!);

/** One addition in the dtype's arithmetic: float32 rounds, int32/int64 wrap, bool is or. */
const addIn: Record<DType, (a: Elem, b: Elem) => Elem> = {
  float32: (a, b) => Math.fround(Number(a) + Number(b)),
  float64: (a, b) => Number(a) + Number(b),
  int32: (a, b) => (Number(a) + Number(b)) | 0,
  int64: (a, b) => BigInt.asIntN(64, BigInt(a) + BigInt(b)),
  bool: (a, b) => (a || b ? 1 : 0),
};

/** scatter_add as a plain loop over src in row-major order, one dtype addition at a time. */
function scatterAddRef(x: TensorData, index: TensorData, src: TensorData, dim: number): Elem[] {
  const out = values(x);
  const ss = values(src);
  indexTargets(x, index, dim).forEach((t, e) => {
    out[t] = addIn[x.dtype](out[t]!, ss[e]!);
  });
  return out;
}

/** A rank-3 x, a dim, and an index shape that torch accepts: at most x's size off dim. */
const gatherCaseArb = fc
  .tuple(
    fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 3, maxLength: 3 }),
    fc.integer({ min: 0, max: 2 }),
  )
  .chain(([xShape, dim]) =>
    fc.tuple(
      fc.constant(xShape),
      fc.constant(dim),
      fc.tuple(...xShape.map((n, d) => fc.integer({ min: 0, max: d === dim ? 5 : n }))),
      fc.constantFrom("int32" as const, "int64" as const),
      seedArb,
    ),
  );

const randomIndex = (dtype: "int32" | "int64", shape: readonly number[], size: number, r: () => number) =>
  tensor(
    dtype,
    shape,
    Array.from({ length: numel(shape) }, () => randInt(r, size)),
  );

// ---- hand-computed value tests, one entry per op (the table is checked against the catalog) ----

const [f32, f64, i32, i64, b8] = DTYPES.map((d) => (shape: number[], vals: Elem[]) => tensor(d, shape, vals));
/** BIG + v for each v: int64 values that a double could not hold. */
const big = (...vs: number[]) => vs.map((v) => BIG + BigInt(v));

/** Run `op` and compare with expected values; layout ops keep the first input's dtype. */
function expectOp<K extends LayoutOp>(
  op: K,
  inputs: readonly TensorData[],
  attrs: OpAttrsInput<K>,
  shape: readonly number[],
  vals: readonly Elem[],
): TensorData {
  const out = run(op, inputs, attrs);
  expectTensor(out, inputs[0]!.dtype, shape, vals);
  return out;
}

const valueTests: Record<LayoutOp, () => void> = {
  reshape: () => {
    // Oracle: row-major order is unchanged by reshape.
    const x = i32([2, 3], [1, 2, 3, 4, 5, 6]);
    expectOp("reshape", [x], { shape: [3, 2] }, [3, 2], [1, 2, 3, 4, 5, 6]);
    expectOp("reshape", [x], { shape: [1, 6, 1] }, [1, 6, 1], [1, 2, 3, 4, 5, 6]);
    expectOp("reshape", [i64([1], big(1))], { shape: [] }, [], big(1));
  },
  squeeze: () => {
    // Oracle: hand-written shapes.
    const x = f64([1, 3, 1], [0.5, -1, 2]);
    expectOp("squeeze", [x], { dims: [0, 2] }, [3], [0.5, -1, 2]);
    expectOp("squeeze", [x], { dims: [2] }, [1, 3], [0.5, -1, 2]);
  },
  unsqueeze: () => {
    // Oracle: hand-written shapes; dims are output positions.
    const x = b8([2], [1, 0]);
    expectOp("unsqueeze", [x], { dims: [0, 2] }, [1, 2, 1], [1, 0]);
    expectOp("unsqueeze", [x], { dims: [1] }, [2, 1], [1, 0]);
  },
  permute: () => {
    // Oracle: hand transposition.
    expectOp("permute", [f32([2, 3], [1, 2, 3, 4, 5, 6])], { dims: [1, 0] }, [3, 2], [1, 4, 2, 5, 3, 6]);
    // out[a][b][c] = x[b][c][a], where x[b][c][a] = BIG + 4b + 2c + a.
    const y = i64([2, 2, 2], big(0, 1, 2, 3, 4, 5, 6, 7));
    expectOp("permute", [y], { dims: [2, 0, 1] }, [2, 2, 2], big(0, 2, 4, 6, 1, 3, 5, 7));
  },
  expand: () => {
    // Oracle: hand broadcast; x [3,1] repeats along the new leading dim and its size-1 dim.
    const x = i32([3, 1], [1, 2, 3]);
    expectOp("expand", [x], { shape: [2, 3, 2] }, [2, 3, 2], [1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3]);
    expectOp("expand", [b8([], [1])], { shape: [2] }, [2], [1, 1]);
    expectOp("expand", [x], { shape: [3, 0] }, [3, 0], []);
  },
  slice: () => {
    // Oracle: hand indexing; x[:, 1:6:2] of a [2,6] iota picks columns 1, 3, 5.
    const x = f64([2, 6], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expectOp("slice", [x], { dim: 1, start: 1, end: 6, step: 2 }, [2, 3], [1, 3, 5, 7, 9, 11]);
    expectOp("slice", [x], { dim: 1, start: 1, end: 5, step: 2 }, [2, 2], [1, 3, 7, 9]);
    expectOp("slice", [x], { dim: 0, start: 1, end: 2 }, [1, 6], [6, 7, 8, 9, 10, 11]);
    expectOp("slice", [x], { dim: 1, start: 0, end: 6, step: 3 }, [2, 2], [0, 3, 6, 9]);
    expectOp("slice", [x], { dim: 1, start: 2, end: 6, step: 5 }, [2, 1], [2, 8]);
    expectOp("slice", [x], { dim: 1, start: 3, end: 3 }, [2, 0], []);
  },
  concat: () => {
    // Oracle: hand-written joins.
    const a = i32([2, 2], [1, 2, 3, 4]);
    expectOp("concat", [a, i32([1, 2], [5, 6])], { dim: 0 }, [3, 2], [1, 2, 3, 4, 5, 6]);
    expectOp("concat", [a, i32([2, 1], [7, 8])], { dim: 1 }, [2, 3], [1, 2, 7, 3, 4, 8]);
    const b = i64([1], big(1));
    expectOp("concat", [b, i64([0], []), b], { dim: 0 }, [2], big(1, 1));
  },
  pad: () => {
    // Oracle: hand layout of a [2,2] padded by one row above and one column right.
    const x = f32([2, 2], [1, 2, 3, 4]);
    expectOp("pad", [x], { before: [1, 0], after: [0, 1], value: 9 }, [3, 3], [9, 9, 9, 1, 2, 9, 3, 4, 9]);
    // The value is cast like `cast`: truncation for ints, != 0 for bool, exact BigInt for int64.
    const i = i32([1], [5]);
    expectOp("pad", [i], { before: [1], after: [1], value: 2.7 }, [3], [2, 5, 2]);
    expectOp("pad", [i], { before: [1], after: [0], value: -2.7 }, [2], [-2, 5]);
    const l = i64([1], [7n]);
    expectOp("pad", [l], { before: [0], after: [1], value: 2 ** 60 }, [2], [7n, BIG]);
    const b = b8([1], [0]);
    expectOp("pad", [b], { before: [1], after: [1], value: 0.5 }, [3], [1, 0, 1]);
    expectOp("pad", [b], { before: [1], after: [0] }, [2], [0, 0]);
    expectOp("pad", [b], { before: [1], after: [0], value: -1 }, [2], [1, 0]);
    expectOp("pad", [b], { before: [0], after: [1], value: Number.NaN }, [2], [0, 1]);
    // Oracle: PyTorch refuses a fill value the dtype cannot hold.
    const padOf = (t: TensorData, value: number) => () => run("pad", [t], { before: [1], after: [0], value });
    expect(padOf(i, Number.NaN)).toThrow(/pad: value NaN .*int32/);
    expect(padOf(i, 3e9)).toThrow(/overflow/);
    expect(padOf(l, 2 ** 63)).toThrow(/int64/);
  },
  gather: () => {
    // Oracle: the torch.gather documentation example, then its dim-0 counterpart by hand.
    const t = f64([2, 2], [1, 2, 3, 4]);
    expectOp("gather", [t, i64([2, 2], [0, 0, 1, 0])], { dim: 1 }, [2, 2], [1, 1, 4, 3]);
    expectOp("gather", [t, i32([2, 2], [1, 0, 0, 0])], { dim: 0 }, [2, 2], [3, 2, 1, 2]);
    // An index smaller than x off dim, and an exact int64 payload.
    expectOp(
      "gather",
      [i64([2, 3], big(0, 1, 2, 3, 4, 5)), i32([1, 2], [2, 0])],
      { dim: 1 },
      [1, 2],
      big(2, 0),
    );
  },
  scatterAdd: () => {
    // Oracle: by hand; index row 0 sends columns 0,3,4 to row 0, row 1 sends 1,2 to row 0.
    const x = f32([3, 5], new Array(15).fill(0));
    const index = i64([2, 5], [0, 1, 2, 0, 0, 2, 0, 0, 1, 2]);
    const want = [1, 1, 1, 1, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1];
    expectOp("scatterAdd", [x, index, f32([2, 5], new Array(10).fill(1))], { dim: 0 }, [3, 5], want);
    // int64 accumulates exactly beyond 2^53; int32 wraps like a 32-bit register.
    const twice = i32([2], [0, 0]);
    expectOp("scatterAdd", [i64([1], big(0)), twice, i64([2], [1, 2])], { dim: 0 }, [1], big(3));
    expectOp(
      "scatterAdd",
      [i32([1], [2 ** 31 - 1]), i32([1], [0]), i32([1], [1])],
      { dim: 0 },
      [1],
      [-(2 ** 31)],
    );
    // bool adds as logical or, as in PyTorch.
    const bIndex = i32([4], [0, 0, 1, 1]);
    expectOp("scatterAdd", [b8([3], [0, 1, 0]), bIndex, b8([4], [1, 1, 1, 0])], { dim: 0 }, [3], [1, 1, 0]);
    // float32 rounds after every addition: 1 + 2^-24 ties back to 1 each time.
    const tiny = f32([2], [2 ** -24, 2 ** -24]);
    expectOp("scatterAdd", [f32([1], [1]), twice, tiny], { dim: 0 }, [1], [1]);
  },
};

describe("layout kernels: hand-computed values", () => {
  for (const [op, test] of Object.entries(valueTests)) it(op, test);

  it("every layout op in the catalog has a kernel and a value test", () => {
    // Oracle: the catalog's own list of layout ops.
    const layoutOps = opNames.filter((n) => catalog[n].category === "layout").sort();
    expect(Object.keys(layoutKernels).sort()).toEqual(layoutOps);
    expect(Object.keys(valueTests).sort()).toEqual(layoutOps);
  });

  it("outputs never share storage with inputs, for every op and dtype", () => {
    // Oracle: the kernel contract; the `run` helper checks buffers, this checks a write does not leak.
    for (const dtype of DTYPES) {
      const x = iota(dtype, [2, 1]);
      const y = run("reshape", [x], { shape: [2] });
      (y.data as unknown as Elem[])[0] = dtype === "int64" ? 5n : 5;
      expect(values(x)[0]).toEqual(elementOf[dtype](0));
      for (const op of ["squeeze", "unsqueeze"] as const) run(op, [x], { dims: [1] });
      run("permute", [x], { dims: [0, 1] });
      run("expand", [x], { shape: [2, 1] });
      run("slice", [x], { dim: 0, start: 0, end: 2 });
      run("concat", [x], { dim: 0 });
      run("pad", [x], { before: [0, 0], after: [0, 0] });
      run("gather", [x, i32([2, 1], [0, 0])], { dim: 1 });
      run("scatterAdd", [x, i32([0, 1], []), iota(dtype, [0, 1])], { dim: 0 });
    }
  });

  it("float32 payloads are moved bit for bit (a signalling NaN stays signalling)", () => {
    // Oracle: the raw bits written through an Int32Array view.
    const bits = new Int32Array([0x7f800001, 0x7fc00123, -1, 0x3f800000]);
    const x = new TensorData("float32", [2, 2], new Float32Array(bits.buffer));
    const out = run("permute", [x], { dims: [1, 0] });
    const outBits = Array.from(new Int32Array(out.data.buffer as ArrayBuffer));
    expect(outBits).toEqual([0, 2, 1, 3].map((k) => bits[k]));
  });
});

describe.each(DTYPES)("layout kernels against independent references (%s)", (dtype) => {
  it("reshape, squeeze and unsqueeze keep the elements; unsqueeze then squeeze is the identity", () => {
    // Oracle: the input's own element list.
    fc.assert(
      fc.property(unsqueezeArb, ([shape, dims]) => {
        const x = iota(dtype, shape);
        expectOp("reshape", [x], { shape: [numel(shape)] }, [numel(shape)], values(x));
        const u = run("unsqueeze", [x], { dims });
        expect(u.shape.length).toBe(shape.length + dims.length);
        expectOp("squeeze", [u], { dims }, shape, values(x));
      }),
    );
  });

  it("permute matches the coordinate reference, and the inverse permutation undoes it", () => {
    // Oracle: permuteRef (input coordinates from output coordinates), and the identity.
    fc.assert(
      fc.property(shapeAndPermArb(), ([shape, dims]) => {
        const x = iota(dtype, shape);
        const y = expectOp("permute", [x], { dims }, permutedShape(shape, dims), permuteRef(x, dims));
        const inverse = dims.map((_, i) => dims.indexOf(i));
        expectOp("permute", [y], { dims: inverse }, shape, values(x));
      }),
    );
  });

  it("permute with tile- and run-sized dims (blocked transpose, long rows) matches the reference", () => {
    // Oracle: permuteRef; sizes straddle the 32-wide tiles and the run-copy threshold.
    const cases = [
      { shape: [70, 45], dims: [1, 0] },
      { shape: [3, 33, 65], dims: [0, 2, 1] },
      { shape: [2, 40, 3, 37], dims: [0, 3, 1, 2] },
      { shape: [5, 6, 70], dims: [1, 0, 2] },
      { shape: [33, 2, 34], dims: [2, 1, 0] },
    ];
    for (const { shape, dims } of cases) {
      const x = iota(dtype, shape);
      expectOp("permute", [x], { dims }, permutedShape(shape, dims), permuteRef(x, dims));
    }
  });

  it("expand matches the coordinate reference", () => {
    // Oracle: byCoords, reading size-1 dims at coordinate 0.
    const arb = shapeArb(0, 4).chain((target) =>
      fc.tuple(
        fc.constant(target),
        fc.integer({ min: 0, max: target.length }),
        fc.array(fc.boolean(), { minLength: target.length, maxLength: target.length }),
      ),
    );
    fc.assert(
      fc.property(arb, ([target, drop, ones]) => {
        const xShape = target.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d));
        const x = iota(dtype, xShape);
        const xs = values(x);
        const source = (o: number[]) => xShape.map((d, i) => (d === 1 ? 0 : o[i + drop]!));
        expectOp(
          "expand",
          [x],
          { shape: target },
          target,
          byCoords(target, (o) => xs[ravel(source(o), xShape)]!),
        );
      }),
    );
    // Long broadcast rows take the fill path.
    const x = iota(dtype, [3, 1]);
    const xs = values(x);
    expectOp(
      "expand",
      [x],
      { shape: [2, 3, 40] },
      [2, 3, 40],
      byCoords([2, 3, 40], (o) => xs[o[1]!]!),
    );
  });

  it("slice matches a coordinate loop, and Array.prototype.slice in 1-D", () => {
    // Oracle: byCoords with start + i*step on dim; then Array.prototype.slice.
    // Dims up to 9 so that every step up to 4 can take two or more elements.
    const arb = fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 3 }).chain((shape) =>
      fc.integer({ min: 0, max: shape.length - 1 }).chain((dim) => {
        const bound = fc.integer({ min: 0, max: shape[dim]! });
        return fc.tuple(fc.constant(shape), fc.constant(dim), bound, bound, fc.integer({ min: 1, max: 4 }));
      }),
    );
    fc.assert(
      fc.property(arb, ([shape, dim, a, b, step]) => {
        const [start, end] = a <= b ? [a, b] : [b, a];
        const x = iota(dtype, shape);
        const xs = values(x);
        const outShape = shape.map((d, i) => (i === dim ? Math.ceil((end - start) / step) : d));
        const source = (o: number[]) => o.map((c, i) => (i === dim ? start + c * step : c));
        const want = byCoords(outShape, (o) => xs[ravel(source(o), shape)]!);
        expectOp("slice", [x], { dim, start, end, step }, outShape, want);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.nat(), fc.nat(), (n, a, b) => {
        const [start, end] = [a % (n + 1), b % (n + 1)].sort((p, q) => p - q) as [number, number];
        const x = iota(dtype, [n]);
        expectOp("slice", [x], { dim: 0, start, end }, [end - start], values(x).slice(start, end));
      }),
    );
  });

  it("concat then slice gives back the parts", () => {
    // Oracle: slice (checked above) and the parts themselves.
    const arb = shapeArb(1, 4).chain((shape) =>
      fc.tuple(
        fc.constant(shape),
        fc.integer({ min: 0, max: shape.length - 1 }),
        fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 4 }),
      ),
    );
    fc.assert(
      fc.property(arb, ([shape, dim, sizes]) => {
        const partShape = (n: number) => shape.map((d, i) => (i === dim ? n : d));
        const parts = sizes.map((n, k) => iota(dtype, partShape(n), k + 1));
        const out = run("concat", parts, { dim });
        expect(out.shape).toEqual(partShape(sizes.reduce((p, q) => p + q, 0)));
        let at = 0;
        parts.forEach((part, k) => {
          expectOp("slice", [out], { dim, start: at, end: at + sizes[k]! }, part.shape, values(part));
          at += sizes[k]!;
        });
      }),
    );
  });

  it("pad then slice gives back x, and every border element equals the value", () => {
    // Oracle: slice, and a coordinate test for "outside the interior".
    const arb = shapeArb(0, 3).chain((shape) => {
      const widths = fc.array(fc.integer({ min: 0, max: 3 }), {
        minLength: shape.length,
        maxLength: shape.length,
      });
      return fc.tuple(fc.constant(shape), widths, widths, fc.integer({ min: -100, max: 100 }));
    });
    fc.assert(
      fc.property(arb, ([shape, before, after, v]) => {
        const value = dtype === "bool" ? v & 1 : v / (dtype.startsWith("float") ? 4 : 1);
        const x = iota(dtype, shape);
        const out = run("pad", [x], { before, after, value });
        let back = out;
        shape.forEach((n, d) => {
          back = run("slice", [back], { dim: d, start: before[d]!, end: before[d]! + n });
        });
        expectTensor(back, dtype, shape, values(x));
        const expected = dtype === "int64" ? BigInt(value) : value;
        const inside = (c: number[]) => c.every((ci, d) => ci >= before[d]! && ci < before[d]! + shape[d]!);
        values(out).forEach((e, k) => {
          if (!inside(unravel(k, out.shape))) expect(e).toEqual(expected);
        });
      }),
    );
  });

  it("gather matches a nested-loop reference along each dim of a rank-3 tensor", () => {
    // Oracle: gatherRef, torch.gather's formula written as three loops.
    fc.assert(
      fc.property(gatherCaseArb, ([xShape, dim, indexShape, indexDType, seed]) => {
        const x = iota(dtype, xShape);
        const index = randomIndex(indexDType, indexShape, xShape[dim]!, rng(seed));
        expectOp("gather", [x, index], { dim }, indexShape, gatherRef(x, index, dim));
      }),
    );
  });

  it("scatterAdd matches a nested-loop reference and preserves the sum", () => {
    // Oracle: scatterAddRef (dtype arithmetic, src order); sums (not for bool, whose add is or).
    fc.assert(
      fc.property(gatherCaseArb, ([xShape, dim, indexShape, indexDType, seed]) => {
        const r = rng(seed);
        const x = randomTensor(dtype, xShape, r);
        const src = randomTensor(dtype, indexShape, r);
        const index = randomIndex(indexDType, indexShape, xShape[dim]!, r);
        const out = expectOp(
          "scatterAdd",
          [x, index, src],
          { dim },
          xShape,
          scatterAddRef(x, index, src, dim),
        );
        if (dtype === "bool") return;
        // BigInt sums are exact, and the random ints are too small for int32 to wrap.
        const sum = (t: TensorData) => values(t).reduce<bigint>((p, q) => p + BigInt(q), 0n);
        const fsum = (t: TensorData) => values(t).reduce<number>((p, q) => p + Number(q), 0);
        if (dtype === "int64" || dtype === "int32") expect(sum(out)).toBe(sum(x) + sum(src));
        else expect(fsum(out)).toBeCloseTo(fsum(x) + fsum(src), 3);
      }),
    );
  });

  it("gather/scatterAdd duality: scatterAdd(zeros, index, gather(x, index)) keeps the picked elements", () => {
    // Oracle: a one-hot index (distinct positions per fibre) picks each element at most once.
    const arb = fc
      .tuple(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 3, maxLength: 3 }),
        fc.integer({ min: 0, max: 2 }),
      )
      .chain(([xShape, dim]) =>
        fc.tuple(fc.constant(xShape), fc.constant(dim), fc.integer({ min: 0, max: xShape[dim]! }), seedArb),
      );
    fc.assert(
      fc.property(arb, ([xShape, dim, k, seed]) => {
        const r = rng(seed);
        // Each fibre along dim picks the first k positions of its own random shuffle.
        const orders = new Map<string, number[]>();
        const order = (c: number[]) => {
          const key = c.filter((_, i) => i !== dim).join(",");
          if (!orders.has(key)) {
            const o = Array.from({ length: xShape[dim]! }, (_, i) => i);
            for (let i = o.length - 1; i > 0; i--) {
              const j = randInt(r, i + 1);
              [o[i], o[j]] = [o[j]!, o[i]!];
            }
            orders.set(key, o);
          }
          return orders.get(key)!;
        };
        const indexShape = xShape.map((d, i) => (i === dim ? k : d));
        const index = tensor(
          "int64",
          indexShape,
          byCoords(indexShape, (c) => order(c)[c[dim]!]!),
        );
        const x = iota(dtype, xShape);
        const zeros = tensor(dtype, xShape, new Array(numel(xShape)).fill(0));
        const xs = values(x);
        const want = byCoords(xShape, (c) =>
          order(c).slice(0, k).includes(c[dim]!) ? xs[ravel(c, xShape)]! : 0,
        );
        expectOp("scatterAdd", [zeros, index, run("gather", [x, index], { dim })], { dim }, xShape, want);
      }),
    );
  });
});

describe("gather and scatterAdd reject out-of-range indices", () => {
  // Oracle: PyTorch raises for these too; the message must name the op, value, dim and shape.
  const x = f32([2, 3], [1, 2, 3, 4, 5, 6]);
  it.each([
    ["int32", -1, /gather: index -1 .*dim 1 of x \[2,3\]/],
    ["int32", 3, /gather: index 3 at position \[1,0\] .*dim 1 of x \[2,3\] \(valid: 0 to 2\)/],
    ["int64", 2n ** 60n + 1n, /gather: index 1152921504606846977 /],
  ] as const)("gather with %s index %s", (dt, bad, message) => {
    const index = tensor(dt, [2, 1], [0, bad]);
    expect(() => runKernel("gather", [x, index], { dim: 1 })).toThrow(message);
  });
  it("scatterAdd", () => {
    const index = i64([1, 3], [0, 2, 1]);
    const src = f32([1, 3], [1, 1, 1]);
    expect(() => runKernel("scatterAdd", [x, index, src], { dim: 0 })).toThrow(
      /scatterAdd: index 2 .*dim 0 of x \[2,3\]/,
    );
  });
});

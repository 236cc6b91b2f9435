// The eager Tensor API, part 1: elementwise methods, dtype promotion, reductions, softmax.
// Kernels have their own tests (kernels-*.test.ts); these check the layer above them: argument
// handling, promotion, dim normalization and the composites built from several ops.
import { describe, expect, it } from "vitest";
import { arange, type Nested, type Tensor, TensorError, tensor, where } from "../src/index.js";
import { expectClose, flat } from "./support-tensor.js";

describe("elementwise arithmetic with scalars and broadcasting", () => {
  // Oracle: hand-computed values.
  it("adds, subtracts, multiplies and divides by scalars", () => {
    const x = tensor([1, 2, 3]);
    expect(x.add(1).toArray()).toEqual([2, 3, 4]);
    expect(x.sub(1).toArray()).toEqual([0, 1, 2]);
    expect(x.mul(3).toArray()).toEqual([3, 6, 9]);
    expect(x.div(2).toArray()).toEqual([0.5, 1, 1.5]);
    expect(x.pow(2).toArray()).toEqual([1, 4, 9]);
    expect(x.maximum(2).toArray()).toEqual([2, 2, 3]);
    expect(x.minimum(2).toArray()).toEqual([1, 2, 2]);
    expect(x.square().toArray()).toEqual([1, 4, 9]);
  });

  it("broadcasts [2,1] against [3] to [2,3]", () => {
    const a = tensor([[1], [2]]);
    const b = tensor([10, 20, 30]);
    const sum = a.add(b);
    expect(sum.shape).toEqual([2, 3]);
    expect(sum.toArray()).toEqual([
      [11, 21, 31],
      [12, 22, 32],
    ]);
    expect(b.sub(a).toArray()).toEqual([
      [9, 19, 29],
      [8, 18, 28],
    ]);
    expect(a.mul(b).toArray()).toEqual([
      [10, 20, 30],
      [20, 40, 60],
    ]);
    expect(b.div(a).toArray()).toEqual([
      [10, 20, 30],
      [5, 10, 15],
    ]);
    expect(a.maximum(tensor([0, 2, 3])).toArray()).toEqual([
      [1, 2, 3],
      [2, 2, 3],
    ]);
  });

  it("broadcasts a 0-d tensor and keeps the larger rank", () => {
    const s = tensor(2.5);
    expect(s.shape).toEqual([]);
    expect(
      tensor([[1, 2]], { dtype: "float32" })
        .mul(s)
        .toArray(),
    ).toEqual([[2.5, 5]]);
  });
});

describe("unary methods", () => {
  // Oracle: JavaScript's Math functions (and tabulated erf values) on the same inputs.
  const xs = [-2, -0.5, 0.25, 1, 3];
  const x = tensor(xs, { dtype: "float64" });
  const cases: [string, (t: Tensor) => Tensor, (v: number) => number][] = [
    ["neg", (t) => t.neg(), (v) => -v],
    ["abs", (t) => t.abs(), Math.abs],
    ["sign", (t) => t.sign(), Math.sign],
    ["relu", (t) => t.relu(), (v) => Math.max(v, 0)],
    ["exp", (t) => t.exp(), Math.exp],
    ["sin", (t) => t.sin(), Math.sin],
    ["cos", (t) => t.cos(), Math.cos],
    ["tanh", (t) => t.tanh(), Math.tanh],
    ["sigmoid", (t) => t.sigmoid(), (v) => 1 / (1 + Math.exp(-v))],
  ];
  it.each(cases)("%s matches Math", (_name, f, oracle) => {
    expectClose(f(x), xs.map(oracle), 1e-12);
  });

  it("log, sqrt, rsqrt and reciprocal match Math on positive inputs", () => {
    const ps = [0.25, 1, 2, 9];
    const p = tensor(ps, { dtype: "float64" });
    expectClose(p.log(), ps.map(Math.log), 1e-12);
    expectClose(p.sqrt(), ps.map(Math.sqrt), 1e-12);
    expectClose(
      p.rsqrt(),
      ps.map((v) => 1 / Math.sqrt(v)),
      1e-12,
    );
    expectClose(
      p.reciprocal(),
      ps.map((v) => 1 / v),
      1e-12,
    );
  });

  it("erf matches tabulated values", () => {
    expectClose(
      tensor([0, 1, -0.5, 2]).erf(),
      [0, 0.8427007929497149, -0.5204998778130465, 0.9953222650189527],
      1e-6,
    );
  });

  it("float32 results are the float32 rounding of the exact value", () => {
    const y = tensor([0.1, 0.7]).exp();
    expect(y.dtype).toBe("float32");
    expect(flat(y.toArray())).toEqual([
      Math.fround(Math.exp(Math.fround(0.1))),
      Math.fround(Math.exp(Math.fround(0.7))),
    ]);
  });
});

describe("comparisons, logical ops, where, clamp, casts", () => {
  // Oracle: hand-computed truth tables.
  const x = tensor([1, 2, 3]);
  it("comparisons with a scalar and with a tensor give bool", () => {
    expect(x.eq(2).toArray()).toEqual([false, true, false]);
    expect(x.ne(2).toArray()).toEqual([true, false, true]);
    expect(x.lt(2).toArray()).toEqual([true, false, false]);
    expect(x.le(2).toArray()).toEqual([true, true, false]);
    expect(x.gt(tensor([0, 2, 4])).toArray()).toEqual([true, false, false]);
    expect(x.ge(tensor([0, 2, 4])).toArray()).toEqual([true, true, false]);
    expect(x.lt(1.5).toArray()).toEqual([true, false, false]);
    for (const r of [x.eq(2), x.lt(1.5), x.ge(x)]) expect(r.dtype).toBe("bool");
  });

  it("comparisons broadcast", () => {
    const r = tensor([[1], [3]]).gt(tensor([0, 2, 4]));
    expect(r.shape).toEqual([2, 3]);
    expect(r.toArray()).toEqual([
      [true, false, false],
      [true, true, false],
    ]);
  });

  it("logicalNot/And/Or treat non-zero as true", () => {
    const a = tensor([0, 1, 2, 0]);
    const b = tensor([0.0, 0.0, 0.5, 3]);
    expect(a.logicalNot().toArray()).toEqual([true, false, false, true]);
    expect(a.logicalAnd(b).toArray()).toEqual([false, false, true, false]);
    expect(a.logicalOr(b).toArray()).toEqual([false, true, true, true]);
    expect(tensor([true, false]).logicalAnd(true).toArray()).toEqual([true, false]);
  });

  it("where as a method (torch's x.where(cond, y)) and as a function", () => {
    const cond = tensor([true, false, true]);
    expect(x.where(cond, tensor([10, 20, 30])).toArray()).toEqual([1, 20, 3]);
    expect(x.where(cond, -1).toArray()).toEqual([1, -1, 3]);
    expect(where(cond, x, 0.5).toArray()).toEqual([1, 0.5, 3]);
    expect(where(cond, x, 0.5).dtype).toBe("float32");
    // A numeric condition means `!= 0`; the condition broadcasts.
    expect(where(tensor([[1], [0]]), 1, 0).toArray()).toEqual([[1], [0]]);
    expect(where(tensor([[1], [0]]), x, 0).toArray()).toEqual([
      [1, 2, 3],
      [0, 0, 0],
    ]);
  });

  it("clamp with min, max or both; NaN propagates", () => {
    const v = tensor([-2, 0.5, 3, Number.NaN]);
    expect(flat(v.clamp(0).toArray())).toEqual([0, 0.5, 3, Number.NaN]);
    expect(flat(v.clamp(undefined, 1).toArray())).toEqual([-2, 0.5, 1, Number.NaN]);
    expect(flat(v.clamp(-1, 1).toArray())).toEqual([-1, 0.5, 1, Number.NaN]);
    expect(tensor([1, 5, 9]).clamp(2, 6).toArray()).toEqual([2, 5, 6]);
    expect(tensor([1, 5, 9]).clamp(2, 6).dtype).toBe("int64");
  });

  it("to/float/double/int/long/bool convert as torch (float to int truncates)", () => {
    const v = tensor([1.7, -1.7, 0]);
    expect(v.int().dtype).toBe("int32");
    expect(v.int().toArray()).toEqual([1, -1, 0]);
    expect(v.long().dtype).toBe("int64");
    expect(v.long().toArray()).toEqual([1, -1, 0]);
    expect(v.bool().toArray()).toEqual([true, true, false]);
    expect(v.double().dtype).toBe("float64");
    expect(flat(v.double().toArray())).toEqual([Math.fround(1.7), Math.fround(-1.7), 0]);
    expect(tensor([1, 2]).float().dtype).toBe("float32");
    expect(tensor([true, false]).to("float32").toArray()).toEqual([1, 0]);
    expect(v.to("float32").toArray()).toEqual(v.toArray());
  });
});

describe("dtype promotion follows PyTorch", () => {
  // Oracle: torch.result_type / the dtypes PyTorch 2.x returns for the same expressions.
  const i32 = tensor([1, 2, 3], { dtype: "int32" });
  const i64 = tensor([1, 2, 3]);
  const f32 = tensor([1, 2, 3], { dtype: "float32" });
  const f64 = tensor([1, 2, 3], { dtype: "float64" });
  const b = tensor([true, false, true]);
  it.each([
    ["int32 + 2.5", () => i32.add(2.5), "float32", [3.5, 4.5, 5.5]],
    ["int32 + 2", () => i32.add(2), "int32", [3, 4, 5]],
    ["int32 + int64", () => i32.add(i64), "int64", [2, 4, 6]],
    ["bool + 1", () => b.add(1), "int64", [2, 1, 2]],
    ["bool * 2.5", () => b.mul(2.5), "float32", [2.5, 0, 2.5]],
    ["f32 * 2", () => f32.mul(2), "float32", [2, 4, 6]],
    ["f32 * 2.5", () => f32.mul(2.5), "float32", [2.5, 5, 7.5]],
    ["f32 + f64", () => f32.add(f64), "float64", [2, 4, 6]],
    ["int64 + f32", () => i64.add(f32), "float32", [2, 4, 6]],
    ["f64 + 0.5", () => f64.add(0.5), "float64", [1.5, 2.5, 3.5]],
    ["int .div(int) is true division", () => i64.div(2), "float32", [0.5, 1, 1.5]],
    ["int32 .div(int32)", () => i32.div(i32.add(1)), "float32", [0.5, 2 / 3, 0.75]],
    ["int tensor .exp()", () => i64.exp(), "float32", [Math.E, Math.E ** 2, Math.E ** 3]],
    ["bool tensor .sqrt()", () => b.sqrt(), "float32", [1, 0, 1]],
    ["int32 + 0-d int64 (0-d is weaker)", () => i32.add(tensor(5)), "int32", [6, 7, 8]],
    ["f32 + 0-d f64 (0-d is weaker)", () => f32.add(tensor(1, { dtype: "float64" })), "float32", [2, 3, 4]],
    [
      "int32 + 0-d f64 lifts to float64",
      () => i32.add(tensor(0.5, { dtype: "float64" })),
      "float64",
      [1.5, 2.5, 3.5],
    ],
    ["int64 sum", () => i64.sum(), "int64", 6],
    ["int32 sum", () => i32.sum(), "int64", 6],
    ["bool sum counts", () => b.sum(), "int64", 2],
    ["float32 sum", () => f32.sum(), "float32", 6],
  ] as [string, () => Tensor, string, Nested][])("%s", (_name, f, dtype, values) => {
    const r = f();
    expect(r.dtype).toBe(dtype);
    expectClose(r, values, 1e-6);
  });

  it("comparisons give bool whatever the operand dtypes", () => {
    expect(i32.lt(f64).dtype).toBe("bool");
    expect(b.eq(1).dtype).toBe("bool");
    expect(b.eq(1).toArray()).toEqual([true, false, true]);
  });

  it("mean of an integer tensor throws a clear error", () => {
    expect(() => i64.mean()).toThrow(TensorError);
    expect(() => i64.mean()).toThrow(/mean: input dtype must be floating, got int64/);
    expect(() => b.mean()).toThrow(/got bool/);
  });
});

/** Reference reduction over one dim of a row-major [2,3,4] array, by explicit loops. */
const x234 = arange(24).reshape([2, 3, 4]).float();
const at = (i: number, j: number, k: number) => i * 12 + j * 4 + k;

describe("reductions", () => {
  // Oracle: explicit loops over the row-major values 0..23 of a [2,3,4] tensor.
  it("sum over all dims, one dim, a dim list, negative dims", () => {
    expect(x234.sum().item()).toBe(276);
    expect(x234.sum().shape).toEqual([]);
    const byDim1 = [0, 1].map((i) => [0, 1, 2, 3].map((k) => [0, 1, 2].reduce((s, j) => s + at(i, j, k), 0)));
    expect(x234.sum({ dim: 1 }).toArray()).toEqual(byDim1);
    expect(x234.sum({ dim: -2 }).toArray()).toEqual(byDim1);
    const by02 = [0, 1, 2].map((j) =>
      [0, 1].reduce((s, i) => s + [0, 1, 2, 3].reduce((t, k) => t + at(i, j, k), 0), 0),
    );
    expect(x234.sum({ dim: [0, 2] }).toArray()).toEqual(by02);
    expect(x234.sum({ dim: [-1, 0] }).toArray()).toEqual(by02);
    // null stands for torch's dim=None: every dim.
    expect(x234.sum({ dim: null as never }).item()).toBe(276);
  });

  it("keepdim keeps reduced dims as size 1", () => {
    expect(x234.sum({ dim: 1, keepdim: true }).shape).toEqual([2, 1, 4]);
    expect(x234.sum({ dim: [0, 2], keepdim: true }).shape).toEqual([1, 3, 1]);
    expect(x234.sum({ keepdim: true }).shape).toEqual([1, 1, 1]);
    expect(x234.mean({ dim: -1, keepdim: true }).toArray()).toEqual([
      [[1.5], [5.5], [9.5]],
      [[13.5], [17.5], [21.5]],
    ]);
  });

  it("mean, amax, amin", () => {
    expect(x234.mean().item()).toBe(11.5);
    expect(x234.mean({ dim: 0 }).toArray()).toEqual(
      [0, 1, 2].map((j) => [0, 1, 2, 3].map((k) => (at(0, j, k) + at(1, j, k)) / 2)),
    );
    expect(x234.amax({ dim: 2 }).toArray()).toEqual([
      [3, 7, 11],
      [15, 19, 23],
    ]);
    expect(x234.amin({ dim: [1, 2] }).toArray()).toEqual([0, 12]);
    expect(x234.amax().item()).toBe(23);
    expect(tensor([3, -1, 7]).amin().toArray()).toBe(-1);
    expect(tensor([3, -1, 7]).amin().dtype).toBe("int64");
  });

  it("argmax picks the first maximum; with no dim it indexes the flattened tensor", () => {
    expect(tensor([1, 3, 3, 2]).argmax().item()).toBe(1);
    const m = tensor([
      [1, 5, 0],
      [5, 2, 5],
    ]);
    expect(m.argmax().item()).toBe(1);
    expect(m.argmax().dtype).toBe("int64");
    expect(m.argmax({ dim: 0 }).toArray()).toEqual([1, 0, 1]);
    expect(m.argmax({ dim: 1 }).toArray()).toEqual([1, 0]);
    expect(m.argmax({ dim: -1, keepdim: true }).toArray()).toEqual([[1], [0]]);
    expect(m.argmax({ keepdim: true }).shape).toEqual([1, 1]);
    expect(m.argmax({ keepdim: true }).toArray()).toEqual([[1]]);
  });

  // Oracle: var = sum((x - mean)^2) / (n - correction), computed in plain JS.
  const rows = [
    [1, 2, 4, 7],
    [-3, 0, 0, 3],
    [2.5, 2.5, 2.5, 2.5],
  ];
  const direct = (r: number[], correction: number) => {
    const mean = r.reduce((a, b) => a + b, 0) / r.length;
    return r.reduce((a, v) => a + (v - mean) ** 2, 0) / (r.length - correction);
  };
  it("var and std with correction 1 (default) and 0 against the direct formula", () => {
    const t = tensor(rows, { dtype: "float64" });
    expectClose(
      t.var({ dim: 1 }),
      rows.map((r) => direct(r, 1)),
      1e-12,
    );
    expectClose(
      t.var({ dim: 1, correction: 0 }),
      rows.map((r) => direct(r, 0)),
      1e-12,
    );
    expectClose(
      t.std({ dim: -1 }),
      rows.map((r) => Math.sqrt(direct(r, 1))),
      1e-12,
    );
    expectClose(
      t.std({ dim: 1, correction: 0 }),
      rows.map((r) => Math.sqrt(direct(r, 0))),
      1e-12,
    );
    expectClose(t.var(), direct(rows.flat(), 1), 1e-12);
    expect(t.var({ dim: 1, keepdim: true }).shape).toEqual([3, 1]);
    const cols = [0, 1, 2, 3].map((j) => rows.map((r) => r[j]!));
    expectClose(
      t.var({ dim: 0 }),
      cols.map((c) => direct(c, 1)),
      1e-12,
    );
  });

  it("var of one element with correction 1 is NaN, as in torch", () => {
    // (tensor([5.0]) would be int64: JS cannot tell 5.0 from 5, so the dtype is explicit.)
    expect(tensor([5], { dtype: "float32" }).var().item()).toBeNaN();
  });
});

describe("a 0-d tensor counts as one dim for dim wrapping", () => {
  // Oracle: PyTorch, where dim 0 and -1 are valid on a 0-d tensor and reduce nothing:
  // torch.tensor(2.5).sum(-1) == 2.5, .softmax(0) == 1, .log_softmax(-1) == 0, .argmax(0) == 0.
  const s = tensor(2.5, { dtype: "float32" });
  it.each([0, -1])("sum, mean, amax, amin, var and logsumexp over dim %i", (dim) => {
    for (const keepdim of [false, true]) {
      expect(s.sum({ dim, keepdim }).shape).toEqual([]);
      expect(s.sum({ dim, keepdim }).item()).toBe(2.5);
      expect(s.sum({ dim: [dim], keepdim }).item()).toBe(2.5);
      expect(s.mean({ dim, keepdim }).item()).toBe(2.5);
      expect(s.amax({ dim, keepdim }).item()).toBe(2.5);
      expect(s.amin({ dim, keepdim }).item()).toBe(2.5);
    }
    expect(Number.isNaN(s.var({ dim }).item())).toBe(true); // one sample, correction 1: 0/0
    expectClose(s.logsumexp({ dim }), 2.5, 1e-6);
    expect(tensor(3).sum({ dim }).dtype).toBe("int64");
  });

  it.each([0, -1])("softmax, logSoftmax and argmax along dim %i", (dim) => {
    expect(s.softmax(dim).shape).toEqual([]);
    expect(s.softmax(dim).item()).toBe(1);
    expect(s.logSoftmax(dim).item()).toBe(0);
    expect(s.argmax({ dim }).item()).toBe(0);
    expect(s.argmax({ dim, keepdim: true }).shape).toEqual([]);
  });

  it("dims other than 0 and -1 are out of range, and the message says so consistently", () => {
    expect(() => s.sum({ dim: 1 })).toThrow(
      /sum: dim 1 is out of range for a tensor of rank 0 \(expected -1 to 0\)/,
    );
    expect(() => s.softmax(-2)).toThrow(/softmax: dim -2 is out of range .*\(expected -1 to 0\)/);
    expect(() => s.sum({ dim: [0, -1] })).toThrow(/repeats a dim/);
    // size() has no dim to report on a 0-d tensor (PyTorch: "tensor has no dimensions").
    expect(() => s.size(0)).toThrow(/size: a 0-d tensor has no dim 0/);
  });
});

describe("softmax, logSoftmax, logsumexp", () => {
  // Oracle: exp(x) / sum(exp(x)) in float64 JS; rows of a softmax sum to 1; logSoftmax equals
  // x - logsumexp(x); shifting the input by a constant does not change softmax.
  const vals = [
    [1, 2, 3],
    [-1, 0, 0.5],
  ];
  const x = tensor(vals, { dtype: "float64" });
  const oracle = (r: number[]) => {
    const e = r.map(Math.exp);
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  };

  it("softmax matches the direct formula and rows sum to 1", () => {
    expectClose(x.softmax(1), vals.map(oracle), 1e-12);
    expectClose(x.softmax(-1).sum({ dim: 1 }), [1, 1], 1e-12);
    const cols = x.softmax(0);
    expectClose(cols.sum({ dim: 0 }), [1, 1, 1], 1e-12);
  });

  it("logSoftmax equals log(softmax) and x - logsumexp(x)", () => {
    expectClose(
      x.logSoftmax(1),
      vals.map((r) => oracle(r).map(Math.log)),
      1e-12,
    );
    expectClose(x.logSoftmax(1), x.sub(x.logsumexp({ dim: 1, keepdim: true })).toArray(), 1e-12);
    expectClose(
      x.logsumexp({ dim: 1 }),
      vals.map((r) => Math.log(r.reduce((a, v) => a + Math.exp(v), 0))),
      1e-12,
    );
    expect(x.logsumexp({ dim: 1 }).shape).toEqual([2]);
    expect(x.logsumexp().shape).toEqual([]);
  });

  it("is stable for large inputs (1000)", () => {
    const big = tensor(
      [
        [1000, 1001, 1002],
        [1000, 1000, 1000],
      ],
      { dtype: "float32" },
    );
    const s = big.softmax(1);
    expect(flat(s.toArray()).every(Number.isFinite)).toBe(true);
    expectClose(s, [oracle([0, 1, 2]), [1 / 3, 1 / 3, 1 / 3]], 1e-6);
    expectClose(
      big.logSoftmax(1),
      [oracle([0, 1, 2]).map(Math.log), [0, 0, 0].map(() => -Math.log(3))],
      1e-5,
    );
    expectClose(
      big.logsumexp({ dim: 1 }),
      [1002 + Math.log(1 + Math.exp(-1) + Math.exp(-2)), 1000 + Math.log(3)],
      1e-6,
    );
    expectClose(tensor([-1000, -1000], { dtype: "float32" }).logsumexp(), -1000 + Math.log(2), 1e-6);
  });

  it("logsumexp of infinities is -inf or inf, as torch (not NaN)", () => {
    expect(tensor([-Infinity, -Infinity]).logsumexp().item()).toBe(-Infinity);
    expect(tensor([Infinity, 1]).logsumexp().item()).toBe(Infinity);
    expect(tensor([Number.NaN, 1]).logsumexp().item()).toBeNaN();
    expectClose(tensor([-Infinity, 0]).logsumexp(), 0, 1e-12);
  });
});

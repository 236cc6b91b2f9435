// The eager Tensor API, part 3: factories, random numbers, accessors, printing, requiresGrad and
// backward() without an engine. This file must not import @aotjs/autograd.
import { TensorData } from "@aotjs/ir";
import { describe, expect, it } from "vitest";
import {
  arange,
  bernoulli,
  eye,
  full,
  fullLike,
  Generator,
  linspace,
  manualSeed,
  ones,
  onesLike,
  rand,
  randint,
  randn,
  Tensor,
  TensorError,
  tensor,
  withMode,
  zeros,
  zerosLike,
} from "../src/index.js";
import { expectClose, flat } from "./support-tensor.js";

describe("tensor(): dtype inference and typed arrays", () => {
  // Oracle: torch.tensor's inference (bool -> bool, integral -> int64, else float32).
  it("infers bool, int64 and float32 from nested arrays", () => {
    expect(tensor([true, false]).dtype).toBe("bool");
    expect(
      tensor([
        [1, 2],
        [3, 4],
      ]).dtype,
    ).toBe("int64");
    expect(tensor([1, 2.5]).dtype).toBe("float32");
    expect(tensor([true, 2]).dtype).toBe("int64");
    expect(tensor([Number.NaN]).dtype).toBe("float32");
    expect(tensor([]).dtype).toBe("float32");
    expect(tensor([]).shape).toEqual([0]);
    expect(tensor(3).shape).toEqual([]);
    expect(tensor(3).dtype).toBe("int64");
    expect(tensor(false).dtype).toBe("bool");
    expect(tensor([[[1.5]], [[2]]]).shape).toEqual([2, 1, 1]);
  });

  it("an explicit dtype converts the values", () => {
    expect(tensor([1.7, -1.7], { dtype: "int32" }).toArray()).toEqual([1, -1]);
    expect(tensor([0, 0.5, 2], { dtype: "bool" }).toArray()).toEqual([false, true, true]);
    expect(tensor([1, 2], { dtype: "float64" }).dtype).toBe("float64");
  });

  it("typed arrays keep their dtype, are copied, and take an optional shape", () => {
    const src = new Float64Array([1, 2, 3, 4]);
    const t = tensor(src, { shape: [2, 2] });
    expect(t.dtype).toBe("float64");
    expect(t.shape).toEqual([2, 2]);
    src[0] = 100;
    expect(t.toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(tensor(new Float32Array([1])).dtype).toBe("float32");
    expect(tensor(new Int32Array([1, 2])).dtype).toBe("int32");
    expect(tensor(BigInt64Array.of(5n, -6n)).toArray()).toEqual([5, -6]);
    expect(tensor(new Uint8Array([1, 0, 2])).toArray()).toEqual([true, false, true]);
    expect(tensor(new Int32Array([1, 2]), { dtype: "float32" }).dtype).toBe("float32");
  });

  it("ragged arrays, non-numbers and unsupported typed arrays throw", () => {
    expect(() => tensor([[1], [2, 3]])).toThrow(/tensor: ragged nested array at \[1\]/);
    expect(() => tensor([1, [2]] as never)).toThrow(TensorError);
    expect(() => tensor(["a"] as never)).toThrow(/element \[0\] is string/);
    expect(() => tensor(new Int8Array([1]) as never)).toThrow(/tensor: unsupported Int8Array/);
    expect(() => tensor(new Float32Array(3), { shape: [2, 2] })).toThrow(/holds 4 elements/);
  });
});

describe("filled factories, arange, linspace, eye", () => {
  // Oracle: hand-computed values and torch's default dtypes.
  it("zeros, ones, full and the *Like variants", () => {
    expect(zeros([2, 3]).dtype).toBe("float32");
    expect(flat(zeros([2, 3]).toArray())).toEqual(Array(6).fill(0));
    expect(ones([2], { dtype: "int32" }).toArray()).toEqual([1, 1]);
    expect(ones([]).shape).toEqual([]);
    expect(zeros([0, 4]).numel()).toBe(0);
    expect(full([2], 1.5).toArray()).toEqual([1.5, 1.5]);
    expect(full([2], true).dtype).toBe("bool");
    expect(full([1, 2], 7, { dtype: "int64" }).toArray()).toEqual([[7, 7]]);
    const i = tensor([[1, 2]], { dtype: "int32" });
    expect(fullLike(i, 9).dtype).toBe("int32");
    expect(fullLike(i, 9).toArray()).toEqual([[9, 9]]);
    expect(zerosLike(i).toArray()).toEqual([[0, 0]]);
    expect(onesLike(i, { dtype: "float64" }).dtype).toBe("float64");
    expect(onesLike(i).shape).toEqual([1, 2]);
  });

  it("arange: integer arguments give int64, floats give float32; steps, negative steps", () => {
    expect(arange(5).dtype).toBe("int64");
    expect(arange(5).toArray()).toEqual([0, 1, 2, 3, 4]);
    expect(arange(2, 5).toArray()).toEqual([2, 3, 4]);
    expect(arange(0, 10, 3).toArray()).toEqual([0, 3, 6, 9]);
    expect(arange(5, 0, -2).toArray()).toEqual([5, 3, 1]);
    expect(arange(0, -3, -1).toArray()).toEqual([0, -1, -2]);
    const f = arange(0, 1, 0.25);
    expect(f.dtype).toBe("float32");
    expect(f.toArray()).toEqual([0, 0.25, 0.5, 0.75]);
    expect(arange(0.5, 3).toArray()).toEqual([0.5, 1.5, 2.5]);
    expect(arange(3, undefined, 1, { dtype: "float64" }).dtype).toBe("float64");
    expect(arange(0).shape).toEqual([0]);
    expect(() => arange(0, 5, 0)).toThrow(/step non-zero/);
  });

  it("linspace includes both ends", () => {
    expect(linspace(0, 1, 5).toArray()).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expectClose(linspace(-1, 1, 3), [-1, 0, 1]);
    expect(linspace(2, 3, 1).toArray()).toEqual([2]);
    expect(linspace(2, 3, 0).shape).toEqual([0]);
    expect(linspace(0, 1, 3, { dtype: "float64" }).dtype).toBe("float64");
    expect(() => linspace(0, 1, -1)).toThrow(/linspace: steps must be a non-negative integer/);
  });

  it("eye, square and rectangular", () => {
    expect(eye(3).toArray()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    expect(eye(2, 3).toArray()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
    ]);
    expect(eye(2).dtype).toBe("float32");
    expect(eye(2, 2, { dtype: "bool" }).toArray()).toEqual([
      [true, false],
      [false, true],
    ]);
  });
});

describe("random factories", () => {
  // Oracle: statistics of many samples (mean and std within a few standard errors), and
  // reproducibility of the stream under manualSeed.
  it("the same seed gives the same values; a different seed different ones", () => {
    manualSeed(0);
    const a = [randn([8]).toArray(), rand([3]).toArray(), randint(0, 100, [5]).toArray()];
    manualSeed(0);
    const b = [randn([8]).toArray(), rand([3]).toArray(), randint(0, 100, [5]).toArray()];
    expect(b).toEqual(a);
    manualSeed(1);
    expect(randn([8]).toArray()).not.toEqual(a[0]);
    // Successive draws differ.
    manualSeed(0);
    expect(randn([8]).toArray()).not.toEqual(randn([8]).toArray());
  });

  it("a Generator passed as an option is independent of the default one", () => {
    const g1 = new Generator().manualSeed(7);
    const g2 = new Generator().manualSeed(7);
    manualSeed(123);
    const x = rand([4], { generator: g1 }).toArray();
    randn([100]);
    expect(rand([4], { generator: g2 }).toArray()).toEqual(x);
  });

  it("randn has mean about 0 and std about 1 (1e5 samples)", () => {
    manualSeed(42);
    const x = randn([100_000]);
    expect(x.dtype).toBe("float32");
    expect(Math.abs(x.mean().item() as number)).toBeLessThan(0.02);
    expect(Math.abs((x.std().item() as number) - 1)).toBeLessThan(0.02);
    expect(flat(x.toArray()).every(Number.isFinite)).toBe(true);
    expect(randn([2], { dtype: "float64" }).dtype).toBe("float64");
  });

  // Oracle: the composite Box-Muller (uniform, log, sqrt, cos, ... as separate ops), which eager
  // randn runs only while a mode watches; the fused eager loop must equal it bit for bit and leave
  // the generator at the same offset, or a compiled graph would replay a different stream.
  it("eager randn equals the composite a mode sees, bit for bit, at the same generator offset", () => {
    const watching = { name: "watching" };
    for (const dtype of ["float32", "float64"] as const) {
      const g1 = new Generator().manualSeed(2026);
      const g2 = new Generator().manualSeed(2026);
      const shape = [3, 1001];
      const fused = randn(shape, { dtype, generator: g1 });
      const composite = withMode(watching, () => randn(shape, { dtype, generator: g2 }));
      expect(Array.from(fused.dataOrUndefined!.data as Float32Array)).toEqual(
        Array.from(composite.dataOrUndefined!.data as Float32Array),
      );
      expect(g1.offset).toBe(g2.offset);
      expect(randn([5], { generator: g1 }).toArray()).toEqual(randn([5], { generator: g2 }).toArray());
    }
    expect(randn([0]).shape).toEqual([0]);
  });

  it("rand is in [0, 1) with mean about 1/2", () => {
    manualSeed(3);
    for (const dtype of ["float32", "float64"] as const) {
      const x = rand([50_000], { dtype });
      expect(x.dtype).toBe(dtype);
      expect(x.amin().item()).toBeGreaterThanOrEqual(0);
      expect(x.amax().item()).toBeLessThan(1);
      expect(Math.abs((x.mean().item() as number) - 0.5)).toBeLessThan(0.01);
    }
    expect(() => rand([2], { dtype: "int32" })).toThrow(/random: dtype must be floating/);
  });

  it("randint is in [low, high) and hits every value", () => {
    manualSeed(5);
    const x = randint(-3, 4, [2000]);
    expect(x.dtype).toBe("int64");
    const vals = flat(x.toArray());
    expect(vals.every((v) => Number.isInteger(v) && v >= -3 && v < 4)).toBe(true);
    expect(new Set(vals).size).toBe(7);
    expect(randint(0, 2, [3], { dtype: "int32" }).dtype).toBe("int32");
    expect(() => randint(3, 3, [1])).toThrow(/randint: need integers low < high/);
  });

  it("bernoulli gives a bool mask true with probability p", () => {
    manualSeed(9);
    const m = bernoulli([20_000], 0.3);
    expect(m.dtype).toBe("bool");
    expect(Math.abs((m.float().mean().item() as number) - 0.3)).toBeLessThan(0.02);
    expect(flat(bernoulli([50], 0).toArray())).toEqual(Array(50).fill(0));
    expect(flat(bernoulli([50], 1).toArray())).toEqual(Array(50).fill(1));
  });
});

describe("accessors", () => {
  // Oracle: hand-written expectations.
  const m = tensor([
    [1.5, 2, 3],
    [4, 5, 6],
  ]);
  it("shape, dtype, ndim, numel, size", () => {
    expect(m.shape).toEqual([2, 3]);
    expect(Object.isFrozen(m.shape)).toBe(true);
    expect(m.dtype).toBe("float32");
    expect(m.ndim).toBe(2);
    expect(m.numel()).toBe(6);
    expect(m.size()).toEqual([2, 3]);
    expect(m.size(-1)).toBe(3);
    expect(m.size(0)).toBe(2);
    expect(() => m.size(2)).toThrow(/size: dim 2 is out of range for a tensor of rank 2/);
    expect(tensor(1).ndim).toBe(0);
    expect(tensor(1).numel()).toBe(1);
  });

  it("toArray nests, gives booleans for bool and numbers for int64", () => {
    expect(m.toArray()).toEqual([
      [1.5, 2, 3],
      [4, 5, 6],
    ]);
    expect(tensor([[true], [false]]).toArray()).toEqual([[true], [false]]);
    const big = tensor([2 ** 40, -(2 ** 50)]);
    expect(big.toArray()).toEqual([2 ** 40, -(2 ** 50)]);
    expect(typeof (big.toArray() as number[])[0]).toBe("number");
    expect(tensor(2.5).toArray()).toBe(2.5);
    expect(zeros([2, 0]).toArray()).toEqual([[], []]);
  });

  it("data() and toData() expose the typed array and TensorData", () => {
    expect(m.data()).toBeInstanceOf(Float32Array);
    expect(Array.from(m.data() as Float32Array)).toEqual([1.5, 2, 3, 4, 5, 6]);
    expect(tensor([1, 2]).data()).toBeInstanceOf(BigInt64Array);
    expect(tensor([true]).data()).toBeInstanceOf(Uint8Array);
    const d = m.toData();
    expect(d).toBeInstanceOf(TensorData);
    expect(d.shape).toEqual([2, 3]);
    expect(d.dtype).toBe("float32");
    expect(new Tensor(d).toArray()).toEqual(m.toArray());
  });

  it("item() reads one element as a number, itemBool() as a boolean", () => {
    // Oracle: the values the tensors were made from.
    const loss: number = tensor(2.5).item(); // typed number: no cast needed
    expect(loss).toBe(2.5);
    expect(tensor([[7]]).item()).toBe(7);
    expect(tensor([true]).item()).toBe(1);
    expect(tensor([true]).itemBool()).toBe(true);
    expect(tensor(false).itemBool()).toBe(false);
    expect(tensor(3).itemBool()).toBe(true);
    expect(() => m.item()).toThrow(/item\(\): needs a tensor with one element, got f32\[2,3\]/);
    expect(() => m.itemBool()).toThrow(/itemBool\(\): needs a tensor with one element, got f32\[2,3\]/);
  });

  it("+t, arithmetic and comparisons use item(); template strings use toString()", () => {
    const t = tensor(2.5);
    expect(+t).toBe(2.5);
    expect((t as unknown as number) * 2).toBe(5);
    expect((t as unknown as number) > 2).toBe(true);
    expect(`${t}`).toBe("tensor(2.5000)");
    expect(`${tensor([1, 2])}`).toBe("tensor([1, 2])");
    expect(() => +tensor([1, 2])).toThrow(/item\(\)/);
  });
});

describe("toString prints like torch", () => {
  // Oracle: torch's repr of the same tensors (with dtype and requiresGrad spelled the JS way).
  it("a 2x3 float32", () => {
    expect(
      tensor([
        [1.5, 2, -3],
        [0.25, 10, 0],
      ]).toString(),
    ).toMatchInlineSnapshot(`
      "tensor([[ 1.5000,  2.0000, -3.0000],
              [ 0.2500, 10.0000,  0.0000]])"
    `);
  });
  it("integral floats print with a trailing dot; 0-d tensors", () => {
    expect(tensor([1, 2, 3]).float().toString()).toMatchInlineSnapshot(`"tensor([1., 2., 3.])"`);
    expect(tensor(3.5).toString()).toMatchInlineSnapshot(`"tensor(3.5000)"`);
  });
  it("an int64 vector", () => {
    expect(tensor([1, -20, 300]).toString()).toMatchInlineSnapshot(`"tensor([  1, -20, 300])"`);
  });
  it("a bool tensor", () => {
    expect(tensor([true, false, true]).toString()).toMatchInlineSnapshot(`"tensor([ true, false,  true])"`);
  });
  it("float64 and int32 show their dtype", () => {
    expect(tensor([1.5, 2], { dtype: "float64" }).toString()).toMatchInlineSnapshot(
      `"tensor([1.5000, 2.0000], dtype=float64)"`,
    );
    expect(tensor([1, 2], { dtype: "int32" }).toString()).toMatchInlineSnapshot(
      `"tensor([1, 2], dtype=int32)"`,
    );
  });
  it("requiresGrad=true", () => {
    expect(ones([2], { requiresGrad: true }).toString()).toMatchInlineSnapshot(
      `"tensor([1., 1.], requiresGrad=true)"`,
    );
  });
  it("a 3-d tensor separates blocks with a blank line", () => {
    expect(arange(8).reshape([2, 2, 2]).toString()).toMatchInlineSnapshot(`
      "tensor([[[0, 1],
               [2, 3]],

              [[4, 5],
               [6, 7]]])"
    `);
  });
  it("a 100x100 tensor is summarized with ...", () => {
    expect(arange(100).float().expand([100, 100]).toString()).toMatchInlineSnapshot(`
      "tensor([[ 0.,  1.,  2.,  ..., 97., 98., 99.],
              [ 0.,  1.,  2.,  ..., 97., 98., 99.],
              [ 0.,  1.,  2.,  ..., 97., 98., 99.],
              ...,
              [ 0.,  1.,  2.,  ..., 97., 98., 99.],
              [ 0.,  1.,  2.,  ..., 97., 98., 99.],
              [ 0.,  1.,  2.,  ..., 97., 98., 99.]])"
    `);
    // A range over 1000x switches to scientific notation, as torch does.
    expect(arange(10000).reshape([100, 100]).float().toString()).toMatchInlineSnapshot(`
      "tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 9.7000e+01, 9.8000e+01, 9.9000e+01],
              [1.0000e+02, 1.0100e+02, 1.0200e+02,  ..., 1.9700e+02, 1.9800e+02, 1.9900e+02],
              [2.0000e+02, 2.0100e+02, 2.0200e+02,  ..., 2.9700e+02, 2.9800e+02, 2.9900e+02],
              ...,
              [9.7000e+03, 9.7010e+03, 9.7020e+03,  ..., 9.7970e+03, 9.7980e+03, 9.7990e+03],
              [9.8000e+03, 9.8010e+03, 9.8020e+03,  ..., 9.8970e+03, 9.8980e+03, 9.8990e+03],
              [9.9000e+03, 9.9010e+03, 9.9020e+03,  ..., 9.9970e+03, 9.9980e+03, 9.9990e+03]])"
    `);
  });
  it("scientific notation for wide ranges", () => {
    expect(tensor([1e-5, 1, 1000]).toString()).toMatchInlineSnapshot(
      `"tensor([1.0000e-05, 1.0000e+00, 1.0000e+03])"`,
    );
    expect(tensor([0.001, 2]).toString()).toMatchInlineSnapshot(`"tensor([1.0000e-03, 2.0000e+00])"`);
    expect(tensor([1, 10000], { dtype: "float32" }).toString()).toMatchInlineSnapshot(
      `"tensor([1.0000e+00, 1.0000e+04])"`,
    );
    expect(tensor([1, 1000], { dtype: "float32" }).toString()).toMatchInlineSnapshot(
      `"tensor([   1., 1000.])"`,
    );
    expect(tensor([1e9, 1], { dtype: "float64" }).toString()).toMatchInlineSnapshot(
      `"tensor([1.0000e+09, 1.0000e+00], dtype=float64)"`,
    );
  });
  it("nan and inf", () => {
    expect(tensor([Number.NaN, Infinity, -Infinity, 1.5]).toString()).toMatchInlineSnapshot(
      `"tensor([   nan,    inf,   -inf, 1.5000])"`,
    );
    expect(tensor([Number.NaN, 1, 2]).toString()).toMatchInlineSnapshot(`"tensor([nan, 1., 2.])"`);
    expect(tensor([1, Infinity], { dtype: "float64" }).toString()).toMatchInlineSnapshot(
      `"tensor([1., inf], dtype=float64)"`,
    );
  });
});

describe("requiresGrad and backward() without an engine", () => {
  // Oracle: torch's rules (only floating tensors can require grad).
  it("requiresGrad is accepted for floating tensors only", () => {
    expect(zeros([2], { requiresGrad: true }).requiresGrad).toBe(true);
    expect(randn([2], { requiresGrad: true, dtype: "float64" }).requiresGrad).toBe(true);
    expect(zeros([2]).requiresGrad).toBe(false);
    expect(zeros([2]).requiresGrad_().requiresGrad).toBe(true);
    expect(zeros([2]).isLeaf).toBe(true);
    expect(() => tensor([1, 2], { requiresGrad: true })).toThrow(
      /only floating tensors can require grad.*i64\[2\]/,
    );
    expect(() => zeros([2], { dtype: "int32", requiresGrad: true })).toThrow(TensorError);
    expect(() => tensor([true]).requiresGrad_()).toThrow(/bool\[1\]/);
    expect(() => arange(3, undefined, 1, { requiresGrad: true })).toThrow(TensorError);
  });

  it("backward() throws an error that names @aotjs/autograd", () => {
    const x = ones([1], { requiresGrad: true });
    expect(() => x.backward()).toThrow(TensorError);
    expect(() => x.backward()).toThrow(/@aotjs\/autograd/);
  });
});

// The eager Tensor API, part 2: layout methods, joining and splitting, gather/scatter, matmul and
// the conv/pool wrappers, in-place methods and the no-aliasing rule.
import { describe, expect, it } from "vitest";
import {
  arange,
  avgPool2d,
  cat,
  chunk,
  conv2d,
  gather,
  maxPool2d,
  type Nested,
  ones,
  scatterAdd,
  split,
  stack,
  type Tensor,
  TensorError,
  tensor,
  zeros,
} from "../src/index.js";
import { expectClose, flat } from "./support-tensor.js";

const x234 = arange(24).reshape([2, 3, 4]);
/** x234's value at [i, j, k]: its values are the row-major indices. */
const at = (i: number, j: number, k: number) => i * 12 + j * 4 + k;
const get = (t: Tensor, ...idx: number[]) => idx.reduce<Nested>((a, i) => (a as Nested[])[i]!, t.toArray());

describe("reshape, view, permute, transpose", () => {
  // Oracle: row-major index arithmetic (x234[i][j][k] = 12i + 4j + k).
  it("reshape infers one -1 dim and keeps row-major order", () => {
    expect(x234.reshape([4, -1]).shape).toEqual([4, 6]);
    expect(x234.reshape([-1]).toArray()).toEqual(Array.from({ length: 24 }, (_, i) => i));
    expect(get(x234.reshape([6, 4]), 5)).toEqual([20, 21, 22, 23]);
    expect(zeros([0, 3]).reshape([-1, 3]).shape).toEqual([0, 3]);
    expect(tensor(7).reshape([1, 1]).toArray()).toEqual([[7]]);
  });

  it("reshape rejects two -1 dims and a wrong size", () => {
    expect(() => x234.reshape([-1, -1])).toThrow(/reshape: invalid shape \[-1, -1\].*only one dim may be -1/);
    expect(() => x234.reshape([5, -1])).toThrow(/reshape: shape \[5, -1\] is invalid for input of size 24/);
    expect(() => x234.reshape([5, 5])).toThrow(TensorError);
  });

  it("view is reshape", () => {
    expect(x234.view([3, 8]).toArray()).toEqual(x234.reshape([3, 8]).toArray());
    expect(x234.view([-1, 2]).shape).toEqual([12, 2]);
  });

  it("permute moves dims: y[k][i][j] = x[i][j][k]", () => {
    const y = x234.permute([2, 0, 1]);
    expect(y.shape).toEqual([4, 2, 3]);
    for (const [i, j, k] of [
      [0, 0, 0],
      [1, 2, 3],
      [0, 1, 2],
      [1, 0, 3],
    ] as const)
      expect(get(y, k, i, j)).toBe(at(i, j, k));
    expect(x234.permute([-1, 0, 1]).toArray()).toEqual(y.toArray());
  });

  it("transpose, t and T", () => {
    const m = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const mt = [
      [1, 4],
      [2, 5],
      [3, 6],
    ];
    expect(m.transpose(0, 1).toArray()).toEqual(mt);
    expect(m.transpose(-1, -2).toArray()).toEqual(mt);
    expect(m.t().toArray()).toEqual(mt);
    expect(m.T.toArray()).toEqual(mt);
    expect(tensor([1, 2]).t().toArray()).toEqual([1, 2]);
    const y = x234.transpose(0, 2);
    expect(y.shape).toEqual([4, 3, 2]);
    expect(get(y, 3, 1, 0)).toBe(at(0, 1, 3));
    expect(x234.T.shape).toEqual([4, 3, 2]);
    expect(x234.T.toArray()).toEqual(y.toArray());
  });
});

describe("expand, unsqueeze, squeeze, flatten", () => {
  // Oracle: hand-computed shapes and values.
  it("expand with -1 and new leading dims", () => {
    const col = tensor([[1], [2], [3]]);
    expect(col.expand([-1, 2]).toArray()).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    const row = tensor([1, 2]);
    const e = row.expand([2, 3, -1]);
    expect(e.shape).toEqual([2, 3, 2]);
    expect(flat(e.toArray())).toEqual(Array(6).fill([1, 2]).flat());
    expect(row.expandAs(zeros([3, 2])).toArray()).toEqual([
      [1, 2],
      [1, 2],
      [1, 2],
    ]);
    expect(() => row.expand([-1, 2])).toThrow(/expand: -1 is not allowed in a new leading dim/);
    expect(() => row.expand([3])).toThrow(/expand: cannot expand \[2\] to \[3\]/);
  });

  it("unsqueeze at the front, middle, end and with negative dims", () => {
    const m = zeros([2, 3]);
    expect(m.unsqueeze(0).shape).toEqual([1, 2, 3]);
    expect(m.unsqueeze(1).shape).toEqual([2, 1, 3]);
    expect(m.unsqueeze(2).shape).toEqual([2, 3, 1]);
    expect(m.unsqueeze(-1).shape).toEqual([2, 3, 1]);
    expect(m.unsqueeze(-3).shape).toEqual([1, 2, 3]);
    expect(tensor([1, 2]).unsqueeze(1).toArray()).toEqual([[1], [2]]);
  });

  it("squeeze all size-1 dims, one dim, a list; a non-1 dim is left alone", () => {
    const t = arange(6).reshape([1, 3, 1, 2]);
    expect(t.squeeze().shape).toEqual([3, 2]);
    expect(t.squeeze().toArray()).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
    expect(t.squeeze(0).shape).toEqual([3, 1, 2]);
    expect(t.squeeze(-2).shape).toEqual([1, 3, 2]);
    expect(t.squeeze([0, 2]).shape).toEqual([3, 2]);
    expect(t.squeeze(1).shape).toEqual([1, 3, 1, 2]);
    expect(t.squeeze([1, 2]).shape).toEqual([1, 3, 2]);
    expect(tensor([5]).squeeze().shape).toEqual([]);
  });

  it("flatten ranges", () => {
    expect(x234.flatten().shape).toEqual([24]);
    expect(x234.flatten(1).shape).toEqual([2, 12]);
    expect(x234.flatten(0, 1).shape).toEqual([6, 4]);
    expect(x234.flatten(-2, -1).shape).toEqual([2, 12]);
    expect(x234.flatten(1, 1).shape).toEqual([2, 3, 4]);
    expect(get(x234.flatten(0, 1), 4)).toEqual([16, 17, 18, 19]);
    expect(tensor(3).flatten().shape).toEqual([1]);
    expect(() => x234.flatten(2, 1)).toThrow(/flatten: startDim 2 comes after endDim 1/);
  });
});

describe("slice, narrow, select, split, chunk", () => {
  // Oracle: Python's list slicing, emulated with explicit index loops.
  const xs = Array.from({ length: 10 }, (_, i) => i);
  const pySlice = (a: number[], start?: number, end?: number, step = 1) => {
    const n = a.length;
    const norm = (i: number | undefined, dflt: number) =>
      i === undefined ? dflt : Math.min(n, Math.max(0, i < 0 ? i + n : i));
    const out: number[] = [];
    for (let i = norm(start, 0); i < norm(end, n); i += step) out.push(a[i]!);
    return out;
  };
  const t = arange(10);
  it.each([
    [undefined, undefined, 1],
    [2, 5, 1],
    [-3, undefined, 1],
    [undefined, -2, 1],
    [2, 100, 1],
    [-100, 3, 1],
    [1, 8, 3],
    [0, 10, 4],
    [8, 2, 1],
    [-1, -5, 1],
    [20, 30, 1],
  ] as [number | undefined, number | undefined, number][])("slice(0, %s, %s, %s)", (start, end, step) => {
    expect(t.slice(0, start, end, step).toArray()).toEqual(pySlice(xs, start, end, step));
  });

  it("slice along an inner dim", () => {
    expect(x234.slice(-1, 1, 3).shape).toEqual([2, 3, 2]);
    expect(get(x234.slice(2, 1, 4, 2), 1, 2)).toEqual([at(1, 2, 1), at(1, 2, 3)]);
    expect(() => t.slice(0, 0, 5, 0)).toThrow(/slice: step must be a positive integer, got 0/);
  });

  it("narrow(dim, start, length), also with a negative start", () => {
    expect(t.narrow(0, 2, 3).toArray()).toEqual([2, 3, 4]);
    expect(t.narrow(0, -3, 2).toArray()).toEqual([7, 8]);
    expect(x234.narrow(1, 1, 1).shape).toEqual([2, 1, 4]);
    expect(() => t.narrow(0, 8, 5)).toThrow(/narrow: \[8, 8\+5\) is out of range for dim 0/);
  });

  it("select removes the dim; negative indices count from the end", () => {
    const m = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(m.select(0, -1).toArray()).toEqual([3, 4]);
    expect(m.select(1, 0).toArray()).toEqual([1, 3]);
    expect(x234.select(1, 2).shape).toEqual([2, 4]);
    expect(x234.select(1, 2).toArray()).toEqual([0, 1].map((i) => [0, 1, 2, 3].map((k) => at(i, 2, k))));
    expect(tensor([9, 8]).select(0, 1).shape).toEqual([]);
  });

  it("split by a size (last part smaller) and by a list; chunk as torch", () => {
    const five = arange(5);
    expect(five.split(2).map((p) => p.toArray())).toEqual([[0, 1], [2, 3], [4]]);
    expect(split(five, [1, 4]).map((p) => p.toArray())).toEqual([[0], [1, 2, 3, 4]]);
    expect(five.split([0, 5]).map((p) => p.shape)).toEqual([[0], [5]]);
    const parts = x234.split(1, 1);
    expect(parts.map((p) => p.shape)).toEqual([
      [2, 1, 4],
      [2, 1, 4],
      [2, 1, 4],
    ]);
    expect(parts[2]!.toArray()).toEqual(x234.slice(1, 2, 3).toArray());
    expect(x234.split([1, 3], -1).map((p) => p.shape)).toEqual([
      [2, 3, 1],
      [2, 3, 3],
    ]);
    expect(() => five.split([2, 2])).toThrow(/split: sizes \[2,2\] do not add up to 5/);
    expect(five.chunk(3).map((p) => p.toArray())).toEqual([[0, 1], [2, 3], [4]]);
    // torch.chunk(arange(6), 4) gives 3 chunks of 2.
    expect(chunk(arange(6), 4).map((p) => p.toArray())).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
    expect(x234.chunk(2, 2).map((p) => p.shape)).toEqual([
      [2, 3, 2],
      [2, 3, 2],
    ]);
  });
});

describe("cat, stack, gather, scatterAdd", () => {
  // Oracle: hand-computed values (gather's is the example from torch.gather's docs).
  it("cat along dims, with dtype promotion", () => {
    const a = tensor([1, 2]);
    const b = tensor([0.5], { dtype: "float32" });
    const c = cat([a, b]);
    expect(c.dtype).toBe("float32");
    expect(c.toArray()).toEqual([1, 2, 0.5]);
    const l = tensor([[1], [2]]);
    const r = tensor([
      [3, 4],
      [5, 6],
    ]);
    const want = [
      [1, 3, 4],
      [2, 5, 6],
    ];
    expect(cat([l, r], 1).toArray()).toEqual(want);
    expect(cat([l, r], -1).toArray()).toEqual(want);
    expect(cat([r, r, r]).shape).toEqual([6, 2]);
    expect(cat([tensor([1], { dtype: "int32" }), tensor([true])]).dtype).toBe("int32");
  });

  it("stack adds a dim at 0, 1 or -1", () => {
    const a = tensor([1, 2]);
    const b = tensor([3, 4]);
    expect(stack([a, b]).toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(stack([a, b], 1).toArray()).toEqual([
      [1, 3],
      [2, 4],
    ]);
    expect(stack([a, b], -1).toArray()).toEqual(stack([a, b], 1).toArray());
    expect(stack([tensor(1), tensor(2)]).toArray()).toEqual([1, 2]);
    expect(stack([a, tensor([0.5, 1], { dtype: "float64" })]).dtype).toBe("float64");
  });

  it("gather picks along dim with an index tensor", () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    const idx = tensor([
      [0, 0],
      [1, 0],
    ]);
    expect(x.gather(1, idx).toArray()).toEqual([
      [1, 1],
      [4, 3],
    ]);
    expect(gather(x, 0, idx).toArray()).toEqual([
      [1, 2],
      [3, 2],
    ]);
    expect(x.gather(-1, tensor([[1], [0]])).toArray()).toEqual([[2], [3]]);
  });

  it("scatterAdd accumulates repeated indices and casts src to the target dtype", () => {
    expect(
      zeros([3])
        .scatterAdd(0, tensor([0, 1, 0, 2]), tensor([1, 2, 3, 4]))
        .toArray(),
    ).toEqual([4, 2, 4]);
    const r = scatterAdd(
      zeros([2, 3]),
      1,
      tensor([
        [0, 1, 0],
        [2, 2, 1],
      ]),
      ones([2, 3]),
    );
    expect(r.toArray()).toEqual([
      [2, 1, 0],
      [0, 1, 2],
    ]);
    expect(r.dtype).toBe("float32");
    expect(
      tensor([10, 20])
        .scatterAdd(0, tensor([1]), tensor([1.9]))
        .toArray(),
    ).toEqual([10, 21]);
  });
});

/** Plain triple loop over the last two dims, broadcasting batch dims: the matmul oracle. */
function naiveMatmul(a: number[][][], b: number[][][]): number[][][] {
  const batch = Math.max(a.length, b.length);
  return Array.from({ length: batch }, (_, n) => {
    const A = a[a.length === 1 ? 0 : n]!;
    const B = b[b.length === 1 ? 0 : n]!;
    return A.map((row) => B[0]!.map((_, j) => row.reduce((s, v, k) => s + v * B[k]![j]!, 0)));
  });
}

describe("matmul follows torch.matmul", () => {
  // Oracle: naive loops (naiveMatmul) and hand-computed dot products.
  const v = tensor([1, 2, 3]);
  const m = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  it("1-D @ 1-D is a 0-d dot product", () => {
    const d = v.matmul(tensor([4, 5, 6]));
    expect(d.shape).toEqual([]);
    expect(d.item()).toBe(32);
  });
  it("1-D @ 2-D and 2-D @ 1-D drop the vector's dim", () => {
    const r = tensor([1, 2]).matmul(m);
    expect(r.shape).toEqual([3]);
    expect(r.toArray()).toEqual([9, 12, 15]);
    const c = m.matmul(tensor([1, 0, -1]));
    expect(c.shape).toEqual([2]);
    expect(c.toArray()).toEqual([-2, -2]);
  });
  it("batched matmul broadcasts batch dims", () => {
    const a = arange(12).reshape([2, 2, 3]).float();
    const b = arange(6).reshape([3, 2]).float().sub(2);
    const ab = a.matmul(b);
    expect(ab.shape).toEqual([2, 2, 2]);
    expect(ab.toArray()).toEqual(naiveMatmul(a.toArray() as number[][][], [b.toArray() as number[][]]));
    const c = arange(6).reshape([1, 2, 3]).float();
    const d = arange(24).reshape([4, 3, 2]).float();
    expect(c.matmul(d).shape).toEqual([4, 2, 2]);
    expect(c.matmul(d).toArray()).toEqual(
      naiveMatmul(c.toArray() as number[][][], d.toArray() as number[][][]),
    );
    // A vector against a batch: [3] @ [4,3,2] -> [4,2]; [2,2,3] @ [3] -> [2,2].
    expect(v.float().matmul(d).shape).toEqual([4, 2]);
    expect(v.float().matmul(d).toArray()).toEqual(
      naiveMatmul([[[1, 2, 3]]], d.toArray() as number[][][]).map((r) => r[0]),
    );
    expect(a.matmul(v.float()).toArray()).toEqual(
      naiveMatmul(a.toArray() as number[][][], [[[1], [2], [3]]]).map((r) => r.map((x) => x[0])),
    );
  });
  it("promotes mixed dtypes", () => {
    const r = m.matmul(tensor([0.5, 0.5, 0.5], { dtype: "float32" }));
    expect(r.dtype).toBe("float32");
    expect(r.toArray()).toEqual([3, 7.5]);
  });
});

/** Direct-loop 2-D convolution (NCHW input, OIHW weight, groups 1, zero padding): the conv oracle. */
function naiveConv(x: number[][][][], w: number[][][][], stride: [number, number], pad: [number, number]) {
  const [H, W] = [x[0]![0]!.length, x[0]![0]![0]!.length];
  const [kh, kw] = [w[0]![0]!.length, w[0]![0]![0]!.length];
  const oh = Math.floor((H + 2 * pad[0] - kh) / stride[0]) + 1;
  const ow = Math.floor((W + 2 * pad[1] - kw) / stride[1]) + 1;
  return x.map((img) =>
    w.map((filt) =>
      Array.from({ length: oh }, (_, i) =>
        Array.from({ length: ow }, (_, j) => {
          let s = 0;
          filt.forEach((ch, c) => {
            ch.forEach((row, p) => {
              row.forEach((wv, q) => {
                const r = i * stride[0] + p - pad[0];
                const col = j * stride[1] + q - pad[1];
                if (r >= 0 && r < H && col >= 0 && col < W) s += wv * img[c]![r]![col]!;
              });
            });
          });
          return s;
        }),
      ),
    ),
  );
}

describe("conv2d, maxPool2d, avgPool2d wrappers", () => {
  // Oracle: naiveConv, and hand-computed window maxima and means over x = 0..15 as a 4x4 image.
  const img = arange(16).reshape([1, 1, 4, 4]).float();
  it("conv2d with int and pair stride and padding", () => {
    const w = tensor(
      [
        [
          [
            [1, -1],
            [2, 0.5],
          ],
        ],
        [
          [
            [0, 1],
            [1, 0],
          ],
        ],
      ],
      { dtype: "float32" },
    );
    const X = img.toArray() as number[][][][];
    const W = w.toArray() as number[][][][];
    expect(conv2d(img, w).toArray()).toEqual(naiveConv(X, W, [1, 1], [0, 0]));
    expect(conv2d(img, w, { stride: 2 }).toArray()).toEqual(naiveConv(X, W, [2, 2], [0, 0]));
    expect(conv2d(img, w, { stride: [1, 2], padding: 1 }).toArray()).toEqual(naiveConv(X, W, [1, 2], [1, 1]));
    expect(conv2d(img, w, { padding: [0, 1] }).shape).toEqual([1, 2, 3, 5]);
    expect(conv2d(img, ones([1, 1, 2, 2]), { stride: 2 }).toArray()).toEqual([
      [
        [
          [10, 18],
          [42, 50],
        ],
      ],
    ]);
  });

  it("maxPool2d: stride defaults to kernelSize; pair kernel; padding", () => {
    expect(maxPool2d(img, { kernelSize: 2 }).toArray()).toEqual([
      [
        [
          [5, 7],
          [13, 15],
        ],
      ],
    ]);
    expect(maxPool2d(img, { kernelSize: [2, 1] }).toArray()).toEqual([
      [
        [
          [4, 5, 6, 7],
          [12, 13, 14, 15],
        ],
      ],
    ]);
    expect(maxPool2d(img, { kernelSize: 2, stride: 1 }).shape).toEqual([1, 1, 3, 3]);
    expect(maxPool2d(img, { kernelSize: 2, padding: 1 }).toArray()).toEqual([
      [
        [
          [0, 2, 3],
          [8, 10, 11],
          [12, 14, 15],
        ],
      ],
    ]);
  });

  it("avgPool2d: stride defaults to kernelSize; explicit stride", () => {
    expect(avgPool2d(img, { kernelSize: 2 }).toArray()).toEqual([
      [
        [
          [2.5, 4.5],
          [10.5, 12.5],
        ],
      ],
    ]);
    // Window mean at (i, j) with stride 1 is 4i + j + 2.5.
    expectClose(avgPool2d(img, { kernelSize: [2, 2], stride: [1, 1] }), [
      [[0, 1, 2].map((i) => [0, 1, 2].map((j) => 4 * i + j + 2.5))],
    ]);
  });
});

describe("in-place methods", () => {
  // Oracle: hand-computed values; each method returns the tensor it was called on.
  it("add_ (with alpha), sub_, mul_, div_", () => {
    const x = tensor([1, 2, 3], { dtype: "float32" });
    expect(x.add_(1)).toBe(x);
    expect(x.toArray()).toEqual([2, 3, 4]);
    x.add_(tensor([1, 1, 1]), 2);
    expect(x.toArray()).toEqual([4, 5, 6]);
    x.add_(1, 3);
    expect(x.toArray()).toEqual([7, 8, 9]);
    expect(x.sub_(tensor([1, 2, 3])).toArray()).toEqual([6, 6, 6]);
    expect(x.mul_(tensor([1, 2, 0.5])).toArray()).toEqual([6, 12, 3]);
    expect(x.div_(3).toArray()).toEqual([2, 4, 1]);
    expect(x.dtype).toBe("float32");
    expect(x.shape).toEqual([3]);
  });

  it("in-place keeps the target's dtype and broadcasts the operand; float into int is refused, as torch", () => {
    const i = tensor([1, 2]);
    i.add_(3);
    expect(i.dtype).toBe("int64");
    expect(i.toArray()).toEqual([4, 5]);
    expect(() => i.add_(2.5)).toThrow(
      "add_: result type float32 can't be cast to the desired output type int64",
    );
    expect(() => tensor([5]).div_(2)).toThrow(/div_: result type float32 can't be cast/);
    expect(() => zeros([2]).add_(zeros([3, 2]))).toThrow(
      /add_: the result f32\[3,2\] does not broadcast to the target f32\[2\]/,
    );
    const m = zeros([2, 3]);
    m.add_(tensor([1, 2, 3]));
    expect(m.toArray()).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
  });

  it("copy_ broadcasts and casts; fill_ and zero_", () => {
    const m = zeros([2, 3]);
    expect(m.copy_(tensor([1, 2, 3]))).toBe(m);
    expect(m.dtype).toBe("float32");
    expect(m.toArray()).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
    m.copy_(tensor([[true], [false]]));
    expect(m.toArray()).toEqual([
      [1, 1, 1],
      [0, 0, 0],
    ]);
    expect(m.fill_(7).toArray()).toEqual([
      [7, 7, 7],
      [7, 7, 7],
    ]);
    expect(m.zero_().toArray()).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(tensor([1, 2]).fill_(2.7).toArray()).toEqual([2, 2]);
    expect(tensor([true, false]).fill_(true).toArray()).toEqual([true, true]);
  });

  it("an operand that does not broadcast to the target's shape is an error", () => {
    expect(() => zeros([2]).add_(ones([3, 2]))).toThrow(TensorError);
    expect(() => zeros([2]).copy_(ones([3]))).toThrow(/broadcast|expand/);
  });
});

describe("tensors never alias", () => {
  // Oracle: values captured before the in-place update.
  it("reshape/view/permute/cat results do not see a later in-place update of the source", () => {
    const x = arange(6).float();
    const y = x.reshape([2, 3]);
    const v = x.view([3, 2]);
    const p = y.permute([1, 0]);
    const c = cat([x]);
    const before = [y.toArray(), v.toArray(), p.toArray(), c.toArray()];
    x.add_(1);
    expect(x.toArray()).toEqual([1, 2, 3, 4, 5, 6]);
    expect([y.toArray(), v.toArray(), p.toArray(), c.toArray()]).toEqual(before);
    y.mul_(0);
    expect(x.toArray()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("clone and detach are independent of in-place updates of the original", () => {
    const a = tensor([1, 2, 3], { dtype: "float32" });
    const b = a.clone();
    const d = a.detach();
    a.mul_(2);
    expect(a.toArray()).toEqual([2, 4, 6]);
    expect(b.toArray()).toEqual([1, 2, 3]);
    expect(d.toArray()).toEqual([1, 2, 3]);
    b.fill_(0);
    expect(a.toArray()).toEqual([2, 4, 6]);
  });
});

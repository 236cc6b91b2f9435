import "@aotjs/autograd";
import { setWarningHandler } from "@aotjs/ir";
import { arange, manualSeed, ones, randn, type Tensor, tensor } from "@aotjs/tensor";
import { makeFx } from "@aotjs/tracer";
import { describe, expect, test } from "vitest";
import { Embedding, F, Parameter } from "../src/index.js";
import { maxAbsDiff, values } from "./support.js";

const f32 = (data: Parameters<typeof tensor>[0]) => tensor(data, { dtype: "float32" });
const f64 = (data: Parameters<typeof tensor>[0]) => tensor(data, { dtype: "float64" });
const close = (t: Tensor, expected: number[], tol = 1e-6) =>
  expect(maxAbsDiff(values(t), expected)).toBeLessThanOrEqual(tol);

/** Reference log-softmax of one row, in float64 by hand. */
const logSoftmaxRow = (row: number[]) => {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
  return row.map((v) => v - lse);
};

describe("activations", () => {
  test("softmax and logSoftmax of [1, 2, 3]", () => {
    // Oracle: e^i / (e + e^2 + e^3), computed by hand.
    close(F.softmax(f32([1, 2, 3]), 0), [0.09003057317038046, 0.24472847105479764, 0.6652409557748219]);
    close(F.logSoftmax(f32([[1, 2, 3]]), 1), logSoftmaxRow([1, 2, 3]));
  });

  test("gelu exact and tanh forms", () => {
    // Oracle: x * Phi(x) with Phi(1) = 0.8413447460685429 (normal CDF tables); Phi(-1) = 1 - Phi(1).
    close(
      F.gelu(f64([1, -1, 0, 3])),
      [0.8413447460685429, -0.15865525393145707, 0, 3 * 0.9986501019683699],
      1e-12,
    );
    const tanhForm = (x: number) =>
      0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
    close(F.gelu(f64([1, -2, 0.5]), "tanh"), [tanhForm(1), tanhForm(-2), tanhForm(0.5)], 1e-12);
    expect(tanhForm(1)).toBeCloseTo(0.8411919906, 9);
    expect(() => F.gelu(f32([1]), "fast" as never)).toThrow(/approximate must be 'none' or 'tanh'/);
  });

  test("dropout: identity in eval and for p = 0, zeros for p = 1, bad p rejected", () => {
    const x = f32([1, 2, 3]);
    expect(F.dropout(x, 0.5, false)).toBe(x);
    expect(F.dropout(x, 0)).toBe(x);
    expect(values(F.dropout(x, 1))).toEqual([0, 0, 0]);
    expect(() => F.dropout(x, 1.5)).toThrow("dropout: p must be in [0, 1], got 1.5 (input f32[3])");
  });
});

describe("losses", () => {
  const logits = [
    [1, 2, 3],
    [0.5, 0, -1],
    [-2, 4, 1],
  ];
  const targets = [2, 1, 0];
  const nll = logits.map((row, i) => -logSoftmaxRow(row)[targets[i]!]!);

  test("crossEntropy mean / sum / none against the definition", () => {
    const x = f64(logits);
    const t = tensor(targets);
    close(F.crossEntropy(x, t, { reduction: "none" }), nll, 1e-12);
    close(F.crossEntropy(x, t, { reduction: "sum" }), [nll[0]! + nll[1]! + nll[2]!], 1e-12);
    close(F.crossEntropy(x, t), [(nll[0]! + nll[1]! + nll[2]!) / 3], 1e-12);
    // Hand-computed literal for row 0: log(1 + e^-1 + e^-2) = 0.40760596444...
    expect(nll[0]).toBeCloseTo(0.4076059644443806, 12);
    // float32 logits agree within float32 precision.
    close(F.crossEntropy(f32(logits), t), [(nll[0]! + nll[1]! + nll[2]!) / 3], 1e-6);
  });

  test("crossEntropy with ignoreIndex leaves the ignored sample out of the mean", () => {
    const t = tensor([2, -100, 0]);
    close(F.crossEntropy(f64(logits), t), [(nll[0]! + nll[2]!) / 2], 1e-12);
    close(
      F.crossEntropy(f64(logits), tensor([2, 1, 0]), { ignoreIndex: 1 }),
      [(nll[0]! + nll[2]!) / 2],
      1e-12,
    );
    close(F.crossEntropy(f64(logits), t, { reduction: "none" }), [nll[0]!, 0, nll[2]!], 1e-12);
  });

  test("crossEntropy with labelSmoothing follows PyTorch's formula", () => {
    const s = 0.1;
    const c = 3;
    // Oracle: (1 - s) * nll + s / C * (-sum_c log p_c), averaged over the samples.
    const smooth = logits.map((row) => -logSoftmaxRow(row).reduce((a, b) => a + b, 0));
    const per = nll.map((v, i) => (1 - s) * v + (s / c) * smooth[i]!);
    close(
      F.crossEntropy(f64(logits), tensor(targets), { labelSmoothing: s }),
      [(per[0]! + per[1]! + per[2]!) / 3],
      1e-12,
    );
    close(F.crossEntropy(f64(logits), tensor(targets), { labelSmoothing: s, reduction: "none" }), per, 1e-12);
  });

  test("crossEntropy with class weights divides by the summed target weights", () => {
    const w = [0.5, 2, 1];
    const weighted = nll.map((v, i) => v * w[targets[i]!]!);
    const expected = (weighted[0]! + weighted[1]! + weighted[2]!) / (w[2]! + w[1]! + w[0]!);
    close(F.crossEntropy(f64(logits), tensor(targets), { weight: f64(w) }), [expected], 1e-12);
  });

  // Oracle: PyTorch's cross_entropy, which reads a float target as probabilities and refuses one
  // whose shape is not the input's (it is never taken for class indices).
  test("crossEntropy refuses a float target of the wrong shape instead of reading it as classes", () => {
    const x = randn([4, 3]);
    for (const t of [f32([0, 1, 2, 0]), f32([0, 1, 2, 0]).reshape([4, 1])]) {
      expect(() => F.crossEntropy(x, t)).toThrow(
        `crossEntropy: probability target f32[${t.shape}] must have the input's shape f32[4,3]`,
      );
    }
  });

  test("crossEntropy over [N, C, L] and with probability targets", () => {
    // [1, 3, 2]: two positions, classes along dim 1.
    const x = f64([
      [
        [1, 0.5],
        [2, 0],
        [3, -1],
      ],
    ]);
    close(F.crossEntropy(x, tensor([[2, 1]]), { reduction: "none" }), [nll[0]!, nll[1]!], 1e-12);
    const probs = f64([
      [0, 0, 1],
      [0.5, 0.5, 0],
      [1, 0, 0],
    ]);
    const expected = logits.map(
      (row, i) => -logSoftmaxRow(row).reduce((a, lp, k) => a + lp * values(probs)[3 * i + k]!, 0),
    );
    close(F.crossEntropy(f64(logits), probs), [(expected[0]! + expected[1]! + expected[2]!) / 3], 1e-12);
  });

  test("crossEntropy of one unbatched sample: logits [C], target 0-d", () => {
    close(F.crossEntropy(f64(logits[1]!), tensor(1), { reduction: "none" }), [nll[1]!], 1e-12);
    expect([...F.crossEntropy(f64(logits[1]!), tensor(1), { reduction: "none" }).shape]).toEqual([]);
  });

  test("crossEntropy errors name the function and the shapes", () => {
    expect(() => F.crossEntropy(f32(logits), tensor([1, 2]))).toThrow(
      "crossEntropy: target i64[2] must be [3] for input f32[3,3]",
    );
    expect(() => F.crossEntropy(f32(logits), tensor([1, 2, 0]), { reduction: "avg" as never })).toThrow(
      /reduction must be/,
    );
  });

  // Oracle: PyTorch's mse_loss, which warns "Using a target size ... different to the input
  // size ... likely lead to incorrect results due to broadcasting" and then broadcasts.
  test("mseLoss of [4,1] against [4] warns once that they broadcast, and still broadcasts as PyTorch", () => {
    const warnings: string[] = [];
    const previous = setWarningHandler((m) => warnings.push(m));
    try {
      const x = f32([1, 2, 3, 4]).reshape([4, 1]);
      const y = f32([0, 0, 0, 0]);
      expect([...F.mseLoss(x, y, { reduction: "none" }).shape]).toEqual([4, 4]);
      F.mseLoss(x, y);
      expect(warnings).toEqual([
        "mseLoss: target f32[4] differs in shape from input f32[4,1]; they broadcast to each other, which is likely not what you meant (reshape one, e.g. target.reshape(input.shape))",
      ]);
      F.mseLoss(y, y);
      expect(warnings).toHaveLength(1);
    } finally {
      setWarningHandler(previous);
    }
  });

  test("nllLoss on log-probabilities; mseLoss", () => {
    const logp = F.logSoftmax(f64(logits), 1);
    close(F.nllLoss(logp, tensor(targets)), [(nll[0]! + nll[1]! + nll[2]!) / 3], 1e-12);
    // Oracle: ((1-0)^2 + (2-4)^2 + (3-3)^2) / 3 = 5/3.
    close(F.mseLoss(f32([1, 2, 3]), f32([0, 4, 3])), [5 / 3]);
    close(F.mseLoss(f32([1, 2, 3]), f32([0, 4, 3]), { reduction: "sum" }), [5]);
    close(F.mseLoss(f32([1, 2, 3]), f32([0, 4, 3]), { reduction: "none" }), [1, 4, 0]);
  });
});

describe("layers", () => {
  test("layerNorm of [1, 2, 3, 4]: mean 2.5, biased variance 1.25", () => {
    const d = Math.sqrt(1.25 + 1e-5);
    close(F.layerNorm(f32([[1, 2, 3, 4]]), [4]), [-1.5 / d, -0.5 / d, 0.5 / d, 1.5 / d]);
    close(F.layerNorm(f32([[1, 2, 3, 4]]), [4], f32([1, 2, 1, 1]), f32([0, 0, 0, 10])), [
      -1.5 / d,
      -1 / d,
      0.5 / d,
      10 + 1.5 / d,
    ]);
    expect(() => F.layerNorm(f32([[1, 2, 3]]), [4])).toThrow(
      "layerNorm: input f32[1,3] does not end in the normalized shape [4]",
    );
  });

  test("linear is x W^T + b", () => {
    // Oracle: [1,2] . [1,0] + 1 = 2; [1,2] . [0,1] + 2 = 4; [1,2] . [1,1] + 3 = 6.
    close(
      F.linear(
        f32([[1, 2]]),
        f32([
          [1, 0],
          [0, 1],
          [1, 1],
        ]),
        f32([1, 2, 3]),
      ),
      [2, 4, 6],
    );
  });

  test("embedding picks rows for indices of any shape", () => {
    const w = arange(12, undefined, 1, { dtype: "float32" }).reshape([4, 3]);
    const out = F.embedding(
      tensor([
        [3, 0],
        [1, 1],
      ]),
      w,
    );
    expect([...out.shape]).toEqual([2, 2, 3]);
    expect(values(out)).toEqual([9, 10, 11, 0, 1, 2, 3, 4, 5, 3, 4, 5]);
    expect(() => F.embedding(f32([1]), w)).toThrow(
      "embedding: need integer indices and a [num, dim] weight, got f32[1] and f32[4,3]",
    );
  });

  test("pad uses torch's order: pairs from the last dim first; negative pads crop", () => {
    const x = f32([
      [1, 2],
      [3, 4],
    ]);
    const y = F.pad(x, [1, 0, 0, 1], { value: 9 });
    expect([...y.shape]).toEqual([3, 3]);
    expect(values(y)).toEqual([9, 1, 2, 9, 3, 4, 9, 9, 9]);
    expect(values(F.pad(x, [-1, 0]))).toEqual([2, 4]);
    expect(() => F.pad(x, [1])).toThrow(/integer pairs/);
  });

  test("adaptiveAvgPool2d uses PyTorch's overlapping bins", () => {
    // 1x1x1x5 -> 1x1x1x3: bins [0,2), [1,4), [3,5) (start floor(i*5/3), end ceil((i+1)*5/3)).
    const x = f32([[[[1, 2, 3, 4, 5]]]]);
    close(F.adaptiveAvgPool2d(x, [1, 3]), [1.5, 3, 4.5]);
    close(F.adaptiveAvgPool2d(x, 1), [3]);
    close(F.adaptiveAvgPool2d(x, [null, 5]), [1, 2, 3, 4, 5]);
  });

  test("conv2d with padding 'same' keeps the size; bias broadcasts per channel", () => {
    manualSeed(2);
    const x = randn([1, 2, 5, 6]);
    const w = randn([3, 2, 4, 3]);
    const y = F.conv2d(x, w, f32([1, 2, 3]), { padding: "same" });
    expect([...y.shape]).toEqual([1, 3, 5, 6]);
    // Oracle: the even kernel height pads 1 before and 2 after, as torch does.
    const manual = F.conv2d(F.pad(x, [1, 1, 1, 2]), w, f32([1, 2, 3]));
    expect(maxAbsDiff(values(y), values(manual))).toBeLessThanOrEqual(1e-6);
  });

  test("batchNorm in eval uses the running statistics", () => {
    const x = f32([[[[1]], [[2]]]]); // [1, 2, 1, 1]
    const y = F.batchNorm(x, f32([1, 0]), f32([4, 1]), f32([2, 1]), f32([0, 5]), false, 0.1, 0);
    // Oracle: (1 - 1) / 2 * 2 + 0 = 0; (2 - 0) / 1 * 1 + 5 = 7.
    close(y, [0, 7]);
  });

  test("batchNorm in training with weight and bias is one batchNorm op, equal to the core-op path", () => {
    manualSeed(3);
    const x = randn([4, 3, 2, 5], { dtype: "float64" });
    const [w, b] = [f64([0.5, -2, 1.5]), f64([1, 0, -0.25])];
    // Oracle: the core-op path (no affine parameters), then scaled and shifted per channel.
    const plain = F.batchNorm(x, null, null, null, null, true, 0.1, 1e-3);
    const want = plain.mul(w.reshape([1, 3, 1, 1])).add(b.reshape([1, 3, 1, 1]));
    expect(maxAbsDiff(values(F.batchNorm(x, null, null, w, b, true, 0.1, 1e-3)), values(want))).toBeLessThan(
      1e-12,
    );
    const traced = makeFx((t: Tensor, tw: Tensor, tb: Tensor) =>
      F.batchNorm(t, null, null, tw, tb, true, 0.1, 1e-3),
    )(x, w, b);
    expect(traced.nodes.map((n) => n.op)).toEqual(["batchNorm"]);
  });
});

// Oracle: what PyTorch does for the same call (padding_idx rows get no gradient; dropout(p=1) is
// zeros that still carry a zero gradient).
describe("gradients through embedding and dropout", () => {
  test("Embedding: the paddingIdx row gets no gradient (torch's padding_idx)", async () => {
    const e = new Embedding(4, 2, { paddingIdx: 0 });
    const out = e.forward(tensor([0, 1, 0, 2]));
    // The forward value is the row itself (zeros at init), as torch.
    expect(values(out)).toEqual([
      0,
      0,
      ...values(e.weight).slice(2, 4),
      0,
      0,
      ...values(e.weight).slice(4, 6),
    ]);
    await out.sum().backward();
    expect(e.weight.grad?.toArray()).toEqual([
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ]);
  });

  test("F.embedding: a negative paddingIdx counts from the end", async () => {
    const w = new Parameter(ones([3, 2]));
    await F.embedding(tensor([[2, 1]]), w, -1)
      .sum()
      .backward();
    expect(w.grad?.toArray()).toEqual([
      [0, 0],
      [1, 1],
      [0, 0],
    ]);
    expect(() => F.embedding(tensor([0]), w, 3)).toThrow(/embedding: paddingIdx 3 is out of range/);
  });

  test("dropout with p = 1 stays connected to its input: the gradient is zeros", async () => {
    const x = ones([3], { requiresGrad: true });
    const y = F.dropout(x, 1, true);
    expect(y.toArray()).toEqual([0, 0, 0]);
    await y.sum().backward();
    expect(x.grad?.toArray()).toEqual([0, 0, 0]);
  });
});

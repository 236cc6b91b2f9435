// Bad input raises a clear error naming the op and what was wrong, never a bare TypeError from
// deep inside. Oracle: the messages' required content (op name, shapes, dims, ranks).
import { describe, expect, it } from "vitest";
import {
  arange,
  avgPool2d,
  bernoulli,
  cat,
  conv2d,
  full,
  linspace,
  manualSeed,
  maxPool2d,
  ones,
  rand,
  randint,
  stack,
  Tensor,
  tensor,
  where,
  zeros,
} from "../src/index.js";

/** Runs `f`, which must throw; returns the error after checking it is not a TypeError. */
function caught(f: () => unknown): Error {
  let error: unknown;
  try {
    f();
  } catch (e) {
    error = e;
  }
  expect(error, "expected an error").toBeInstanceOf(Error);
  expect(error).not.toBeInstanceOf(TypeError);
  expect(error).not.toBeInstanceOf(RangeError);
  return error as Error;
}

/** `f` throws a non-TypeError whose message matches every pattern. */
function expectClear(f: () => unknown, ...patterns: (RegExp | string)[]): void {
  const e = caught(f);
  for (const p of patterns) expect(e.message).toMatch(p);
}

const m23 = ones([2, 3]);

describe("shape mismatches name the op and both shapes", () => {
  it("add, sub, mul, where", () => {
    expectClear(() => m23.add(ones([4])), /^add:/, "[2,3]", "[4]", /do not broadcast/);
    expectClear(() => m23.sub(ones([3, 3])), /^sub:/, "[2,3]", "[3,3]");
    expectClear(() => m23.mul(ones([2])), /^mul:/, "[2,3]", "[2]");
    expectClear(() => where(ones([2]).bool(), m23, 0), /^where:/, "[2]", "[2,3]");
  });

  it("matmul: inner dims, batch dims, 0-d arguments", () => {
    expectClear(() => m23.matmul(ones([2, 3])), /^matmul:/, "f32[2,3] @ f32[2,3]", /inner dims differ/);
    expectClear(() => ones([2, 2, 3]).matmul(ones([3, 3, 4])), /^matmul:/, "f32[2,2,3]", "f32[3,3,4]");
    expectClear(() => tensor(1.5).matmul(ones([2])), /^matmul:/, "[] and [2]", /at least 1 dim/);
    expectClear(() => ones([3]).matmul(ones([4])), /^matmul:/, /3 vs 4|\[1,3\].*\[4,1\]/);
  });

  it("conv2d: channels, rank, kernel larger than the input", () => {
    expectClear(
      () => conv2d(ones([1, 3, 5, 5]), ones([2, 2, 3, 3])),
      /^conv2d:/,
      "[1,3,5,5]",
      "[2,2,3,3]",
      /input channels/,
    );
    expectClear(() => conv2d(ones([3, 5, 5]), ones([2, 3, 3, 3])), /^conv2d:/, /rank 4/, "f32[3,5,5]");
    expectClear(() => conv2d(ones([1, 1, 2, 2]), ones([1, 1, 3, 3])), /^conv2d:/, /larger than/);
    expectClear(() => maxPool2d(ones([1, 1, 2, 2]), { kernelSize: 3 }), /^maxPool2d:/, /larger than/);
  });

  it("cat and stack of mismatched shapes", () => {
    expectClear(() => cat([m23, ones([2, 4])]), /^concat:/, "[2,4]", "[2,3]");
    expectClear(() => stack([m23, ones([3, 2])]), /^concat:/, "[1,3,2]", "[1,2,3]");
  });

  it("in-place updates that would change the target's shape", () => {
    expectClear(() => ones([2]).add_(ones([3, 2])), /^add_: /, "f32[3,2]", "f32[2]");
    expectClear(() => ones([2]).copy_(ones([3])), /^in-place update: /, "f32[3]", "f32[2]");
  });
});

describe("dtype errors", () => {
  it("numeric ops on bool tensors", () => {
    const b = tensor([true, false]);
    expectClear(() => b.neg(), /^neg:/, /floating or integer, got bool/);
    expectClear(() => b.abs(), /^abs:/, /got bool/);
    expectClear(() => b.amax(), /^amax:/, /got bool/);
    expectClear(() => b.argmax(), /^argmax:/, /got bool/);
    expectClear(() => b.add(true), /^add:/, /got bool/);
    expectClear(() => tensor([[true]]).matmul(tensor([[true]])), /^matmul:/, /got bool/);
  });

  it("float-only ops on integer tensors", () => {
    const i = tensor([1, 2]);
    expectClear(() => i.mean(), /^mean:/, /must be floating, got int64/);
    expectClear(() => i.var(), /mean:/, /int64/);
    expectClear(
      () => conv2d(ones([1, 1, 3, 3], { dtype: "int64" }), ones([1, 1, 1, 1], { dtype: "int64" })),
      /^conv2d:/,
      /floating, got int64/,
    );
    expectClear(
      () => avgPool2d(ones([1, 1, 2, 2], { dtype: "int32" }), { kernelSize: 2 }),
      /^avgPool2d:/,
      /int32/,
    );
    expectClear(() => rand([2], { dtype: "int32" }), /random: dtype must be floating, got int32/);
  });

  it("mixed dtypes that the IR does not promote", () => {
    expectClear(
      () => conv2d(ones([1, 1, 3, 3]), ones([1, 1, 1, 1], { dtype: "float64" })),
      /^conv2d:/,
      /float64/,
      /float32/,
    );
    expectClear(() => m23.gather(1, ones([2, 1])), /^gather:/, /index must be integer, got float32/);
  });

  it("requiresGrad on an integer tensor", () => {
    expectClear(
      () => tensor([1, 2], { requiresGrad: true }),
      /only floating tensors can require grad/,
      "i64[2]",
    );
    expectClear(() => {
      zeros([1], { dtype: "int32" }).requiresGrad = true;
    }, "i32[1]");
    expectClear(() => arange(3, undefined, 1, { requiresGrad: true }), /only floating/);
  });

  it("unknown dtypes and integer pow with a negative exponent", () => {
    expectClear(() => m23.to("float16" as never), /^cast:/, /float16/);
    expectClear(() => full([2], 1, { dtype: "complex64" as never }), /^full:/, /complex64/);
    expectClear(() => tensor([2]).pow(-1), /^pow:/, /negative exponent/);
  });
});

describe("out-of-range dims name the dim and the rank", () => {
  it.each([
    ["sum", () => m23.sum({ dim: 2 }), 2],
    ["mean", () => m23.mean({ dim: -3 }), -3],
    ["amax", () => m23.amax({ dim: [0, 5] }), 5],
    ["argmax", () => m23.argmax({ dim: 2 }), 2],
    ["softmax", () => m23.softmax(3), 3],
    ["logSoftmax", () => m23.logSoftmax(-3), -3],
    ["var", () => m23.var({ dim: 2 }), 2],
    ["squeeze", () => m23.squeeze(2), 2],
    ["transpose", () => m23.transpose(0, 2), 2],
    ["permute", () => m23.permute([0, 2]), 2],
    ["flatten", () => m23.flatten(0, 4), 4],
    ["slice", () => m23.slice(2, 0, 1), 2],
    ["narrow", () => m23.narrow(-3, 0, 1), -3],
    ["select", () => m23.select(2, 0), 2],
    ["split", () => m23.split(1, 2), 2],
    ["chunk", () => m23.chunk(2, 2), 2],
    ["cat", () => cat([m23, m23], 2), 2],
    ["gather", () => m23.gather(2, tensor([[0]])), 2],
    ["size", () => m23.size(2), 2],
  ] as [string, () => unknown, number][])("%s", (op, f, dim) => {
    expectClear(f, new RegExp(`^${op}:`), `dim ${dim} is out of range for a tensor of rank 2`);
  });

  it("stack and unsqueeze count the new dim in the rank, as torch", () => {
    expectClear(() => stack([m23, m23], 4), /^stack:/, "dim 4 is out of range for a tensor of rank 3");
    expectClear(() => m23.unsqueeze(4), /^unsqueeze:/, "dim 4 is out of range", "expected -3 to 2");
  });

  it("repeated and non-integer dims", () => {
    expectClear(() => m23.sum({ dim: [1, -1] }), /^sum:/, /repeats a dim/);
    expectClear(() => m23.unsqueeze(0.5), /^unsqueeze:/, /dim must be an integer, got 0.5/);
    expectClear(() => m23.permute([0, 0]), /^permute:/, /dim 0 twice/);
  });
});

describe("wrong argument types", () => {
  it.each([
    ["a string", "1"],
    ["null", null],
    ["undefined", undefined],
    ["an object", {}],
  ])("add, mul, eq and where reject %s", (_what, bad) => {
    const kind = bad === null ? "null" : typeof bad;
    expectClear(() => m23.add(bad as never), `add: expected a Tensor or a number, got ${kind}`);
    expectClear(() => m23.mul(bad as never), /^mul:/, kind);
    expectClear(() => m23.eq(bad as never), /^eq:/, kind);
    expectClear(() => where(m23.gt(0), bad as never, 0), /^where:/, kind);
    expectClear(() => m23.add_(bad as never), /^add:/, kind);
  });

  it("tensor arguments that are not tensors", () => {
    expectClear(() => m23.matmul(null as never), /^matmul: the second argument must be a Tensor, got null/);
    expectClear(() => cat([m23, null as never]), /^cat: tensors\[1\] must be a Tensor, got null/);
    expectClear(() => cat([m23, 1 as never]), /^cat: tensors\[1\] must be a Tensor, got number/);
    expectClear(() => stack([m23, "x" as never]), /^stack: tensors\[1\] must be a Tensor, got string/);
    expectClear(() => m23.copy_(null as never), /the new value must be a Tensor, got null/);
    expectClear(() => m23.expandAs(undefined as never), /^expandAs: other must be a Tensor, got undefined/);
    expectClear(() => m23.gather(0, null as never), /^gather: input 1 must be a Tensor, got null/);
    expectClear(() => m23.scatterAdd(0, tensor([[0]]), null as never), /^scatterAdd: src must be a Tensor/);
    expectClear(() => m23.clamp("0" as never), /expected a Tensor or a number, got string/);
  });

  it("shapes and options of the wrong type", () => {
    expectClear(() => m23.reshape("x" as never), /^reshape: shape must be an array/);
    expectClear(() => m23.reshape(6 as never), /^reshape: shape must be an array/);
    expectClear(() => zeros(null as never), /^full: shape must be a list of non-negative integers, got null/);
    expectClear(() => zeros([2, -1]), /^full:/, "[2,-1]");
    expectClear(() => ones([1.5]), /^full:/, "[1.5]");
    expectClear(
      () => maxPool2d(ones([1, 1, 2, 2]), {} as never),
      /^maxPool2d: kernelSize must be an int or a pair of ints/,
    );
    expectClear(
      () => conv2d(ones([1, 1, 4, 4]), ones([1, 1, 2, 2]), { stride: [1, 2, 3] }),
      /^conv2d: stride must be an int or a pair/,
    );
    expectClear(() => cat(m23 as never), /^cat: expected a non-empty list of tensors/);
    expectClear(() => tensor(["a"] as never), /^tensor: element \[0\] is string/);
    expectClear(() => tensor([[1, 2], [3]]), /^tensor: ragged nested array/);
  });
});

describe("sizes and indices", () => {
  it("reshape to a wrong size", () => {
    expectClear(() => m23.reshape([4, 2]), /^reshape:/, "[4, 2]", /size 6/, "[2, 3]");
    expectClear(() => m23.reshape([-1, 4]), /^reshape:/, "[-1, 4]", /size 6/);
    expectClear(() => m23.view([7]), /^reshape:/, "[7]");
    expectClear(() => m23.reshape([-1, -1]), /only one dim may be -1/);
  });

  it("cat and stack of an empty list", () => {
    expectClear(() => cat([]), /^cat: expected a non-empty list of tensors/);
    expectClear(() => stack([]), /^stack: expected a non-empty list of tensors/);
  });

  it("select, narrow and item out of range", () => {
    expectClear(() => m23.select(1, 3), /^select: index 3 is out of range for dim 1 of size 3/);
    expectClear(() => m23.select(0, -3), /^select: index -3 is out of range for dim 0 of size 2/);
    expectClear(() => m23.narrow(1, 2, 2), /^narrow:/, /out of range for dim 1/, "[2, 3]");
    expectClear(() => m23.item(), /^item\(\): needs a tensor with one element, got f32\[2,3\]/);
  });

  it("split and chunk with sizes that cannot work", () => {
    expectClear(() => m23.split(0, 1), /^split: sizes must be a positive integer/);
    expectClear(() => m23.split([1, 1], 1), /^split: sizes \[1,1\] do not add up to 3/);
    expectClear(() => m23.split([4, -1], 1), /^split:/, "[4,-1]");
    expectClear(() => m23.chunk(0), /^chunk: chunks must be a positive integer, got 0/);
    expectClear(() => m23.slice(1, 0, 3, 0), /^slice: step must be a positive integer/);
  });

  it("factories with impossible arguments", () => {
    expectClear(() => arange(0, 5, 0), /^arange:/, /step non-zero/);
    expectClear(() => linspace(0, 1, 2.5), /^linspace: steps must be a non-negative integer, got 2.5/);
    expectClear(() => randint(4, 2, [3]), /^randint: need integers low < high, got low=4 high=2/);
    expectClear(() => bernoulli([2], 1.5), /^bernoulli:/, /p must be in \[0, 1\], got 1.5/);
    expectClear(() => manualSeed(-1), /^manualSeed:/, "-1");
    expectClear(() => tensor(new Int16Array(2) as never), /^tensor: unsupported Int16Array/);
  });

  it("fake tensors with no mode", () => {
    const f = Tensor.fake({ shape: [4], dtype: "float64" });
    expectClear(() => f.exp(), /^exp: input 0 is a fake tensor \(f64\[4\]\)/);
    expectClear(() => f.item(), /data-dependent/);
  });
});

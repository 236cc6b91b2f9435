// The dispatcher's extension points, as the README documents them: op/mutate/alias hooks, modes
// (a stack, innermost first) and layers (run before modes), and fake tensors.
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  activeModes,
  type DispatchHandler,
  kernels,
  type OpCall,
  ones,
  popMode,
  pushMode,
  registerLayer,
  Tensor,
  TensorError,
  tensor,
  unregisterLayer,
  withMode,
  zeros,
} from "../src/index.js";

/** A mode that records every op call and passes it on. */
function recorder(name = "recorder"): DispatchHandler & { calls: OpCall[] } {
  const calls: OpCall[] = [];
  return {
    name,
    calls,
    op(call, next) {
      calls.push(call);
      return next(call);
    },
  };
}

/** A mode that runs no kernel: every op returns a fake tensor of the result's meta. */
const fakeMode: DispatchHandler = { name: "fake", op: (call) => Tensor.fake(call.meta) };

afterEach(() => {
  // A failing test must not leave a mode behind for the next one.
  expect(activeModes()).toEqual([]);
  vi.restoreAllMocks();
});

describe("a mode sees every op", () => {
  // Oracle: the ops each method is documented to lower to, with attrs written out by hand.
  it("with normalized attrs and the result meta", () => {
    const x = ones([2, 3]);
    const rec = recorder();
    const [s, p] = withMode(rec, () => [x.sum({ dim: -1 }), x.transpose(0, -1)]);
    expect(rec.calls.map((c) => c.op)).toEqual(["sum", "permute"]);
    const [sum, permute] = rec.calls;
    expect(sum!.attrs).toEqual({ dims: [1], keepdim: false });
    expect(sum!.meta).toEqual({ shape: [2], dtype: "float32" });
    expect(sum!.inputs[0]).toBe(x);
    expect(permute!.attrs).toEqual({ dims: [1, 0] });
    expect(permute!.meta).toEqual({ shape: [3, 2], dtype: "float32" });
    expect(s!.toArray()).toEqual([3, 3]);
    expect(p!.shape).toEqual([3, 2]);
  });

  it("factories, scalar operands and implicit casts are ops too", () => {
    const rec = recorder();
    const i = tensor([1, 2], { dtype: "int32" });
    withMode(rec, () => {
      zeros([2, 3]);
      i.add(1);
      i.exp();
    });
    expect(rec.calls.map((c) => c.op)).toEqual(["full", "full", "add", "cast", "exp"]);
    expect(rec.calls[0]!.attrs).toEqual({ shape: [2, 3], value: 0, dtype: "float32" });
    expect(rec.calls[0]!.inputs).toEqual([]);
    // The scalar 1 becomes a 0-d int32 tensor: the weak scalar takes the tensor's dtype.
    expect(rec.calls[1]!.meta).toEqual({ shape: [], dtype: "int32" });
    expect(rec.calls[2]!.meta).toEqual({ shape: [2], dtype: "int32" });
    expect(rec.calls[3]!.attrs).toEqual({ dtype: "float32" });
  });

  it("the result of every op has the call's meta", () => {
    const metas: string[] = [];
    const check: DispatchHandler = {
      name: "check",
      op(call, next) {
        const out = next(call);
        metas.push(`${call.op}:${out.shape}:${out.dtype === call.meta.dtype}`);
        expect(out.shape).toEqual(call.meta.shape);
        return out;
      },
    };
    withMode(check, () =>
      ones([2, 1])
        .matmul(ones([1, 3]))
        .softmax(-1),
    );
    expect(metas[0]).toBe("full:2,1:true");
    expect(metas.at(-1)).toBe("softmax:2,3:true");
  });
});

describe("a mode can return its own tensor", () => {
  // Oracle: a spy on the kernel table counts kernel runs.
  it("so no kernel runs, and fake results flow into later ops", () => {
    const matmul = vi.spyOn(kernels, "matmul");
    const cos = vi.spyOn(kernels, "cos");
    const a = ones([2, 3]);
    const b = ones([3, 4]);
    const y = withMode(fakeMode, () => a.matmul(b).cos().sum({ dim: 0 }));
    expect(matmul).not.toHaveBeenCalled();
    expect(cos).not.toHaveBeenCalled();
    expect(y.isFake).toBe(true);
    expect(y.meta).toEqual({ shape: [4], dtype: "float32" });
    // The same expression without the mode runs each kernel once.
    a.matmul(b).cos();
    expect(matmul).toHaveBeenCalledTimes(1);
    expect(cos).toHaveBeenCalledTimes(1);
  });

  it("a wrapping layer can count kernel runs too", () => {
    const x = ones([3]);
    let ops = 0;
    let real = 0;
    registerLayer({
      name: "count",
      op(call, next) {
        ops++;
        const out = next(call);
        if (!out.isFake) real++;
        return out;
      },
    });
    try {
      withMode(fakeMode, () => x.exp().neg());
      expect([ops, real]).toEqual([2, 0]);
      x.exp().neg();
      expect([ops, real]).toEqual([4, 2]);
    } finally {
      unregisterLayer("count");
    }
  });
});

describe("ordering: layers first, then modes innermost-first", () => {
  // Oracle: the order documented in dispatch.ts (layers in registration order, then modes from
  // the most recently pushed).
  const tagging = (name: string, log: string[]): DispatchHandler => ({
    name,
    op(call, next) {
      log.push(`${name}:${call.op}`);
      return next(call);
    },
  });
  it("visits layers in registration order, then the innermost mode, then outer modes", () => {
    const log: string[] = [];
    const outer = tagging("outer", log);
    const inner = tagging("inner", log);
    registerLayer(tagging("layer1", log));
    registerLayer(tagging("layer2", log));
    registerLayer(tagging("layer1", log)); // same name: ignored
    try {
      withMode(outer, () => withMode(inner, () => ones([1])));
    } finally {
      unregisterLayer("layer1");
      unregisterLayer("layer2");
    }
    expect(log).toEqual(["layer1:full", "layer2:full", "inner:full", "outer:full"]);
    log.length = 0;
    ones([1]);
    expect(log).toEqual([]);
  });

  it("an inner mode that answers itself hides the op from outer modes", () => {
    const outer = recorder("outer");
    const y = withMode(outer, () => withMode(fakeMode, () => ones([2]).cos()));
    expect(y.isFake).toBe(true);
    expect(outer.calls).toEqual([]);
  });
});

describe("withMode, pushMode, popMode", () => {
  // Oracle: activeModes() before and after.
  it("withMode pops the mode when the function throws", () => {
    const m = recorder();
    expect(() =>
      withMode(m, () => {
        expect(activeModes()).toEqual([m]);
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(activeModes()).toEqual([]);
  });

  it("withMode keeps an async function's mode until it settles, then pops it", async () => {
    const m = recorder();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const done = withMode(m, async () => {
      await gate;
      return ones([1]).neg();
    });
    expect(activeModes()).toEqual([m]);
    release();
    const y = await done;
    expect(y.toArray()).toEqual([-1]);
    expect(m.calls.map((c) => c.op)).toEqual(["full", "neg"]);
    expect(activeModes()).toEqual([]);
  });

  it("withMode pops the mode after an async function rejects", async () => {
    const m = recorder();
    const p = withMode(m, async () => {
      await Promise.resolve();
      throw new Error("late");
    });
    expect(activeModes()).toEqual([m]);
    await expect(p).rejects.toThrow("late");
    expect(activeModes()).toEqual([]);
  });

  it("popMode of a mode that is not innermost throws and leaves the stack alone", () => {
    const a = recorder("a");
    const b = recorder("b");
    pushMode(a);
    pushMode(b);
    try {
      expect(() => popMode(a)).toThrow(TensorError);
      expect(() => popMode(a)).toThrow(/popMode: 'a' is not the innermost mode \(modes: a, b\)/);
      expect(activeModes()).toEqual([a, b]);
    } finally {
      popMode(b);
      popMode(a);
    }
    expect(() => popMode(a)).toThrow(/'a' is not the innermost mode/);
  });
});

describe("the mutate and alias hooks", () => {
  // Oracle: the target's meta; the value must already be expanded and cast to it.
  it("mutate sees in-place updates with the value expanded and cast to the target", () => {
    const seen: { target: Tensor; value: Tensor }[] = [];
    const m: DispatchHandler = {
      name: "mut",
      mutate(target, value, next) {
        seen.push({ target, value });
        next(target, value);
      },
    };
    const x = zeros([2, 3], { dtype: "int32" });
    withMode(m, () => {
      x.add_(tensor([1, 2, 3], { dtype: "int64" }));
      x.copy_(tensor([[7], [8]], { dtype: "float64" }));
      x.fill_(true);
      x.zero_();
    });
    expect(seen).toHaveLength(4);
    for (const { target, value } of seen) {
      expect(target).toBe(x);
      expect(value.meta).toEqual({ shape: [2, 3], dtype: "int32" });
    }
    expect(seen[0]!.value.toArray()).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
    expect(seen[1]!.value.toArray()).toEqual([
      [7, 7, 7],
      [8, 8, 8],
    ]);
    expect(seen[2]!.value.toArray()).toEqual([
      [1, 1, 1],
      [1, 1, 1],
    ]);
    expect(x.toArray()).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
  });

  it("a mutate hook that does not call next leaves the target unchanged", () => {
    const x = ones([2]);
    withMode({ name: "drop", mutate() {} }, () => x.add_(5));
    expect(x.toArray()).toEqual([1, 1]);
  });

  it("alias sees detach(): a new tensor standing for the source", () => {
    const pairs: [Tensor, Tensor][] = [];
    const m: DispatchHandler = {
      name: "alias",
      alias(source, result, next) {
        pairs.push([source, result]);
        next(source, result);
      },
    };
    const x = ones([2], { requiresGrad: true });
    const d = withMode(m, () => x.detach());
    expect(pairs).toEqual([[x, d]]);
    expect(d).not.toBe(x);
    expect(d.requiresGrad).toBe(false);
    expect(d.toArray()).toEqual([1, 1]);
  });
});

describe("fake tensors", () => {
  // Oracle: the README (fake tensors have no data and refuse to read it).
  const fake = Tensor.fake({ shape: [2, 3], dtype: "float32" });
  const one = Tensor.fake({ shape: [], dtype: "float32" });
  it("carry only a meta", () => {
    expect(fake.isFake).toBe(true);
    expect(fake.shape).toEqual([2, 3]);
    expect(fake.dtype).toBe("float32");
    expect(fake.dataOrUndefined).toBeUndefined();
    expect(fake.toString()).toBe("FakeTensor(f32[2,3])");
    expect(ones([1]).isFake).toBe(false);
  });

  it.each([
    ["item()", () => one.item()],
    ["toArray()", () => fake.toArray()],
    ["data()", () => fake.data()],
    ["toData()", () => fake.toData()],
    ["+t", () => +one],
  ])("refuse %s with a data-dependent error", (what, f) => {
    expect(f).toThrow(TensorError);
    expect(f).toThrow(/data-dependent/);
    expect(f).toThrow(what === "+t" ? "item()" : what);
  });

  it("an op on a fake tensor with no mode active names the op and the shape", () => {
    expect(() => fake.cos()).toThrow(TensorError);
    expect(() => fake.cos()).toThrow(
      /cos: input 0 is a fake tensor \(f32\[2,3\]\) and no tracing mode is active/,
    );
    expect(() => ones([2, 3]).mul(fake)).toThrow(/mul: input 1 is a fake tensor \(f32\[2,3\]\)/);
  });

  it("an in-place update of a real tensor with a fake value fails unless a mode handles it", () => {
    const x = ones([2, 3]);
    expect(() => withMode(fakeMode, () => x.copy_(fake))).toThrow(
      /in-place update of f32\[2,3\]: the new value is a fake tensor/,
    );
    expect(x.toArray()).toEqual([
      [1, 1, 1],
      [1, 1, 1],
    ]);
  });
});

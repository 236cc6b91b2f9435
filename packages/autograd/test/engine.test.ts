// The eager tape and engine. Oracles: hand-derived derivatives (d/dx x^2 = 2x, ...) and PyTorch's
// documented behaviour for accumulation, no_grad, detach, retain_graph, in-place updates and
// torch.autograd.grad / JAX's grad and value_and_grad.
import { arange, ones, randn, type Tensor, tensor, zeros } from "@aotjs/tensor";
import { describe, expect, test } from "vitest";
import {
  AutogradError,
  backwardSync,
  grad,
  gradSync,
  isGradEnabled,
  noGrad,
  recordCustomNode,
  valueAndGrad,
} from "../src/index.js";
import { expectClose, numbers } from "./support.js";

const f64 = (values: number[], requiresGrad = false) => tensor(values, { dtype: "float64", requiresGrad });

describe("backward and .grad", () => {
  test("a second backward adds into .grad (accumulation, as in PyTorch)", async () => {
    const x = f64([1, 2, 3], true);
    await x.mul(x).sum().backward(); // d/dx sum(x^2) = 2x
    expect(x.grad!.toArray()).toEqual([2, 4, 6]);
    await x.mul(3).sum().backward(); // + 3
    expect(x.grad!.toArray()).toEqual([5, 7, 9]);
  });

  test("a tensor used twice gets the sum of both paths", async () => {
    const x = f64([2, -1], true);
    await x.mul(x).add(x.sin()).sum().backward();
    expectClose(x.grad!, f64([4 + Math.cos(2), -2 + Math.cos(-1)]), "2x + cos x", 1e-15);
  });

  test("backwardSync gives the same gradient as await backward()", () => {
    const x = f64([0.5, 1.5], true);
    backwardSync(x.exp().sum());
    expectClose(x.grad!, f64([Math.exp(0.5), Math.exp(1.5)]), "d exp", 0);
  });

  test("backward on a non-scalar needs a gradient; a gradient of the wrong shape or dtype throws", async () => {
    const x = f64([1, 2], true);
    const y = x.mul(2);
    await expect(y.backward()).rejects.toThrow(/only for one-element outputs, got f64\[2\]/);
    expect(() => backwardSync(y)).toThrow(AutogradError);
    await expect(y.backward(f64([1, 1, 1]))).rejects.toThrow(
      /gradient f64\[3\] does not match the output f64\[2\]/,
    );
    await expect(y.backward(tensor([1, 1], { dtype: "float32" }))).rejects.toThrow(
      /gradient f32\[2\] does not match/,
    );
    await y.backward(f64([1, 10]));
    expect(x.grad!.toArray()).toEqual([2, 20]);
  });

  test("backward on a tensor that does not require grad throws, naming it", async () => {
    await expect(f64([1]).sum().backward()).rejects.toThrow(/does not require grad and has no gradFn/);
  });

  test("a second backward through freed saved tensors throws; retainGraph: true allows it", async () => {
    const x = f64([1, 2], true);
    const y = x.mul(x).sum();
    await y.backward();
    await expect(y.backward()).rejects.toThrow(/backward through the graph a second time.*retainGraph: true/);

    const z = f64([1, 2], true);
    const w = z.mul(z).sum();
    await w.backward(undefined, { retainGraph: true });
    await w.backward();
    expect(z.grad!.toArray()).toEqual([4, 8]);
  });

  test("a custom node whose backward returns a wrong-shaped gradient is rejected, naming the node", () => {
    const x = f64([1, 2], true);
    const y = x.detach().mul(2);
    recordCustomNode("Bad", [x], [y], () => [f64([1, 2, 3])]);
    expect(() => backwardSync(y.sum())).toThrow(
      /Bad: the gradient of input 0 is f64\[3\] but the input is f64\[2\]/,
    );
  });
});

describe("which tensors require grad", () => {
  test("float results of ops on a tensor requiring grad require grad and have a gradFn named after the op", () => {
    const x = f64([1, 2], true);
    const y = x.cos();
    expect(y.requiresGrad).toBe(true);
    expect(y.isLeaf).toBe(false);
    expect(y.gradFn!.name).toBe("CosBackward");
    expect(x.isLeaf).toBe(true);
    expect(f64([1]).cos().requiresGrad).toBe(false);
  });

  test("non-float outputs never require grad: comparisons, argmax, casts to int, int arithmetic", () => {
    const x = f64([1, 3, 2], true);
    for (const t of [
      x.gt(1),
      x.eq(x),
      x.argmax(),
      x.to("int64"),
      x.to("int64").add(1),
      x.to("bool").logicalNot(),
    ]) {
      expect(t.requiresGrad, `${t.dtype}`).toBe(false);
      expect(t.gradFn).toBeNull();
    }
  });

  test("only floating tensors can require grad", () => {
    expect(() => arange(3).requiresGrad_()).toThrow(/only floating tensors can require grad/);
  });

  test("detach() cuts history: same values, no gradFn, and gradient does not flow through it", async () => {
    const x = f64([1, 2], true);
    const y = x.mul(x);
    const d = y.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.gradFn).toBeNull();
    expect(d.toArray()).toEqual([1, 4]);
    // z = x * detach(x^2): dz/dx = x^2 only (the detached factor is a constant).
    await x.mul(d).sum().backward();
    expect(x.grad!.toArray()).toEqual([1, 4]);
  });
});

describe("noGrad", () => {
  test("records no tape and returns the function's value", () => {
    const x = f64([1, 2], true);
    const y = noGrad(() => x.mul(2).exp());
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    expect(isGradEnabled()).toBe(true);
  });

  test("is restored after the function throws", () => {
    expect(() =>
      noGrad(() => {
        expect(isGradEnabled()).toBe(false);
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(isGradEnabled()).toBe(true);
    expect(f64([1], true).mul(2).requiresGrad).toBe(true);
  });

  test("covers an async function until its promise settles, then is restored (also on rejection)", async () => {
    const x = f64([1, 2], true);
    const inside: boolean[] = [];
    const y = await noGrad(async () => {
      await Promise.resolve();
      inside.push(isGradEnabled());
      return x.mul(2);
    });
    expect(inside).toEqual([false]);
    expect(y.requiresGrad).toBe(false);
    expect(isGradEnabled()).toBe(true);
    await expect(
      noGrad(async () => {
        await Promise.resolve();
        throw new Error("async boom");
      }),
    ).rejects.toThrow("async boom");
    expect(isGradEnabled()).toBe(true);
  });

  test("nests: the inner call restores the outer state", () => {
    noGrad(() => {
      noGrad(() => undefined);
      expect(isGradEnabled()).toBe(false);
    });
    expect(isGradEnabled()).toBe(true);
  });
});

describe("in-place updates", () => {
  test("on a leaf that requires grad throws, naming the tensor, and leaves it unchanged", () => {
    const x = f64([1, 2], true);
    expect(() => x.add_(1)).toThrow(
      /in-place update of a leaf tensor that requires grad \(f64\[2\]\).*noGrad/,
    );
    expect(x.toArray()).toEqual([1, 2]);
  });

  test("inside noGrad works (an optimizer step) and the tensor stays a leaf that requires grad", async () => {
    const w = f64([1, 2], true);
    await w.mul(w).sum().backward();
    noGrad(() => w.sub_(w.grad!.mul(0.25)));
    expect(w.toArray()).toEqual([0.5, 1]);
    expect(w.isLeaf).toBe(true);
    expect(w.requiresGrad).toBe(true);
    w.grad = null;
    await w.mul(3).sum().backward();
    expect(w.grad!.toArray()).toEqual([3, 3]);
  });

  test("on a non-leaf re-links history: y = x*2; y.add_(1); y.sum() gives grad 2", async () => {
    const x = f64([1, 2, 3], true);
    const y = x.mul(2);
    y.add_(1);
    expect(y.toArray()).toEqual([3, 5, 7]);
    expect(y.gradFn!.name).toBe("AddBackward");
    await y.sum().backward();
    expect(x.grad!.toArray()).toEqual([2, 2, 2]);
  });

  test("a chain of in-place updates composes: y = x*2; y.mul_(x); y.sub_(x) gives 4x - 1", async () => {
    const x = f64([1, 2], true);
    const y = x.mul(2);
    y.mul_(x);
    y.sub_(x);
    await y.sum().backward();
    expect(x.grad!.toArray()).toEqual([3, 7]);
  });

  test("an in-place update of a plain tensor with a value that requires grad gives it history", async () => {
    const x = f64([1, 2], true);
    const buffer = zeros([2], { dtype: "float64" });
    buffer.add_(x.mul(x));
    expect(buffer.requiresGrad).toBe(true);
    await buffer.sum().backward();
    expect(x.grad!.toArray()).toEqual([2, 4]);
  });

  test("copy_ from a leaf that requires grad links to that leaf (torch: CopyBackwards)", async () => {
    const x = f64([1, 2], true);
    const buffer = zeros([2], { dtype: "float64" });
    buffer.copy_(x);
    expect(buffer.requiresGrad).toBe(true);
    await buffer.mul(3).sum().backward();
    expect(x.grad!.toArray()).toEqual([3, 3]);
    expect(buffer.grad).toBeNull();

    // Over a non-leaf: the old history is replaced by the source's, and the non-leaf stays a non-leaf.
    const a = f64([1, 2], true);
    const z = f64([5, 6], true);
    const y = a.mul(2);
    y.copy_(z);
    expect(y.isLeaf).toBe(false);
    await y.sum().backward();
    expect(z.grad!.toArray()).toEqual([1, 1]);
    expect(a.grad).toBeNull();
  });
});

describe("recordCustomNode", () => {
  const customSquare = (x: Tensor) => {
    const y = noGrad(() => x.mul(x));
    let calls = 0;
    recordCustomNode("SquareBackward", [x], [y], async ([g]) => {
      calls++;
      await new Promise((r) => setTimeout(r, 1));
      return [g!.mul(x.detach()).mul(2)];
    });
    return { y, calls: () => calls };
  };

  test("an async backward runs under await backward(), before and after eager ops", async () => {
    const x = f64([1, 2], true);
    const { y, calls } = customSquare(x.mul(3)); // eager before
    expect(y.requiresGrad).toBe(true);
    expect(y.gradFn!.name).toBe("SquareBackward");
    await y.sin().sum().backward(); // eager after
    // d/dx sin((3x)^2) = cos(9x^2) * 18x
    expectClose(
      x.grad!,
      f64([1, 2].map((v) => Math.cos(9 * v * v) * 18 * v)),
      "chain through the custom node",
      1e-12,
    );
    expect(calls()).toBe(1);
  });

  test("backwardSync and gradSync refuse an async node, saying to await backward()", () => {
    const x = f64([1, 2], true);
    expect(() => backwardSync(customSquare(x).y.sum())).toThrow(/async tape node.*use await backward\(\)/);
    expect(() => gradSync([customSquare(x).y.sum()], [x])).toThrow(AutogradError);
  });

  // Oracle: PyTorch's contract that a finished backward() leaves final grads; aotjs's backward is
  // async only when a compiled (async) node is on the tape, and then a forgotten await must fail
  // loudly instead of leaving last step's gradients in place.
  test("without an async node, backward() has finished when it returns: .grad is final un-awaited", () => {
    const x = f64([1, 2], true);
    const done = x.mul(x).sum().backward(); // no await
    expect(x.grad!.toArray()).toEqual([2, 4]);
    return done;
  });

  test("while an async backward runs, .grad of the leaves it reaches, and another backward, say to await it", async () => {
    const x = f64([1, 2], true);
    const other = f64([5], true);
    x.grad = f64([100, 100]); // last step's gradient, which a forgotten await would leave in place
    const { y } = customSquare(x);
    const loss = y.sum();
    const pending = loss.backward(); // no await (a PyTorch habit)
    expect(() => x.grad).toThrow(
      /reading \.grad of f64\[2\] while a backward\(\) that writes it is still running: await loss\.backward\(\) first/,
    );
    expect(() => {
      x.grad = null; // what zeroGrad() does
    }).toThrow(/setting \.grad.*await loss\.backward\(\)/);
    await expect(loss.backward()).rejects.toThrow(
      /still running: await loss\.backward\(\) before starting another/,
    );
    expect(other.grad).toBeNull(); // a leaf the pass does not reach is not blocked
    await pending;
    expect(x.grad!.toArray()).toEqual([102, 104]); // accumulated once: 100 + 2x
  });

  test("a failed async backward leaves .grad readable and unchanged", async () => {
    const x = f64([1, 2], true);
    const y = noGrad(() => x.mul(2));
    recordCustomNode("Failing", [x], [y], async () => {
      await new Promise((r) => setTimeout(r, 1));
      throw new Error("compiled backward failed");
    });
    await expect(y.sum().backward()).rejects.toThrow("compiled backward failed");
    expect(x.grad).toBeNull();
  });

  test("records nothing when no input requires grad, or under noGrad; integer outputs never require grad", () => {
    const y = f64([1]);
    recordCustomNode("Nothing", [f64([1])], [y], () => [null]);
    expect(y.requiresGrad).toBe(false);
    const x = f64([1], true);
    const z = f64([1]);
    noGrad(() => recordCustomNode("Off", [x], [z], () => [null]));
    expect(z.requiresGrad).toBe(false);
    const i = arange(2);
    recordCustomNode("Int", [x], [i], () => [null]);
    expect(i.requiresGrad).toBe(false);
  });
});

describe("grad and valueAndGrad", () => {
  test("grad of a function of one tensor (argnums 0 by default)", () => {
    const x = f64([1, -2, 3]);
    const g = grad((t: Tensor) => t.mul(t).sum())(x) as Tensor;
    expect(g.toArray()).toEqual([2, -4, 6]);
  });

  test("argnums as a number picks one argument; as a list returns a list", () => {
    const f = (a: Tensor, b: Tensor) => a.mul(b).sum();
    const a = f64([1, 2]);
    const b = f64([3, 4]);
    expect((grad(f, { argnums: 1 })(a, b) as Tensor).toArray()).toEqual([1, 2]);
    const [ga, gb] = grad(f, { argnums: [0, 1] })(a, b) as Tensor[];
    expect(ga!.toArray()).toEqual([3, 4]);
    expect(gb!.toArray()).toEqual([1, 2]);
    expect(() => grad(f, { argnums: 2 })(a, b)).toThrow(/argnum 2 is out of range for 2 arguments/);
  });

  test("pytree arguments: gradients mirror arrays and objects of tensors, non-tensor leaves kept", () => {
    const params = { w: f64([1, 2]), layers: [f64([3]), { bias: f64([4]) }], scale: 2 };
    const loss = (p: typeof params, x: Tensor) => {
      const [l0, l1] = p.layers as [Tensor, { bias: Tensor }];
      return p.w.mul(x).sum().mul(l0).add(l1.bias.mul(p.scale)).sum();
    };
    const x = f64([5, 6]);
    const [value, g] = valueAndGrad(loss)(params, x) as [Tensor, typeof params];
    // loss = (w.x) * l0 + 2 * bias = 17*3 + 8 = 59
    expect(value.item()).toBe(59);
    expect(value.requiresGrad).toBe(false);
    expect(g.w.toArray()).toEqual([15, 18]); // x * l0
    expect((g.layers[0] as Tensor).toArray()).toEqual([17]); // w.x
    expect(((g.layers[1] as { bias: Tensor }).bias as Tensor).toArray()).toEqual([2]);
    expect(g.scale).toBe(2);
  });

  test("an input the output does not use gets zeros", () => {
    const g = grad((a: Tensor, _b: Tensor) => a.sum(), { argnums: [0, 1] })(
      f64([1]),
      f64([1, 2]),
    ) as Tensor[];
    expect(g[1]!.toArray()).toEqual([0, 0]);
  });

  test("an async function gives a Promise of the same result", async () => {
    const f = async (x: Tensor) => {
      await new Promise((r) => setTimeout(r, 1));
      return x.mul(x).sum();
    };
    const result = valueAndGrad(f)(f64([1, 2]));
    expect(result).toBeInstanceOf(Promise);
    const [value, g] = await result;
    expect(value.item()).toBe(5);
    expect((g as Tensor).toArray()).toEqual([2, 4]);
    expect(((await grad(f)(f64([3]))) as Tensor).toArray()).toEqual([6]);
  });

  test("the caller's tensors and their .grad are untouched, even when they require grad", async () => {
    const x = f64([1, 2], true);
    await x.sum().backward();
    const before = numbers(x.grad!);
    const g = grad((t: Tensor) => t.mul(t).sum())(x) as Tensor;
    expect(g.toArray()).toEqual([2, 4]);
    expect(numbers(x.grad!)).toEqual(before);
    expect(x.isLeaf).toBe(true);
    // A captured tensor requiring grad is not accumulated into either.
    const w = f64([10, 20], true);
    grad((t: Tensor) => t.mul(w).sum())(f64([1, 1]));
    expect(w.grad).toBeNull();
  });

  test("works inside noGrad (grad enables recording for the function it differentiates)", () => {
    const g = noGrad(() => grad((t: Tensor) => t.exp().sum())(f64([0]))) as Tensor;
    expect(g.toArray()).toEqual([1]);
  });

  test("a non-scalar result or an integer argument is an error", () => {
    expect(() => grad((t: Tensor) => t.mul(2))(f64([1, 2]))).toThrow(/one-element outputs/);
    expect(() => grad((t: Tensor) => t.sum())(arange(3))).toThrow(
      /int64; only floating tensors have gradients/,
    );
  });

  test("gradSync with respect to an intermediate tensor", () => {
    const x = randn([3], { dtype: "float64", requiresGrad: true });
    const h = x.mul(2);
    const y = h.mul(h).sum();
    const [gh, gx] = gradSync([y], [h, x]);
    expectClose(gh!, h.detach().mul(2), "dy/dh = 2h", 0);
    expectClose(gx!, x.detach().mul(8), "dy/dx = 8x", 0);
    expect(x.grad).toBeNull();
    expect(ones([1]).requiresGrad).toBe(false);
  });
});

describe("the same tensor as two roots", () => {
  // Oracle: hand-derived d/dx sin(sin x) = cos(sin x) cos x; PyTorch's autograd.grad([v, v], x,
  // [g1, g2]) gives (g1 + g2) times it (a repeated output gets the sum of its gradients).
  test("grad of [v, v] is the sum of both output gradients", () => {
    const x = f64([0.3, -1.2, 2]);
    const leaf = x.detach().requiresGrad_();
    const v = leaf.sin().sin();
    const g1 = f64([1, 2, 3]);
    const g2 = f64([10, 20, 30]);
    const [gx] = gradSync([v, v], [leaf], { gradOutputs: [g1, g2] });
    const chain = x.sin().cos().mul(x.cos());
    expectClose(gx!, g1.add(g2).mul(chain), "(g1 + g2) cos(sin x) cos x", 1e-12);
  });

  test("a root repeated next to another root that depends on it", () => {
    const x = f64([0.5, 1.5]);
    const leaf = x.detach().requiresGrad_();
    const v = leaf.sin().exp();
    const w = v.mul(2);
    const [gx] = gradSync([v, w, v], [leaf], { gradOutputs: [f64([1, 1]), f64([1, 1]), f64([1, 1])] });
    expectClose(gx!, x.sin().exp().mul(x.cos()).mul(4), "d(v + 2v + v)/dx = 4 exp(sin x) cos x", 1e-15);
  });
});

describe("grad of an output that ignores its argument", () => {
  // Oracle: JAX's jax.grad(lambda x: 3.0)(x) is zeros_like(x).
  test("is zeros, as in JAX", () => {
    const x = randn([3]);
    const g = grad((_: Tensor) => ones([]).mul(3))(x) as Tensor;
    expect(g.toArray()).toEqual([0, 0, 0]);
  });
});

describe("a refused synchronous backward", () => {
  // Oracle: PyTorch keeps the graph when backward raises before running; here the sync engine
  // refuses an async node half-way and must leave the tape usable for `await backward()`.
  test("leaves the tape intact for an async backward", async () => {
    const x = randn([3]).requiresGrad_();
    const y = x.mul(2);
    const z = y.detach().requiresGrad_(false);
    recordCustomNode("AsyncDouble", [y], [z], async ([g]) => [g!.mul(2)]);
    const loss = z.sin().sum();
    expect(() => backwardSync(loss)).toThrow(/async tape node/);
    await loss.backward();
    expectClose(x.grad!, z.detach().cos().mul(4), "d sin(4x)/dx via both nodes", 1e-6);
  });
});

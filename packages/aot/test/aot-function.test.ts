// aotFunction: outputs, gradients, pytrees, eager interop, grad mode, the compile cache, compilers,
// dispose, and backward-twice semantics.
import { enableGrad, noGrad } from "@aotjs/autograd";
import {
  type Executable,
  type Graph,
  type OpName,
  opNames,
  setWarningHandler,
  type TensorData,
} from "@aotjs/ir";
import { Linear } from "@aotjs/nn";
import { Interpreter, manualSeed, randn, type Tensor, tensor, zeros } from "@aotjs/tensor";
import { describe, expect, it } from "vitest";
import { AotError, aotFunction, aotModule, nop, printGraph } from "../src/index.js";
import { cloneInput, expectClose, recordingCompiler, values, verifyAot } from "./support.js";

const rg = { requiresGrad: true } as const;

describe("outputs", () => {
  it("several outputs, each used or not in the loss", async () => {
    manualSeed(0);
    const f = (a: Tensor, b: Tensor) => [a.mul(b), a.sin(), b.exp().sum()];
    await verifyAot(f, [randn([4], rg), randn([4], rg)]);
    const [a, b] = [randn([4], rg), randn([4], rg)];
    const outs = await aotFunction(f)(a, b);
    await outs[1]!.sum().backward(); // only one of three outputs
    expectClose(a.grad, a.detach().cos(), "a.grad");
    // The compiled node computes every input's gradient at once: b gets zeros where eager leaves
    // null (PyTorch's compiled autograd.Function does the same as aotjs).
    expect(values(b.grad!)).toEqual([0, 0, 0, 0]);
  });

  it("outputs that don't require grad, and integer outputs (argmax)", async () => {
    manualSeed(1);
    const f = (x: Tensor) => ({
      y: x.tanh(),
      idx: x.argmax({ dim: 1 }),
      mask: x.gt(0),
      stopped: x.detach().mul(2),
    });
    await verifyAot(f, [randn([3, 5], rg)]);
    const x = randn([3, 5], rg);
    const out = await aotFunction(f)(x);
    expect(out.idx.dtype).toBe("int64");
    expect(out.mask.dtype).toBe("bool");
    expect([out.idx.requiresGrad, out.mask.requiresGrad, out.stopped.requiresGrad]).toEqual([
      false,
      false,
      false,
    ]);
    expect(values(out.idx)).toEqual(values(x.detach().argmax({ dim: 1 })));
    expect(out.y.requiresGrad).toBe(true);
  });

  it("an unused output holding inf gets a zero tangent, not NaN (regression)", async () => {
    const f = aotFunction((a: Tensor) => [a.add(Number.POSITIVE_INFINITY), a.mul(2)]);
    const a = randn([3], rg);
    const [, o2] = await f(a);
    await o2!.sum().backward();
    expect(values(a.grad!)).toEqual([2, 2, 2]);
  });

  it("a function returning its input: a new tensor with the same values, backprop reaches the input", async () => {
    const a = randn([3], rg);
    const out = await aotFunction((x: Tensor) => x)(a);
    // PyTorch 2 returns the input itself; aotjs returns a non-leaf copy.
    expect(out).not.toBe(a);
    expect(values(out)).toEqual(values(a));
    expect(out.requiresGrad).toBe(true);
    await out.mul(3).sum().backward();
    expect(values(a.grad!)).toEqual([3, 3, 3]);
  });
});

describe("inputs and gradients", () => {
  // Oracle: eager. Found by the fuzzer: each argument was its own graph input, so an update through
  // `b` was not seen through `a` when both are one tensor (f(x, x) gave x * 2, eager (x + 1) * 2).
  it("one tensor passed as two arguments is one input: an update through one is seen through the other", async () => {
    const f = (a: Tensor, b: Tensor, w: Tensor) => {
      b.add_(w);
      return a.mul(2).mul(w);
    };
    const start = [0.5, -1, 2];
    const x = tensor(start);
    const wEager = tensor([1, 2, 3], { dtype: "float32", ...rg });
    const eagerOut = f(x, x, wEager);
    await eagerOut.sum().backward();
    const y = tensor(start);
    const w = tensor([1, 2, 3], { dtype: "float32", ...rg });
    const compiled = aotFunction(f);
    const out = await compiled(y, y, w);
    await out.sum().backward();
    expectClose(out, eagerOut, "output");
    expectClose(y, x, "the updated tensor");
    expectClose(w.grad, wEager.grad, "w.grad");
    expect(compiled.lastGraphs.forward!.inputs).toHaveLength(2);
    // Distinct tensors of the same shapes are another signature: two inputs, no update seen.
    const [p, q] = [tensor(start), tensor(start)];
    const distinct = await compiled(p, q, tensor([1, 2, 3], { dtype: "float32" }));
    expectClose(
      distinct,
      tensor(start)
        .mul(2)
        .mul(tensor([1, 2, 3], { dtype: "float32" })),
      "distinct arguments",
    );
    expect(compiled.stats().compiles).toBe(2);
  });

  it("inputs that don't require grad get no gradient and no backward work", async () => {
    manualSeed(2);
    const f = aotFunction((a: Tensor, b: Tensor, c: Tensor) => a.mul(b).add(c.sin()));
    const [a, b, c] = [randn([4], rg), randn([4]), randn([4], rg)];
    await (await f(a, b, c)).sum().backward();
    expect(b.grad).toBeNull();
    expectClose(a.grad, b, "a.grad");
    expectClose(c.grad, c.detach().cos(), "c.grad");
    const { forward, backward } = f.lastGraphs;
    expect(backward!.outputs).toHaveLength(2);
    expect(forward!.inputs).toHaveLength(3);
  });

  it("an input that reaches no differentiable output keeps .grad null, as in eager", async () => {
    const f = aotFunction((a: Tensor, b: Tensor) => [a.exp(), b.gt(0)]);
    const [a, b] = [randn([2], rg), randn([2], rg)];
    const [ea] = await f(a, b);
    await (ea as Tensor).sum().backward();
    expect(a.grad).not.toBeNull();
    expect(b.grad).toBeNull();
  });

  it("pytree inputs and outputs with non-tensor values", async () => {
    manualSeed(3);
    const f = (
      args: { x: Tensor; scale: number; tag: string; pair: [Tensor, null] },
      flags: { square: boolean },
    ) => {
      const y = args.x.mul(args.scale).add(args.pair[0]);
      return { out: [flags.square ? y.mul(y) : y, args.tag], count: 2, nested: { z: y.sum(), none: null } };
    };
    const inputs = [
      { x: randn([3], rg), scale: 1.5, tag: "t", pair: [randn([3], rg), null] },
      { square: true },
    ];
    await verifyAot(f, inputs);
    const out = await aotFunction(f)(...(cloneInput(inputs) as Parameters<typeof f>));
    expect(out.out[1]).toBe("t");
    expect(out.count).toBe(2);
    expect(out.nested.none).toBeNull();
  });

  it("seed example 2: eager before and after the call, backward through everything", async () => {
    manualSeed(0);
    const f = (x: Tensor) => x.cos().cos();
    const nf = aotFunction(f);
    const inp = randn([3], rg);
    const out = await nf(inp.cos());
    await out.sin().sum().backward();
    const ref = inp.detach().requiresGrad_();
    await f(ref.cos()).sin().sum().backward();
    expectClose(inp.grad, ref.grad, "inp.grad");
  });

  it("a value returned twice backprops through both outputs", async () => {
    // Oracle: eager autograd on the same function (verifyAot), and the hand-derived gradient of
    // v + 2v with v = sin(sin x): 3 cos(sin x) cos x.
    manualSeed(5);
    const f = (x: Tensor) => {
      const v = x.sin().sin();
      return [v, v];
    };
    await verifyAot(f, [randn([4], rg)]);
    const x = randn([4], { ...rg, dtype: "float64" });
    const [a, b] = await aotFunction(f)(x);
    await a!.add(b!.mul(2)).sum().backward();
    const d = x.detach();
    expectClose(x.grad, d.sin().cos().mul(d.cos()).mul(3), "x.grad");
  });

  it("two compiled calls chained, and a compiled output reused twice", async () => {
    manualSeed(4);
    const f = (x: Tensor) => x.sin().mul(x);
    const nf = aotFunction(f);
    const x = randn([5], { ...rg, dtype: "float64" });
    const y = await nf(x);
    const z = await nf(y.exp());
    await z.add(y).sum().backward();
    const ref = x.detach().requiresGrad_();
    const ry = f(ref);
    await f(ry.exp()).add(ry).sum().backward();
    expectClose(x.grad, ref.grad, "x.grad");
  });
  it("sign: the input gets a zero .grad, as eager (reached, even if no tangent flows)", async () => {
    const f = (x: Tensor) => x.sign().mul(2);
    const x = randn([3], rg);
    await f(x).sum().backward();
    expect(values(x.grad!)).toEqual([0, 0, 0]);
    const y = randn([3], rg);
    await (await aotFunction(f)(y)).sum().backward();
    expect(y.grad && values(y.grad)).toEqual([0, 0, 0]);
  });
});

describe("functions that return no tensor", () => {
  // Oracle: the tracer's contract (ops are synchronous). An async function used to be reported
  // as "pytree: the argument is a Promise", which points at the arguments.
  it("an async function: an AotError saying it returned a Promise and must be synchronous", async () => {
    const compiler = recordingCompiler();
    const f = aotFunction(async (x: Tensor) => x.sin(), { fwCompiler: compiler });
    await expect(f(randn([3]))).rejects.toThrow(
      /the function returned a Promise; traced functions must be synchronous/,
    );
    expect(compiler.graphs).toHaveLength(0);
  });

  // Oracle: PyTorch's aot_function, which needs a tensor output; here the error comes at trace
  // time, before any compiler (an ORT session for a graph with no outputs fails to initialize).
  it.each([
    ["a number", () => 3, /returned the number 3/],
    ["an empty array", () => [], /returned an empty array/],
    ["undefined", () => undefined, /returned undefined/],
    ["an object of strings", () => ({ a: "s", b: 1 }), /returned an object \{a, b\} holding no tensor/],
    ["a shape", (x: Tensor) => x.shape, /returned an array of 1 value, none a tensor/],
  ] as const)("%s: an AotError that says what it returned; no compiler runs", async (_, fn, message) => {
    for (const requiresGrad of [false, true]) {
      const compiler = recordingCompiler();
      const f = aotFunction(fn as (x: Tensor) => unknown, { fwCompiler: compiler });
      const call = f(randn([2], { requiresGrad }));
      await expect(call).rejects.toBeInstanceOf(AotError);
      await expect(f(randn([2], { requiresGrad }))).rejects.toThrow(message);
      expect(compiler.graphs).toHaveLength(0);
    }
  });

  it("a function that returns nothing but updates an input in place still compiles", async () => {
    const f = aotFunction((buf: Tensor) => {
      buf.add_(1);
    });
    const buf = zeros([2]);
    expect(await f(buf)).toBeUndefined();
    expect(values(buf)).toEqual([1, 1]);
  });
});

describe("grad mode", () => {
  it("noGrad: a single inference graph, outputs don't require grad", async () => {
    const f = aotFunction((x: Tensor) => x.sin().mul(2));
    const x = randn([3], rg);
    const out = await noGrad(() => f(x));
    expect(out.requiresGrad).toBe(false);
    expect(f.lastGraphs.inference).toBeDefined();
    expect(f.lastGraphs.forward).toBeUndefined();
    expect(f.lastGraphs.backward).toBeUndefined();
    expectClose(
      out,
      noGrad(() => x.sin().mul(2)),
      "output",
    );
  });

  it("no input requiring grad: a single inference graph", async () => {
    const f = aotFunction((x: Tensor, y: Tensor) => x.mul(y));
    await f(randn([3]), randn([3]));
    expect(f.lastGraphs.inference).toBeDefined();
    expect(f.lastGraphs.forward).toBeUndefined();
    // The same signature with grad wanted is a different entry, and sets forward and backward.
    await enableGrad(() => f(randn([3], rg), randn([3])));
    expect(f.lastGraphs.inference).toBeUndefined();
    expect(f.lastGraphs.forward).toBeDefined();
    expect(f.stats().compiles).toBe(2);
  });
  it("grad mode at call time decides the tape, not grad mode when the compile finishes", async () => {
    const f = (x: Tensor) => x.mul(3);
    const nf = aotFunction(f);
    const x = randn([3], rg);
    const p = nf(x); // grad enabled: a joint graph and a tape node are wanted
    // A concurrent inference call: noGrad keeps grad off until its promise settles.
    const q = noGrad(() => nf(randn([3])));
    const out = await p;
    await q;
    expect(out.requiresGrad).toBe(true);
    await out.sum().backward();
    expect(values(x.grad!)).toEqual([3, 3, 3]);
  });
});

describe("the compile cache", () => {
  it("hits on the same signature and recompiles on a changed shape, dtype, requiresGrad, structure or value", async () => {
    const f = aotFunction((x: Tensor | Tensor[], s: number | string) => {
      const t = Array.isArray(x) ? x[0]! : x;
      return typeof s === "number" ? t.mul(s) : t;
    });
    await f(randn([3]), 2);
    await f(randn([3]), 2);
    expect(f.stats()).toMatchObject({ calls: 2, compiles: 1, cacheHits: 1, cacheSize: 1 });
    await f(randn([4]), 2); // shape
    await f(randn([3], { dtype: "float64" }), 2); // dtype
    await f(randn([3], rg), 2); // requiresGrad
    await f([randn([3])], 2); // structure
    await f(randn([3]), 3); // non-tensor value
    await f(randn([3]), "2"); // same text, other type
    expect(f.stats()).toMatchObject({ calls: 8, compiles: 7, cacheHits: 1, cacheSize: 7 });
    await f(randn([4]), 2);
    await f(randn([3], rg), 2);
    expect(f.stats()).toMatchObject({ compiles: 7, cacheHits: 3 });
  });

  it("stats() names why each recompile happened", async () => {
    const f = aotFunction((x: Tensor, y: Tensor) => x.mul(y), { dynamic: false });
    await f(randn([8, 4]), randn([4]));
    await f(randn([5, 4]), randn([4])); // one size
    await f(randn([5, 4], { dtype: "float64" }), randn([4], { dtype: "float64" })); // dtypes
    await f(randn([3, 4], rg), randn([4])); // ties go to the first entry, [8,4]
    // Oracle: the sizes, dtypes and flags passed above, written out by hand.
    expect(f.stats()).toMatchObject({
      compiles: 4,
      recompiles: 3,
      recompileReasons: [
        "input 0 dim 0: 8 -> 5",
        "input 0 dtype float32 -> float64; input 1 dtype float32 -> float64",
        "grad mode: no grad -> grad; input 0 requiresGrad false -> true; input 0 dim 0: 8 -> 3",
      ],
    });
  });

  it("aotModule reasons name the user input, not a parameter", async () => {
    const m = aotModule(new Linear(4, 2));
    await m.forward(randn([6, 4]));
    await m.forward(randn([2, 4]));
    expect(m.stats().recompileReasons).toEqual(["input 0 dim 0: 6 -> 2; symbolic: input 0 dim 0 as B"]);
  });

  it("past cacheSizeLimit, one warning names the dims that keep changing", async () => {
    const warnings: string[] = [];
    const previous = setWarningHandler((m) => warnings.push(m));
    try {
      const f = aotFunction(
        function scale(x: Tensor) {
          return x.mul(2);
        },
        { cacheSizeLimit: 3, dynamic: false },
      );
      for (const n of [2, 3, 4]) await f(randn([n, 5]));
      expect(warnings).toEqual([]); // at the limit, not past it
      for (const n of [5, 6]) await f(randn([n, 5]));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(
        /aotFunction 'scale': 4 signatures compiled, past the cache size limit \(3\)/,
      );
      expect(warnings[0]).toMatch(/input 0 dim 0 \(sizes 2, 3, 4, 5\)/);
      expect(warnings[0]).toMatch(/dynamic: true/);
    } finally {
      setWarningHandler(previous);
    }
  });

  it("a cached call gives the same results as the first", async () => {
    manualSeed(5);
    const f = aotFunction((x: Tensor) => x.exp().sum());
    for (let i = 0; i < 3; i++) {
      const x = randn([4], rg);
      await (await f(x)).backward();
      expectClose(x.grad, x.detach().exp(), `call ${i}`);
    }
    expect(f.stats().compiles).toBe(1);
  });

  it("a compiler that throws leaves no cache entry; the next call compiles again", async () => {
    for (const which of ["fwCompiler", "bwCompiler"] as const) {
      let failures = 1;
      const flaky = (g: Graph) => {
        if (failures-- > 0) throw new Error("flaky backend");
        return g;
      };
      const f = aotFunction((x: Tensor) => x.sin(), { [which]: flaky });
      const x = randn([3], rg);
      const err = await f(x).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AotError);
      expect((err as Error).message).toMatch(/compiler failed on graph '(forward|backward)': flaky backend/);
      expect(f.stats()).toMatchObject({ compiles: 1, cacheSize: 0 });
      const out = await f(x);
      expect(f.stats()).toMatchObject({ compiles: 2, cacheSize: 1 });
      expectClose(out, x.detach().sin(), `${which}: output after recovery`);
    }
  });

  it("concurrent calls with one signature share one compile", async () => {
    const f = aotFunction((x: Tensor) => x.cos());
    await Promise.all([f(randn([2])), f(randn([2])), f(randn([2]))]);
    expect(f.stats()).toMatchObject({ compiles: 1, cacheHits: 2 });
  });
  it("-0 and 0 are different non-tensor arguments", async () => {
    const nf = aotFunction((x: Tensor, s: number) => x.div(s));
    const x = tensor([1, 2]);
    const a = await nf(x, 0);
    const b = await nf(x, -0);
    expect(values(a)).toEqual([Infinity, Infinity]);
    expect(values(b)).toEqual([-Infinity, -Infinity]);
  });
});

describe("concurrent calls", () => {
  // Oracle: the same calls made one after another in eager code, where each call sees the buffer
  // the previous one left.
  const bump = (x: Tensor, buf: Tensor) => {
    buf.add_(1);
    return x.mul(buf);
  };

  /** A compiler whose executables wait for `open()` before running; `running` counts the waiting. */
  function gatedCompiler() {
    let open!: () => void;
    const gate = new Promise<void>((r) => {
      open = r;
    });
    const state = { running: 0, open };
    const compiler = (g: Graph): Executable => {
      const interp = new Interpreter(g);
      return {
        run: async (inputs) => {
          state.running++;
          await gate;
          return interp.run(inputs);
        },
      };
    };
    return { compiler, state };
  }
  const settle = () => new Promise((r) => setTimeout(r, 20));

  it("20 calls updating one buffer in place, under Promise.all, run in call order", async () => {
    const nf = aotFunction(bump);
    const x = tensor([1, 2], { dtype: "float32" });
    const buf = zeros([2]);
    const outs = await Promise.all(Array.from({ length: 20 }, () => nf(x, buf)));
    expect(values(buf)).toEqual([20, 20]);
    outs.forEach((o, i) => {
      expect(values(o), `call ${i}`).toEqual([i + 1, 2 * (i + 1)]);
    });
  });

  it("a call that only reads a buffer sees the updates of earlier calls and none of later ones", async () => {
    const update = aotFunction((b: Tensor) => {
      b.add_(1);
      return b.mul(1);
    });
    const read = aotFunction((b: Tensor) => b.mul(10));
    const buf = zeros([1]);
    const outs = await Promise.all([update(buf), read(buf), read(buf), update(buf), read(buf), update(buf)]);
    expect(outs.map((o) => values(o)[0])).toEqual([1, 10, 10, 2, 20, 3]);
    expect(values(buf)).toEqual([3]);
  });

  it("calls that update different tensors overlap; calls that update the same one wait", async () => {
    const x = tensor([1], { dtype: "float32" });
    const apart = gatedCompiler();
    const f = aotFunction(bump, { fwCompiler: apart.compiler });
    const [a, b] = [zeros([1]), zeros([1])];
    const both = Promise.all([f(x, a), f(x, b)]);
    await settle();
    expect(apart.state.running).toBe(2);
    apart.state.open();
    await both;
    expect([values(a), values(b)]).toEqual([[1], [1]]);

    const shared = gatedCompiler();
    const g = aotFunction(bump, { fwCompiler: shared.compiler });
    const c = zeros([1]);
    const queued = Promise.all([g(x, c), g(x, c)]);
    await settle();
    expect(shared.state.running).toBe(1);
    shared.state.open();
    expect((await queued).map((o) => values(o))).toEqual([[1], [2]]);
  });

  it("a call that fails at run time does not block the calls queued behind it", async () => {
    let runs = 0;
    const failsOnce = (g: Graph): Executable => {
      const interp = new Interpreter(g);
      return {
        run: async (inputs) => {
          if (runs++ === 0) throw new Error("transient backend failure");
          return interp.run(inputs);
        },
      };
    };
    const nf = aotFunction(bump, { fwCompiler: failsOnce });
    const x = tensor([1, 2], { dtype: "float32" });
    const buf = zeros([2]);
    const [bad, good] = await Promise.allSettled([nf(x, buf), nf(x, buf)]);
    expect(bad.status).toBe("rejected");
    expect(good.status === "fulfilled" && values(good.value)).toEqual([1, 2]);
    expect(values(buf)).toEqual([1, 1]);
  });
});

describe("compilers", () => {
  it("an Executable a compiler returns is what runs", async () => {
    const runs: string[] = [];
    const viaExecutable = (g: Graph): Executable => {
      const interp = new Interpreter(g);
      return {
        run: async (inputs: readonly TensorData[]) => {
          runs.push(g.name);
          return interp.run(inputs);
        },
      };
    };
    const f = aotFunction((x: Tensor) => x.mul(x), { fwCompiler: viaExecutable });
    const x = randn([3], rg);
    const out = await f(x);
    expect(runs).toEqual(["forward"]);
    await out.sum().backward();
    expect(runs).toEqual(["forward", "backward"]);
    expectClose(x.grad, x.detach().mul(2), "grad");
  });

  it("an Executable returning the wrong outputs is an AotError naming the graph", async () => {
    const bad = (): Executable => ({ run: () => [] });
    await expect(aotFunction((x: Tensor) => x.sin(), { fwCompiler: bad })(randn([2]))).rejects.toThrow(
      /compiled 'inference' returned 0 outputs, expected 1/,
    );
    const wrongMeta = (): Executable => ({ run: () => [tensor([1, 2, 3]).toData()] });
    await expect(aotFunction((x: Tensor) => x.sin(), { fwCompiler: wrongMeta })(randn([2]))).rejects.toThrow(
      /compiled 'inference' output 0 \('sin'\) is i64\[3\], the graph says f32\[2\]/,
    );
  });

  it("a compiler returning neither a Graph nor an Executable is an AotError", async () => {
    const f = aotFunction((x: Tensor) => x.sin(), { fwCompiler: () => 42 as never });
    await expect(f(randn([2]))).rejects.toThrow(/forward|inference/);
    await expect(f(randn([2]))).rejects.toBeInstanceOf(AotError);
  });

  it("printGraph(name, log) prints the graph under that name", async () => {
    const printed: string[] = [];
    const f = aotFunction((x: Tensor) => x.cos().cos(), {
      fwCompiler: printGraph("my_forward", (t) => printed.push(t)),
      bwCompiler: printGraph("my_backward", (t) => printed.push(t)),
    });
    await (await f(randn([3], rg))).sum().backward();
    expect(printed).toHaveLength(2);
    expect(printed[0]).toMatch(/^function my_forward\(primals_1: f32\[3\] \/\* user input 0 \*\/\) \{/);
    expect(printed[0]).toContain("cos(primals_1)");
    expect(printed[1]).toMatch(/^function my_backward\(/);
    expect(printed[1]).toContain("tangents_1: f32[3] /* tangent of output 0 */");
    // Without a name, the graph's own name.
    const logged: string[] = [];
    await aotFunction((x: Tensor) => x.exp(), { fwCompiler: printGraph(undefined, (t) => logged.push(t)) })(
      randn([2]),
    );
    expect(logged[0]).toMatch(/^function inference\(/);
  });

  it("supportedOps decomposes the rest; decompositions override the defaults", async () => {
    manualSeed(6);
    const f = (x: Tensor) => x.sigmoid().mul(x);
    const { graphs } = await verifyAot(f, [randn([6], rg)], { supportedOps: allOpsBut("sigmoid") });
    for (const g of [graphs.forward!, graphs.backward!])
      expect(g.nodes.some((n) => n.op === "sigmoid")).toBe(false);
    const viaTanh = { sigmoid: ([x]: readonly Tensor[]) => x!.mul(0.5).tanh().mul(0.5).add(0.5) };
    const { graphs: g2 } = await verifyAot(f, [randn([6], rg)], {
      supportedOps: allOpsBut("sigmoid"),
      decompositions: viaTanh,
    });
    expect(g2.forward!.nodes.some((n) => n.op === "tanh")).toBe(true);
    expect(g2.forward!.nodes.some((n) => n.op === "exp")).toBe(false);
  });
});

describe("dispose", () => {
  it("calls each executable's dispose and empties the cache", async () => {
    const disposed: string[] = [];
    const compiler = (g: Graph): Executable => {
      const interp = new Interpreter(g);
      return { run: (inputs) => interp.run(inputs), dispose: async () => void disposed.push(g.name) };
    };
    const f = aotFunction((x: Tensor) => x.sin(), { fwCompiler: compiler });
    await f(randn([2], rg));
    await f(randn([2]));
    await f(randn([3]));
    expect(f.stats().cacheSize).toBe(3);
    await f.dispose();
    expect(disposed.sort()).toEqual(["backward", "forward", "inference", "inference"]);
    expect(f.stats().cacheSize).toBe(0);
    await f(randn([2])); // compiles afresh
    expect(f.stats().compiles).toBe(4);
  });

  it("a failed backward compile disposes the forward executable it already made", async () => {
    const disposed: string[] = [];
    const fw = (g: Graph): Executable => {
      const interp = new Interpreter(g);
      return { run: (inputs) => interp.run(inputs), dispose: () => void disposed.push(g.name) };
    };
    const f = aotFunction((x: Tensor) => x.sin(), {
      fwCompiler: fw,
      bwCompiler: () => {
        throw new Error("no backward today");
      },
    });
    await expect(f(randn([2], rg))).rejects.toThrow(/backward compiler failed.*no backward today/);
    expect(disposed).toEqual(["forward"]);
  });
  it("dispose frees executables of a compile still in flight", async () => {
    const disposed: string[] = [];
    const made: string[] = [];
    const compiler = async (g: Graph): Promise<Executable> => {
      await new Promise((r) => setTimeout(r, 5));
      const interp = new Interpreter(g);
      made.push(g.name);
      return { run: (xs) => interp.run(xs), dispose: () => void disposed.push(g.name) };
    };
    const nf = aotFunction((x: Tensor) => x.sin(), { fwCompiler: compiler });
    const p = nf(randn([2], rg));
    await nf.dispose();
    await p.catch(() => undefined);
    expect(made.length).toBe(2);
    expect(disposed.sort()).toEqual(made.sort());
  });
});

describe("backward twice", () => {
  it("without retainGraph the compiled backward is freed; a second backward is an error", async () => {
    const f = aotFunction((x: Tensor) => x.sin().sum());
    const x = randn([3], rg);
    const y = await f(x);
    await y.backward();
    await expect(y.backward()).rejects.toThrow(
      /CompiledFunctionBackward: trying to backward through the graph a second time/,
    );
  });

  it("with retainGraph, a second backward accumulates", async () => {
    const bw = recordingCompiler();
    const f = aotFunction((x: Tensor) => x.sin().sum(), { bwCompiler: bw });
    const x = randn([3], rg);
    const y = await f(x);
    await y.backward(undefined, { retainGraph: true });
    await y.backward();
    expectClose(x.grad, x.detach().cos().mul(2), "grad after two backwards");
    expect(bw.graphs).toHaveLength(1);
  });

  it("each call records its own node: a new call after a freed backward works", async () => {
    const f = aotFunction((x: Tensor) => x.sin().sum(), { fwCompiler: nop });
    const x = randn([3], rg);
    await (await f(x)).backward();
    await (await f(x)).backward();
    expectClose(x.grad, x.detach().cos().mul(2), "grad");
  });
});

const allOpsBut = (...ops: OpName[]): OpName[] => opNames.filter((op) => !ops.includes(op));

describe("split gradients", () => {
  it("the gradient of a tensor split three ways is one concat of the pieces' gradients, equal to eager's", async () => {
    // gptMini's fused q, k, v projection: reverse mode pads each piece's gradient and adds the
    // pads; capture turns the sum into one concat. Oracle: eager autograd on the reference kernels.
    manualSeed(3);
    const f = (x: Tensor, w: Tensor) => {
      const [q, k, v] = x.matmul(w).split(4, 1);
      return q!.mul(k!).sum().add(v!.tanh().sum());
    };
    const { graphs } = await verifyAot(f, [randn([3, 5], rg), randn([5, 12], rg)], { tol: 0 });
    const ops = graphs.backward!.nodes.map((n) => n.op);
    expect(ops).toContain("concat");
    expect(ops).not.toContain("pad");
  });
});

// Symbolic shapes in aotFunction on the reference interpreter: "auto", `dynamic: true`,
// markDynamic, a size bound (sizeAtMost) as a guard, and a failed symbolic compile leaving nothing cached. Oracle: the same function
// run eagerly on the reference kernels, for outputs and gradients.
import type { Graph } from "@aotjs/ir";
import { randn, sizeAtMost, type Tensor } from "@aotjs/tensor";
import { describe, expect, it } from "vitest";
import { aotFunction, markDynamic } from "../src/index.js";
import { expectClose } from "./support.js";

const rg = { requiresGrad: true } as const;
const f = (x: Tensor, w: Tensor) => x.matmul(w).relu().reshape([-1]).mean();

async function check(nf: (x: Tensor, w: Tensor) => Promise<Tensor>, b: number) {
  const x = randn([b, 4], rg);
  const w = randn([4, 3], rg);
  const out = await nf(x, w);
  await out.backward();
  const [x2, w2] = [x.detach().requiresGrad_(true), w.detach().requiresGrad_(true)];
  const ref = f(x2, w2);
  await ref.backward();
  expectClose(out, ref, `batch ${b}: output`);
  expectClose(x.grad, x2.grad, `batch ${b}: x.grad`);
  expectClose(w.grad, w2.grad, `batch ${b}: w.grad`);
}

describe("dynamic shapes", () => {
  it('"auto" compiles static, then once symbolic for every later size', async () => {
    const nf = aotFunction(f);
    for (const b of [8, 5, 3, 8, 7]) await check(nf, b);
    expect(nf.stats()).toMatchObject({ compiles: 2, cacheHits: 3 });
    // The mean's 1/count and the reshape follow B.
    expect(nf.lastGraphs.forward!.code).toMatch(/reshape\(relu, \{shape: \[3\*B\]\}\)/);
  });

  it("dynamic: true compiles once; false compiles per size", async () => {
    const all = aotFunction(f, { dynamic: true });
    const none = aotFunction(f, { dynamic: false });
    for (const b of [8, 5, 3]) {
      await check(all, b);
      await check(none, b);
    }
    expect(all.stats().compiles).toBe(1);
    expect(none.stats().compiles).toBe(3);
  });

  it("markDynamic makes a dim symbolic from the first call", async () => {
    const nf = aotFunction(f);
    await check(async (x, w) => nf(markDynamic(x, 0), w), 6);
    await check(nf, 2);
    expect(nf.stats()).toMatchObject({ compiles: 1, cacheHits: 1 });
    expect(nf.stats().recompileReasons).toEqual(["first call; symbolic: input 0 dim 0 as B"]);
  });

  it("a bound written with sizeAtMost becomes the guard B <= 10; past it the function's own check fails", async () => {
    const bounded = (x: Tensor, w: Tensor) => {
      if (!sizeAtMost(x.shape[0]!, 10)) throw new Error(`at most 10 rows, got ${x.shape[0]}`);
      return f(x, w);
    };
    const nf = aotFunction(bounded, { dynamic: true });
    for (const b of [8, 5, 10]) await check(nf, b);
    expect(nf.stats()).toMatchObject({ compiles: 1, cacheHits: 2 });
    expect(nf.lastGraphs.forward!.code).toMatch(/^\/\/ symbols: B >= 1 and <= 10 \(hint 8\)/);
    await expect(nf(randn([11, 4], rg), randn([4, 3], rg))).rejects.toThrow("at most 10 rows, got 11");
    // The same bound with <= refuses the trace's stand-in size, so the batch stays static.
    const plain = aotFunction(
      (x: Tensor, w: Tensor) => {
        if (x.shape[0]! > 10) throw new Error("too many rows");
        return f(x, w);
      },
      { dynamic: true },
    );
    await check(plain, 8);
    expect(plain.stats().recompileReasons[0]).toMatch(
      /symbolic input 0 dim 0 as B.* failed: while tracing 'joint': too many rows; compiled static$/,
    );
  });

  it("a symbolic compile that fails leaves no cache entry", async () => {
    let fail = true;
    const flaky = (g: Graph) => {
      if (g.symbolic && fail) throw new Error("no symbolic support today");
      return g;
    };
    const nf = aotFunction(f, { dynamic: true, fwCompiler: flaky });
    await expect(nf(randn([4, 4], rg), randn([4, 3], rg))).rejects.toThrow(/no symbolic support today/);
    expect(nf.stats().cacheSize).toBe(0);
    fail = false;
    await check(nf, 4);
    expect(nf.stats()).toMatchObject({ compiles: 2, cacheSize: 1 });
  });
});

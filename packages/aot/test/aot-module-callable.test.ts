// An AotModule is called like the module it wraps: `compiled(x)` is `compiled.forward(x)`, typed
// from the module's forward, and the instance keeps every method (parameters, train/eval, ...).
import { BatchNorm1d, Linear, Module, SGD } from "@aotjs/nn";
import { manualSeed, randn, type Tensor } from "@aotjs/tensor";
import { describe, expect, expectTypeOf, it } from "vitest";
import { AotModule, aotModule } from "../src/index.js";
import { values } from "./support.js";

/** Two inputs and a pair out, so the call's parameter and result types show. */
class TwoHeads extends Module {
  fc = new Linear(3, 2);
  bn = new BatchNorm1d(2);
  override forward(x: Tensor, scale: Tensor): [Tensor, Tensor] {
    const h = this.bn.forward(this.fc.forward(x));
    return [h.mul(scale), h.sum()];
  }
}

describe("a callable AotModule", () => {
  it("calling it is forward, typed from the module's forward", async () => {
    manualSeed(0);
    const compiled = aotModule(new TwoHeads());
    expectTypeOf(compiled).parameters.toEqualTypeOf<[x: Tensor, scale: Tensor]>();
    expectTypeOf(compiled).returns.toEqualTypeOf<Promise<[Tensor, Tensor]>>();
    const x = randn([4, 3]);
    const scale = randn([1]);
    const [a, s] = await compiled(x, scale);
    const [b, t] = await compiled.forward(x, scale);
    expect(values(a)).toEqual(values(b));
    expect(values(s)).toEqual(values(t));
    // Both went through the same compiled graph: one compile, then a cache hit.
    expect(compiled.stats()).toMatchObject({ calls: 2, compiles: 1, cacheHits: 1 });
  });

  it("is a function and an AotModule, with the module's surface", async () => {
    const model = new TwoHeads();
    const compiled = aotModule(model);
    expect(typeof compiled).toBe("function");
    expect(compiled).toBeInstanceOf(AotModule);
    expect(new AotModule(model)).toBeInstanceOf(AotModule);
    expect(compiled.module).toBe(model);
    expect(compiled.parameters()).toEqual(model.parameters());
    expect(Object.keys(compiled.stateDict())).toEqual(Object.keys(model.stateDict()));
    expect(compiled.eval()).toBe(compiled);
    expect(model.training).toBe(false);
    expect(compiled.train().training).toBe(true);
  });

  it("trains when called: grads reach the parameters, buffers update", async () => {
    manualSeed(1);
    const model = new TwoHeads();
    const compiled = aotModule(model);
    const opt = new SGD(compiled.parameters(), { lr: 0.1 });
    const before = values(model.fc.weight);
    const [, total] = await compiled(randn([8, 3]), randn([1]));
    await total.backward();
    expect(model.fc.weight.grad).not.toBeNull();
    opt.step();
    expect(values(model.fc.weight)).not.toEqual(before);
    expect(Number(model.bn.num_batches_tracked.item())).toBe(1);
  });
});

// One `inputNames` convention for aotFunction, aotModule and aotExport: a list or a function of
// the input count; missing entries keep the default, extra ones are an error.
import { Linear } from "@aotjs/nn";
import { randn, type Tensor } from "@aotjs/tensor";
import { describe, expect, test } from "vitest";
import { aotExport, aotFunction, aotModule } from "../src/index.js";

const forwardInputs = (g: { inputs: readonly { name: string }[] } | undefined) =>
  g!.inputs.map((v) => v.name);

describe("inputNames", () => {
  test("aotFunction takes a list; the entries it lacks keep primals_k", async () => {
    const f = aotFunction((x: Tensor, y: Tensor, z: Tensor) => x.mul(y).add(z), { inputNames: ["x", "y"] });
    await f(randn([2]), randn([2]), randn([2]));
    expect(forwardInputs(f.lastGraphs.inference)).toEqual(["x", "y", "primals_3"]);
  });

  test("aotFunction still takes a function of the count", async () => {
    const f = aotFunction((xs: Tensor[]) => xs[0]!.add(xs[1]!), {
      inputNames: (n) => Array.from({ length: n }, (_, i) => `item_${i}`),
    });
    await f([randn([2]), randn([2])]);
    expect(forwardInputs(f.lastGraphs.inference)).toEqual(["item_0", "item_1"]);
  });

  test("aotModule names its user inputs after the state, which keeps state-dict names", async () => {
    const m = aotModule(new Linear(3, 2), { inputNames: ["features"] });
    await m.forward(randn([4, 3]));
    expect(forwardInputs(m.lastGraphs.forward)).toEqual(["weight", "bias", "features"]);
    const g = aotModule(new Linear(3, 2), { inputNames: (n) => Array.from({ length: n }, () => "x") });
    await g.forward(randn([4, 3]));
    expect(forwardInputs(g.lastGraphs.forward)).toEqual(["weight", "bias", "x"]);
  });

  test("aotExport takes the same two forms, for functions and modules", () => {
    const fn = (x: Tensor, y: Tensor) => x.add(y);
    const byList = aotExport(fn, [randn([2]), randn([2])], { inputNames: ["a"] });
    expect(byList.signature.inputs.map((i) => i.name)).toEqual(["a", "primals_2"]);
    const byFn = aotExport(fn, [randn([2]), randn([2])], { inputNames: (n) => ["a", "b"].slice(0, n) });
    expect(byFn.signature.inputs.map((i) => i.name)).toEqual(["a", "b"]);
    const mod = aotExport(new Linear(3, 2), [randn([1, 3])], { inputNames: () => ["features"] });
    expect(mod.signature.inputs.map((i) => i.name)).toEqual(["weight", "bias", "features"]);
  });

  test("more names than inputs is an error that counts both", async () => {
    const fn = (x: Tensor) => x.neg();
    expect(() => aotExport(fn, [randn([2])], { inputNames: ["a", "b"] })).toThrow(
      "aotExport: 2 input names (a, b) for 1 inputs",
    );
    const f = aotFunction(fn, { inputNames: () => ["a", "b"] });
    await expect(f(randn([2]))).rejects.toThrow("aotFunction: 2 input names (a, b) for 1 inputs");
  });
});

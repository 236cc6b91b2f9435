// Regressions found in review: a captured constant must come back from the graph bit for bit.
import { TensorData } from "@aotjs/ir";
import { interpret, ones, Tensor, tensor } from "@aotjs/tensor";
import { describe, expect, it } from "vitest";
import { trace } from "../src/index.js";

const runTraced = (fn: (x: Tensor) => Tensor, x: Tensor): TensorData => {
  const r = trace(fn, [x]);
  return interpret(r.graph, [x.toData(), ...r.constants.map((c) => c.value)])[0]!;
};

describe("captured constants", () => {
  it("an int64 constant beyond 2^53 is not rounded by embedding it as a full node", () => {
    const v = 2n ** 60n + 1n;
    const big = new Tensor(new TensorData("int64", [2], BigInt64Array.of(v, v)));
    const x = new Tensor(new TensorData("int64", [2], BigInt64Array.of(0n, 1n)));
    expect(Array.from(runTraced((a) => a.add(big), x).data as BigInt64Array)).toEqual([v, v + 1n]);
  });

  it("0 and -0 are different values: [0, -0] is not embedded as full(0)", () => {
    const signed = tensor([0, -0], { dtype: "float32" });
    const out = runTraced((a) => a.div(signed), ones([2]));
    expect(Array.from(out.data as Float32Array)).toEqual([
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ]);
  });

  it("an all -0 or all NaN constant still becomes one full node, keeping its value", () => {
    const r = trace((a: Tensor) => a.add(tensor([-0, -0], { dtype: "float32" })), [ones([2])]);
    expect(r.constants).toHaveLength(0);
    const nan = runTraced((a) => a.add(tensor([Number.NaN, Number.NaN])), ones([2]));
    expect(Array.from(nan.data as Float32Array).every(Number.isNaN)).toBe(true);
    const negZero = runTraced((a) => tensor([-0, -0], { dtype: "float32" }).div(a), ones([2]));
    expect(Array.from(negZero.data as Float32Array).every((v) => Object.is(v, -0))).toBe(true);
  });
});

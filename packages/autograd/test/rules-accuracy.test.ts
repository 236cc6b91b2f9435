// Rules whose algebra could cancel in float32. Oracle: the same gradient computed in float64
// (eager autograd through the same rule); the float32 gradient must stay within float32's own
// rounding of the inputs, not lose digits to a cancelling formula.
import { dispatch, randn, type Tensor } from "@aotjs/tensor";
import { expect, test } from "vitest";
import "../src/index.js";

/** Max |a - b| / max |b| over the elements. */
const relErr = (a: Tensor, b: Tensor) => {
  const x = Array.from(a.toData().data as Float64Array);
  const y = Array.from(b.toData().data as Float64Array);
  const scale = Math.max(...y.map(Math.abs));
  return Math.max(...x.map((v, i) => Math.abs(v - y[i]!))) / scale;
};

test("batchNorm's gradient stays accurate in float32 when channel means are 1000 standard deviations from 0", async () => {
  // x = 1000 + N(0, 1) per channel: sum(g * x) - mean * sum(g) would cancel about 3 digits.
  const x64 = randn([8, 4, 6, 6], { dtype: "float64" }).add(1000);
  const w64 = randn([4], { dtype: "float64" });
  const b64 = randn([4], { dtype: "float64" });
  const g64 = randn([8, 4, 6, 6], { dtype: "float64" });
  const grads = async (dtype: "float32" | "float64") => {
    const [x, w, b] = [x64, w64, b64].map((t) => t.to(dtype).detach().requiresGrad_());
    const y = dispatch("batchNorm", [x!, w!, b!], { eps: 1e-5 });
    await y.mul(g64.to(dtype)).sum().backward();
    return [x!.grad!, w!.grad!, b!.grad!];
  };
  const exact = await grads("float64");
  const single = await grads("float32");
  // The float32 input itself is rounded to ~6e-5 absolute at 1000, about 6e-5 of each value's
  // deviation from the mean; the weight's gradient sums 288 such errors (measured: 1.2e-6, 4.4e-5).
  expect(relErr(single[0]!.to("float64"), exact[0]!)).toBeLessThan(1e-5);
  expect(relErr(single[1]!.to("float64"), exact[1]!)).toBeLessThan(3e-4);
  expect(relErr(single[2]!.to("float64"), exact[2]!)).toBeLessThan(1e-5);
});

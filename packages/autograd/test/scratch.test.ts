import { test } from "vitest";
import { jointGraph, gradcheck } from "../src/index.js";
import { randn, Tensor } from "@aotjs/tensor";
import { makeFx } from "@aotjs/tracer";

test("scratch", async () => {
  const x = randn([3], { requiresGrad: true });
  const y = x.cos().cos();
  await y.sum().backward();
  console.log(x.grad?.toString());
  console.log(jointGraph((x: Tensor) => x.cos().cos(), [x]).code);
  console.log(jointGraph((x: Tensor) => [x.cos(), x.argmax()], [x]).code);
  const g = makeFx((x: Tensor) => x.cos().cos())(x);
  console.log(g.code);
  console.log(jointGraph(g, [x]).code);
  console.log(gradcheck((x) => x.cos().cos(), [randn([3], { dtype: "float64" })]));
});

// The running statistics' static types follow `trackRunningStats` (checked by `tsc` over the
// tests), and the runtime values agree with them.
import type { Tensor } from "@aotjs/tensor";
import { describe, expect, expectTypeOf, test } from "vitest";
import { BatchNorm1d, BatchNorm2d, resnet18 } from "../src/index.js";

describe("BatchNorm running statistics types", () => {
  test("tracked by default: plain Tensor, no cast or `!` needed", () => {
    const bn = new BatchNorm2d(3);
    expectTypeOf(bn.running_mean).toEqualTypeOf<Tensor>();
    expectTypeOf(bn.running_var).toEqualTypeOf<Tensor>();
    expectTypeOf(bn.num_batches_tracked).toEqualTypeOf<Tensor>();
    // A Tensor method straight on the field: this line would not compile with `Tensor | null`.
    expect(bn.running_mean.shape).toEqual([3]);
    expect(new BatchNorm1d(4, { dtype: "float64" }).running_var.dtype).toBe("float64");
  });

  test("trackRunningStats: false gives null, typed null", () => {
    const bn = new BatchNorm2d(3, { trackRunningStats: false });
    expectTypeOf(bn.running_mean).toEqualTypeOf<null>();
    expect(bn.running_mean).toBeNull();
    expect(bn.num_batches_tracked).toBeNull();
  });

  test("a run-time boolean keeps both possibilities", () => {
    const track = true as boolean;
    const bn = new BatchNorm1d(2, { trackRunningStats: track });
    expectTypeOf(bn.running_mean).toEqualTypeOf<Tensor | null>();
    expect(bn.running_mean).not.toBeNull();
  });

  test("model zoo fields are typed as tracked", () => {
    const model = resnet18({ numClasses: 10 });
    expectTypeOf(model.bn1.running_mean).toEqualTypeOf<Tensor>();
    expect(model.bn1.running_mean.shape).toEqual([64]);
  });
});

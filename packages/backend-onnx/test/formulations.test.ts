// Every formulation of the ops that have several (conv2dBackwardWeight, conv2dBackwardInput,
// maxPool2dBackward), forced on every conformance sample of the conv and pool ops, forward and
// backward, against the reference interpreter (@aotjs/conformance): the default "auto" picks one
// per node by shape, so without forcing, a formulation that the small samples never get would go
// untested. float32 within 1e-5 relative; maxPool2dBackward's "masks" also in float64 and on ints.
import {
  checkGraph,
  conformanceCases,
  fromValues,
  rng,
  runConformanceCase,
  singleOpGraph,
  uniform,
} from "@aotjs/conformance";
import type { OpName } from "@aotjs/ir";
import { describe, expect, test } from "vitest";
import { onnxCompiler } from "../src/node.js";

const CONV_OPS: OpName[] = ["conv2d", "conv2dBackwardInput", "conv2dBackwardWeight"];
const POOL_OPS: OpName[] = ["maxPool2d", "maxPool2dBackward"];

async function failures(
  formulations: Parameters<typeof onnxCompiler>[0] extends infer O
    ? O extends { formulations?: infer F }
      ? F
      : never
    : never,
  ops: OpName[],
  dtype: "float32" | "float64",
): Promise<string[]> {
  const compiler = onnxCompiler({ intraOpNumThreads: 1, formulations });
  const out: string[] = [];
  for (const c of conformanceCases({ ops })) {
    const r = await runConformanceCase(compiler, c, { rtol: dtype === "float32" ? 1e-5 : 1e-10, dtype });
    if (r.status !== "passed") out.push(`${r.id}: ${r.message}`);
  }
  return out;
}

describe("conv2dBackwardWeight formulations", () => {
  test.each(["conv", "gemm", "batchedGemm"] as const)("%s", async (f) => {
    expect(await failures({ conv2dBackwardWeight: f }, CONV_OPS, "float32")).toEqual([]);
  });
});

describe("conv2dBackwardInput formulations", () => {
  test.each(["convTranspose", "conv"] as const)("%s", async (f) => {
    expect(await failures({ conv2dBackwardInput: f }, CONV_OPS, "float32")).toEqual([]);
  });
});

describe("maxPool2dBackward formulations", () => {
  test.each(["scatter", "masks"] as const)("%s float32", async (f) => {
    expect(await failures({ maxPool2dBackward: f }, POOL_OPS, "float32")).toEqual([]);
  });
  test("masks float64", async () => {
    expect(await failures({ maxPool2dBackward: "masks" }, POOL_OPS, "float64")).toEqual([]);
  });

  // A window whose real elements are all -infinity routes to the first of them, never to the
  // padding (the reference's taps skip padding). TF.js's kernels route it elsewhere, so this edge
  // lives here rather than in the shared sample table.
  test.each(["scatter", "masks"] as const)(
    "%s: an all -infinity window routes to its first real element",
    async (f) => {
      const attrs = { kernelSize: [3, 3], stride: [2, 2], padding: [1, 1] };
      const x = fromValues(
        [1, 1, 3, 3],
        [-Infinity, -Infinity, 5, -Infinity, -Infinity, 2, 1, 3, 4],
        "float32",
      );
      const gy = fromValues([1, 1, 2, 2], [0.5, -1.25, 2, 0.75], "float32");
      const graph = singleOpGraph("maxPool2dBackward", [gy.meta, x.meta], attrs);
      const compiler = onnxCompiler({ intraOpNumThreads: 1, formulations: { maxPool2dBackward: f } });
      expect(await checkGraph(compiler, graph, [gy, x], { rtol: 1e-5 })).toEqual([]);
    },
  );

  // The reference routes a window holding NaN to its LAST NaN (a later element wins when NaN);
  // "masks" does the same, "scatter" (MaxPool's Indices, where NaN never wins) does not, as the
  // README says. Overlapping 2x2 windows, several NaN per window, and ties among the rest.
  test.each(["float32", "float64"] as const)("masks: the last NaN in a window wins (%s)", async (dtype) => {
    const attrs = { kernelSize: [2, 2], stride: [1, 1] };
    const x = fromValues(
      [1, 1, 4, 4],
      [1, Number.NaN, 3, Number.NaN, Number.NaN, 2, Number.NaN, 4, 5, 6, 7, 8, 1, 1, 1, 1],
      dtype,
    );
    const gy = fromValues([1, 1, 3, 3], Array.from(uniform(rng(3), [9]).data as Float64Array), dtype);
    const graph = singleOpGraph("maxPool2dBackward", [gy.meta, x.meta], attrs);
    const masks = onnxCompiler({ intraOpNumThreads: 1, formulations: { maxPool2dBackward: "masks" } });
    expect(await checkGraph(masks, graph, [gy, x], { rtol: dtype === "float32" ? 1e-5 : 1e-10 })).toEqual([]);
  });
});

// 0-d tensors through lowerings whose TF.js op refuses them (found by @aotjs/fuzz); the reference
// interpreter is the oracle.
import { type Executable, GraphBuilder, TensorData } from "@aotjs/ir";
import { interpret } from "@aotjs/tensor";
import { expect, test } from "vitest";
import { tfjsCompiler } from "../src/index.js";

test.each(["cpu", "wasm"])(
  "pad of a 0-d tensor (nothing to pad) is a copy on %s, for float32 and int32",
  async (backend) => {
    const b = new GraphBuilder("g");
    const x = b.input("x", { shape: [], dtype: "float32" });
    const n = b.input("n", { shape: [], dtype: "int32" });
    b.output([
      b.op("pad", [x], { before: [], after: [], value: 1 }),
      b.op("pad", [n], { before: [], after: [], value: 2 }),
    ]);
    const graph = b.build();
    const inputs = [
      new TensorData("float32", [], Float32Array.of(1.25)),
      new TensorData("int32", [], Int32Array.of(-3)),
    ];
    const exe = (await tfjsCompiler({ backend })(graph, graph.inputMetas)) as Executable;
    try {
      const got = await exe.run(inputs);
      expect(got.map((t) => [t.dtype, t.shape, Array.from(t.data as Float32Array)])).toEqual(
        interpret(graph, inputs).map((t) => [t.dtype, t.shape, Array.from(t.data as Float32Array)]),
      );
    } finally {
      await exe.dispose?.();
    }
  },
);

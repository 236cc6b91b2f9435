// ORT's own MatMul rate, the yardstick the suites report GFLOP/s against. Its own module, so a
// suite that needs it does not load the peers (jax-js, TF.js) that `onnx` compares with.
import { onnxCompiler } from "@aotjs/backend-onnx/node";
import { type Executable, GraphBuilder, meta, TensorData } from "@aotjs/ir";
import { medianMs } from "./measure.js";

/** ORT's MatMul alone: [n, n] @ [n, n] through onnxCompiler, inputs wrapped without copies. */
export async function ortMatmul(n: number): Promise<{ ms: number; gflops: number }> {
  const b = new GraphBuilder("matmul");
  const a = b.input("a", meta([n, n]));
  const c = b.input("b", meta([n, n]));
  b.output([b.op("matmul", [a, c])]);
  const g = b.build();
  const exe = (await onnxCompiler()(g, g.inputMetas)) as Executable;
  const data = () =>
    new TensorData(
      "float32",
      [n, n],
      Float32Array.from({ length: n * n }, () => Math.random() - 0.5),
    );
  const inputs = [data(), data()];
  const ms = await medianMs(() => exe.run(inputs), { runs: 21, warmup: 3 });
  await exe.dispose?.();
  return { ms, gflops: (2 * n ** 3) / ms / 1e6 };
}

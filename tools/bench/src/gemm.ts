// ORT's own MatMul rate, the yardstick the suites report GFLOP/s against. Its own module, so a
// suite that needs it does not load the peers (jax-js, TF.js) that `onnx` compares with.
import { onnxCompiler } from "@aotjs/backend-onnx/node";
import { type Executable, GraphBuilder, meta, TensorData } from "@aotjs/ir";
import { medianMs } from "./measure.js";

/**
 * ORT's MatMul alone, [n, n] @ [n, n] through onnxCompiler: `gflops` from the kernel's own time
 * in ORT's profiler, `wallGflops` from the wall time of a run. The kernel time is the yardstick.
 * The wall time of a run also pays for a fresh 4 MiB output array each time, and on a VM that
 * returns freed pages to its host the first-touch faults on it cost more than the GEMM: on an
 * AMD EPYC here, 17-21 ms a run against a 6.3 ms kernel, until V8's collector starts recycling
 * those arrays, tens of runs in.
 */
export async function ortMatmul(n: number): Promise<{ ms: number; gflops: number; wallGflops: number }> {
  const b = new GraphBuilder("matmul");
  const a = b.input("a", meta([n, n]));
  const c = b.input("b", meta([n, n]));
  b.output([b.op("matmul", [a, c])]);
  const g = b.build();
  const warmup = 3;
  const compiler = onnxCompiler({ profile: { skip: warmup } });
  const exe = (await compiler(g, g.inputMetas)) as Executable;
  const data = () =>
    new TensorData(
      "float32",
      [n, n],
      Float32Array.from({ length: n * n }, () => Math.random() - 0.5),
    );
  const inputs = [data(), data()];
  try {
    const wallMs = await medianMs(() => exe.run(inputs), { runs: 21, warmup });
    const [profile] = await compiler.profiles();
    const ms = profile!.kernelMs;
    return { ms, gflops: (2 * n ** 3) / ms / 1e6, wallGflops: (2 * n ** 3) / wallMs / 1e6 };
  } finally {
    await exe.dispose?.();
  }
}

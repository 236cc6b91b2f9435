// Reference CPU kernels: blocked float32 matmul throughput, and resnet18's first conv layer
// (1x3x224x224 input, 64 filters of 7x7, stride 2, padding 3) forward and both backward ops.
import { TensorData } from "@aotjs/ir";
import { runKernel } from "@aotjs/tensor";
import { medianMs, table } from "./measure.js";

function random(shape: number[]): TensorData<"float32"> {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = Math.random() * 2 - 1;
  return new TensorData("float32", shape, data);
}

export async function kernels(): Promise<void> {
  const rows: Record<string, string | number>[] = [];
  for (const n of [256, 512, 1024]) {
    const a = random([n, n]);
    const b = random([n, n]);
    const ms = await medianMs(() => runKernel("matmul", [a, b]), n > 512 ? { runs: 3, warmup: 3 } : {});
    rows.push({
      case: `matmul f32 ${n}^3`,
      "median ms": ms.toFixed(1),
      "GFLOP/s": ((2 * n ** 3) / ms / 1e6).toFixed(2),
    });
  }

  const x = random([1, 3, 224, 224]);
  const w = random([64, 3, 7, 7]);
  const conv = { stride: [2, 2], padding: [3, 3] };
  const y = runKernel("conv2d", [x, w], conv);
  const g = random([...y.shape]);
  // 2 * (64 filters) * (3*7*7 taps) * (112*112 positions) for each of the three ops.
  const flops = 2 * 64 * 147 * y.shape[2]! * y.shape[3]!;
  const convCases: [string, () => unknown][] = [
    ["conv1 forward", () => runKernel("conv2d", [x, w], conv)],
    [
      "conv1 backward input",
      () => runKernel("conv2dBackwardInput", [g, w], { ...conv, inputShape: x.shape }),
    ],
    [
      "conv1 backward weight",
      () => runKernel("conv2dBackwardWeight", [g, x], { ...conv, weightShape: w.shape }),
    ],
  ];
  for (const [name, fn] of convCases) {
    const ms = await medianMs(fn);
    rows.push({ case: name, "median ms": ms.toFixed(1), "GFLOP/s": (flops / ms / 1e6).toFixed(2) });
  }
  table(rows);
}

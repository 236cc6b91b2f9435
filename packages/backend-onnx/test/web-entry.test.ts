// The main entry, which runs on onnxruntime-web: in Node too (ORT-web's wasm build runs there), so
// its defaults, its WebGPU rule and its device tensors are checked here; the browser itself is
// covered by examples/test/web.test.ts. Oracle: the reference interpreter for the values.
import { aotFunction } from "@aotjs/aot";
import { GraphBuilder, meta, TensorData } from "@aotjs/ir";
import { F } from "@aotjs/nn";
import { interpret, randn, type Tensor } from "@aotjs/tensor";
import * as ortWeb from "onnxruntime-web";
import { describe, expect, test } from "vitest";
import { deviceTensorData } from "../src/device-tensor.js";
import {
  defaultExecutionProviders,
  isDeviceTensorData,
  OnnxBackendError,
  OnnxExecutable,
  onnxCompiler,
  webGpuProblems,
} from "../src/index.js";

function denseGraph() {
  const b = new GraphBuilder("dense");
  const x = b.input("x", meta([4, 8]));
  const w = b.input("w", meta([8, 3]));
  b.output([b.op("relu", [b.op("matmul", [x, w])])]);
  return b.build();
}
const f32 = (shape: number[]) =>
  new TensorData(
    "float32",
    shape,
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i)),
  );

describe("onnxCompiler from @aotjs/backend-onnx", () => {
  test("runs on onnxruntime-web's wasm EP by default and matches the reference", async () => {
    const g = denseGraph();
    const exe = await onnxCompiler()(g, g.inputMetas);
    expect(exe).toBeInstanceOf(OnnxExecutable);
    expect(exe.executionProviders).toEqual(["wasm"]);
    const inputs = [f32([4, 8]), f32([8, 3])];
    const [got] = await exe.run(inputs);
    const [want] = interpret(g, inputs);
    expect(Array.from(got!.data as Float32Array)).toEqual(
      Array.from(want!.data as Float32Array).map((v) => expect.closeTo(v, 5)),
    );
    await exe.dispose();
  });

  test("a training step's gradients on ORT-web equal eager autograd's", async () => {
    const f = (x: Tensor, w: Tensor) => x.matmul(w).tanh().sum();
    const c = onnxCompiler();
    const nf = aotFunction(f, { fwCompiler: c, bwCompiler: c });
    const x = randn([5, 4], { requiresGrad: true });
    const w = randn([4, 3], { requiresGrad: true });
    await (await nf(x, w)).backward();
    const flat = (t: Tensor) => Array.from(t.toData().data as Float32Array);
    const [gx, gw] = [flat(x.grad!), flat(w.grad!)];
    x.grad = null;
    w.grad = null;
    await f(x, w).backward();
    // float32 kernels summing in another order: within 1e-5 (the conformance bar).
    expect(gx).toEqual(flat(x.grad!).map((v) => expect.closeTo(v, 5)));
    expect(gw).toEqual(flat(w.grad!).map((v) => expect.closeTo(v, 5)));
    await nf.dispose();
  });

  test("profile needs the Node entry, and says so", async () => {
    const g = denseGraph();
    await expect(onnxCompiler({ profile: true })(g, g.inputMetas)).rejects.toThrow(
      /profile needs onnxruntime-node's profiler: import onnxCompiler from "@aotjs\/backend-onnx\/node"/,
    );
  });

  test("without an adapter (Node has no navigator.gpu) the providers are wasm; a native ort gets cpu", async () => {
    expect(await defaultExecutionProviders(ortWeb)).toEqual(["wasm"]);
    const native = { InferenceSession: ortWeb.InferenceSession, Tensor: ortWeb.Tensor };
    expect(await defaultExecutionProviders(native)).toEqual(["cpu"]);
  });
});

describe("WebGPU per graph", () => {
  test("a convnet's backward holds nodes WebGPU computes wrong; its forward holds none", async () => {
    const graphs: Record<string, import("@aotjs/ir").Graph> = {};
    const keep = (name: string) => (g: import("@aotjs/ir").Graph) => {
      graphs[name] = g;
      return g;
    };
    const f = (x: Tensor, w: Tensor) =>
      F.maxPool2d(F.conv2d(x, w, undefined, { padding: 1 }).relu(), 2).sum();
    const nf = aotFunction(f, { fwCompiler: keep("forward"), bwCompiler: keep("backward") });
    await (
      await nf(randn([2, 1, 8, 8], { requiresGrad: true }), randn([4, 1, 3, 3], { requiresGrad: true }))
    ).backward();
    expect(webGpuProblems(graphs.forward!)).toEqual([]);
    const problems = webGpuProblems(graphs.backward!).join("\n");
    expect(problems).toMatch(/maxPool2dBackward '.*' \(MaxPool's Indices output is missing\)/);
    expect(problems).toMatch(/conv2dBackwardWeight '.*' \(the weight gradient comes back as zeros\)/);
  });
});

describe("DeviceTensorData", () => {
  test("is a TensorData by dtype and shape; data throws naming it; download copies; dispose frees", async () => {
    // An ORT-web CPU tensor stands in for a GPU one: getData() and dispose() are the calls made.
    const host = new ortWeb.Tensor("float32", Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3]);
    let disposed = 0;
    const tensor = Object.assign(Object.create(host), { dispose: () => disposed++ }) as typeof host;
    const d = deviceTensorData(tensor, meta([2, 3]), "graph 'g' output 'h'");
    expect(d).toBeInstanceOf(TensorData);
    expect(isDeviceTensorData(d)).toBe(true);
    expect([d.dtype, d.shape]).toEqual(["float32", [2, 3]]);
    expect(() => d.data).toThrow(OnnxBackendError);
    expect(() => d.data).toThrow(/graph 'g' output 'h' \(f32\[2,3\]\) is in GPU memory.*download\(\)/);
    const copy = await d.download();
    expect(isDeviceTensorData(copy)).toBe(false);
    expect(Array.from(copy.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    d.dispose();
    d.dispose();
    expect(disposed).toBe(1);
    await expect(d.download()).rejects.toThrow(/used after dispose\(\)/);
  });
});

// The backends the page offers. Each makes fresh compilers, so a run starts from nothing cached.
import { defaultExecutionProviders, onnxCompiler } from "@aotjs/backend-onnx";
import { tfjsCompiler } from "@aotjs/backend-tfjs";
import type { Value } from "@aotjs/ir";
import "@tensorflow/tfjs-backend-webgl";
import * as ort from "onnxruntime-web";
import type { Compilers } from "./train.js";

export type BackendId = "ort-wasm" | "ort-auto" | "tfjs-wasm" | "tfjs-webgl" | "tfjs-cpu";

export interface BackendChoice {
  readonly id: BackendId;
  readonly label: string;
  readonly make: () => Compilers;
}

/**
 * The forward's first output is the loss (read on the host); the rest are the values the backward
 * needs, which stay in GPU memory when the forward runs on WebGPU (ORT-web's "gpu-buffer").
 */
const savedOnGpu = (_output: Value, index: number) => (index === 0 ? "cpu" : "gpu-buffer");

export const BACKENDS: readonly BackendChoice[] = [
  {
    id: "ort-wasm",
    label: "ONNX Runtime Web · wasm",
    make: () => {
      const c = onnxCompiler({ executionProviders: ["wasm"] });
      return { fwCompiler: c, bwCompiler: c };
    },
  },
  {
    id: "ort-auto",
    label: "ONNX Runtime Web · auto (WebGPU where it computes right, else wasm)",
    make: () => ({
      fwCompiler: onnxCompiler({ outputLocation: savedOnGpu }),
      bwCompiler: onnxCompiler(),
    }),
  },
  {
    id: "tfjs-wasm",
    label: "TensorFlow.js · wasm",
    make: () => {
      const c = tfjsCompiler({ backend: "wasm" });
      return { fwCompiler: c, bwCompiler: c };
    },
  },
  {
    id: "tfjs-webgl",
    label: "TensorFlow.js · WebGL",
    make: () => {
      const c = tfjsCompiler({ backend: "webgl" });
      return { fwCompiler: c, bwCompiler: c };
    },
  },
  {
    id: "tfjs-cpu",
    label: "TensorFlow.js · cpu (plain JS)",
    make: () => {
      const c = tfjsCompiler({ backend: "cpu" });
      return { fwCompiler: c, bwCompiler: c };
    },
  },
];

/** What the environment offers, for the page's header: WebGPU, threads, cross-origin isolation. */
export async function environment(): Promise<{ webgpu: boolean; threads: number; isolated: boolean }> {
  const providers = await defaultExecutionProviders(ort);
  return {
    webgpu: providers.includes("webgpu"),
    threads: crossOriginIsolated ? navigator.hardwareConcurrency : 1,
    isolated: crossOriginIsolated,
  };
}

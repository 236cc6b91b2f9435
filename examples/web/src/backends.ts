// The backends the page offers. Each makes fresh compilers, so a run starts from nothing cached.
import {
  defaultExecutionProviders,
  isDeviceTensorData,
  type OnnxCompiler,
  onnxCompiler,
} from "@aotjs/backend-onnx";
import { tfjsCompiler } from "@aotjs/backend-tfjs";
import type { Compiler, Executable, Value } from "@aotjs/ir";
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

/** Where each ONNX graph of the latest runs ran, and how many of its outputs stayed on the GPU. */
export interface PlacementRecord {
  readonly graph: string;
  readonly providers: readonly string[];
  deviceOutputs: number;
}
export const placements: PlacementRecord[] = [];

/** `compiler`, noting each executable's providers and device-resident outputs in `placements`. */
function recorded(compiler: OnnxCompiler): Compiler {
  return async (graph, metas) => {
    const exe = await compiler(graph, metas);
    const record: PlacementRecord = {
      graph: graph.name,
      providers: exe.executionProviders,
      deviceOutputs: 0,
    };
    placements.push(record);
    const wrapped: Executable = {
      run: async (inputs) => {
        const outputs = await exe.run(inputs);
        record.deviceOutputs = outputs.filter(isDeviceTensorData).length;
        return outputs;
      },
      dispose: () => exe.dispose(),
    };
    return wrapped;
  };
}

export const BACKENDS: readonly BackendChoice[] = [
  {
    id: "ort-wasm",
    label: "ONNX Runtime Web · wasm",
    make: () => {
      const c = recorded(onnxCompiler({ executionProviders: ["wasm"] }));
      return { fwCompiler: c, bwCompiler: c };
    },
  },
  {
    id: "ort-auto",
    label: "ONNX Runtime Web · auto (WebGPU where it computes right, else wasm)",
    make: () => ({
      fwCompiler: recorded(onnxCompiler({ outputLocation: savedOnGpu })),
      bwCompiler: recorded(onnxCompiler()),
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

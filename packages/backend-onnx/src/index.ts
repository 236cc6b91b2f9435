// @aotjs/backend-onnx: lower aotjs graphs to standard ONNX, run them on ONNX Runtime, export them.
// This entry runs anywhere, a browser included: `onnxCompiler` runs on onnxruntime-web (WebGPU or
// wasm). `@aotjs/backend-onnx/node` has the same API on onnxruntime-node, plus file export.
import { type Backend, type OpName, opNames } from "@aotjs/ir";
import { createOnnxCompiler, type OnnxCompiler, type OnnxCompilerOptions } from "./compiler.js";
import { webRuntime } from "./web-runtime.js";

export {
  type OnnxCompiler,
  type OnnxCompilerOptions,
  OnnxExecutable,
  type OrtModule,
  type OutputLocation,
} from "./compiler.js";
export type { Formulations, RuntimeCheck } from "./context.js";
export { type DeviceTensorData, isDeviceTensorData } from "./device-tensor.js";
export { OnnxBackendError } from "./errors.js";
export { lowerings } from "./lower/index.js";
export { NotSymbolicError, type SizeLimit } from "./lower/symbolic-shape.js";
export { measuredCosts, type ProfiledGraph } from "./measured-costs.js";
export {
  AOTJS_VERSION,
  DEFAULT_OPSET,
  type LoweredModel,
  lowerGraph,
  type OnnxModelOptions,
  SUPPORTED_OPSETS,
  toOnnxModel,
} from "./model.js";
export { formatProfile, type OnnxProfile, type ProfileRow, summarizeOrtProfile } from "./profile.js";
export { sha256 } from "./sha256.js";
export { defaultExecutionProviders, webGpuProblems } from "./web-runtime.js";

/**
 * A `Compiler` that lowers each graph to ONNX and runs it on onnxruntime-web (or the `ort`
 * passed): one InferenceSession per graph, created at compile time and reused by every call. The
 * execution provider is WebGPU where the browser gives an adapter, else wasm (threads on a
 * cross-origin isolated page); `executionProviders` overrides it.
 *
 *   const f = aotFunction(fn, { fwCompiler: onnxCompiler(), bwCompiler: onnxCompiler() });
 */
export function onnxCompiler(options: OnnxCompilerOptions = {}): OnnxCompiler {
  return createOnnxCompiler(options, webRuntime);
}

/**
 * The ONNX backend: every catalog op lowers to standard ONNX natively, so nothing needs
 * decomposing. (The catalog has no composite ops yet; when it gains some, those with a good ONNX
 * op, such as Softmax or LayerNormalization, will be listed here and the rest decomposed.)
 */
export const onnxBackend: Backend<OnnxCompilerOptions> = {
  name: "onnx",
  supportedOps: new Set<OpName>(opNames),
  compiler: (options?: OnnxCompilerOptions) => onnxCompiler(options),
};

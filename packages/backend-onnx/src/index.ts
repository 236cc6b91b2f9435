// @aotjs/backend-onnx: lower aotjs graphs to standard ONNX, run them on ONNX Runtime, export them.
// Imports only @aotjs/ir at run time (plus onnx-buf/@bufbuild/protobuf, and onnxruntime-node,
// which is loaded lazily by `onnxCompiler`), so `toOnnxModel` also runs in a browser.
export {
  type OnnxCompiler,
  type OnnxCompilerOptions,
  OnnxExecutable,
  type OrtModule,
  onnxBackend,
  onnxCompiler,
} from "./compiler.js";
export type { Formulations, RuntimeCheck } from "./context.js";
export { OnnxBackendError } from "./errors.js";
export {
  type ArtifactFile,
  type ExportedArtifacts,
  exportOnnx,
  type Manifest,
  type WriteArtifactsOptions,
  writeArtifacts,
} from "./export.js";
export { lowerings } from "./lower/index.js";
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

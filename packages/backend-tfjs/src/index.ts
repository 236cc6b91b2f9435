export {
  backendFailures,
  resolveBackend,
  supportedOps,
  type TfjsBackendName,
  type TfjsCompilerOptions,
  tfjsBackend,
  tfjsCompiler,
} from "./compiler.js";
export { TfjsBackendError } from "./errors.js";
export { TfjsExecutable } from "./executable.js";
export { type LoweringsFor, lowerings } from "./lower/index.js";
export { SPECIALIZATION_LIMIT, TfjsSymbolicExecutable } from "./symbolic.js";

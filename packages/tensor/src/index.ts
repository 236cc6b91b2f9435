export {
  activeModes,
  type DispatchHandler,
  dispatch,
  dispatchAlias,
  dispatchMutate,
  type OpCall,
  popMode,
  pushMode,
  registerLayer,
  unregisterLayer,
  withMode,
} from "./dispatch.js";
export * from "./factories.js";
export type { Nested } from "./format.js";
export { enableGrad, isGradEnabled, noGrad, setGradEnabled } from "./grad-mode.js";
export { Interpreter, interpret } from "./interpreter.js";
export { type Kernel, type KernelsFor, kernels } from "./kernels/index.js";
export { runKernel } from "./kernels/run.js";
export * from "./ops/functional.js";
export { defaultGenerator, Generator, manualSeed, type RngState, rngStateOf } from "./random.js";
export { type SizeBoundHook, sizeAtMost, withSizeBounds } from "./size-guards.js";
export {
  type AutogradEngine,
  accumulateGrad,
  type BackwardOptions,
  type GradFn,
  markGradPending,
  setAutogradEngine,
  Tensor,
  TensorError,
} from "./tensor.js";
export { nameTensor, tensorName } from "./tensor-names.js";

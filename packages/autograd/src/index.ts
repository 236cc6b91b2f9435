// Importing this package installs the autograd layer on the tensor dispatcher and the engine
// behind `Tensor.backward()`: a deliberate side effect (see "sideEffects" in package.json).
import { registerLayer, setAutogradEngine } from "@aotjs/tensor";
import { autogradLayer, backward } from "./engine.js";

registerLayer(autogradLayer);
setAutogradEngine({ backward });

export { checkpoint } from "./checkpoint.js";
export {
  AutogradError,
  autogradLayer,
  type BackwardFn,
  backward,
  backwardSync,
  enableGrad,
  type GradList,
  type GradOptions,
  gradAsync,
  gradSync,
  gradSyncWithUsage,
  isGradEnabled,
  noGrad,
  recordCustomNode,
  type SavedTensorHooks,
  type SavedTensors,
  setGradEnabled,
  TapeNode,
  withSavedTensorHooks,
} from "./engine.js";
export { type GradcheckOptions, type GradcheckResult, gradcheck } from "./gradcheck.js";
export {
  type DerivativeRule,
  derivativeRules,
  notDifferentiable,
  type RuleContext,
  type RuleEntry,
  sumToShape,
} from "./rules/index.js";
export { grad, type TransformOptions, valueAndGrad } from "./transforms.js";

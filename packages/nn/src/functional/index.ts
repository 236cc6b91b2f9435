export { type DropoutOptions, dropout, type GeluApproximate, gelu, logSoftmax, relu, sigmoid, silu, softmax, tanh } from "./activation.js";
export {
  type AdaptiveSize,
  adaptiveAvgPool2d,
  avgPool2d,
  batchNorm,
  type Conv2dOptions,
  conv2d,
  embedding,
  flatten,
  layerNorm,
  linear,
  maxPool2d,
  type Pair,
  type PoolOptions,
  pad,
} from "./layers.js";
export { type CrossEntropyOptions, crossEntropy, type NllLossOptions, nllLoss, mseLoss, type Reduction } from "./loss.js";

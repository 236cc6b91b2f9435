// The functional API: free functions for what is not a method, or reads better as a function.
export { cast, clamp, where } from "./elementwise.js";
export {
  type AvgPool2dOptions,
  avgPool2d,
  avgPool2dBackward,
  type Conv2dOptions,
  conv2d,
  conv2dBackwardInput,
  conv2dBackwardWeight,
  type MaxPool2dOptions,
  matmul,
  maxPool2d,
  maxPool2dBackward,
} from "./nn.js";
export { asTensor, normalizeDim, normalizeDims, promote, type TensorLike } from "./operands.js";
export { logSoftmax, logsumexp, type ReduceOptions, softmax } from "./reduce.js";
export { cat, chunk, gather, pad, scatterAdd, split, stack } from "./shape.js";

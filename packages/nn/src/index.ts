export { ModuleList, Sequential, WithLoss } from "./containers.js";
export { NNError } from "./errors.js";
/** The functional API, like `torch.nn.functional`: stateless layers, activations and losses. */
export * as F from "./functional/index.js";
export * as functional from "./functional/index.js";
/** Parameter initializers, like `torch.nn.init`: each fills a tensor in place and returns it. */
export * as init from "./init.js";
export { Dropout, GELU, ReLU, Sigmoid, SiLU, Softmax, Tanh } from "./layers/activation.js";
export { CausalSelfAttention, type CausalSelfAttentionOptions } from "./layers/attention.js";
export type { LayerOptions } from "./layers/common.js";
export {
  AdaptiveAvgPool2d,
  AvgPool2d,
  type AvgPool2dOptions,
  Conv2d,
  type Conv2dOptions,
  MaxPool2d,
  type MaxPool2dOptions,
} from "./layers/conv.js";
export { Embedding, Flatten, Identity, Linear } from "./layers/linear.js";
export {
  BatchNorm1d,
  BatchNorm2d,
  type BatchNormOptions,
  LayerNorm,
  type LayerNormOptions,
  type RunningStat,
} from "./layers/norm.js";
export { Block, GPT, type GptConfig, GptTransformer, gptMini, MLP } from "./models/gpt.js";
export { type Activation, type MlpOptions, mlp } from "./models/mlp.js";
export { BasicBlock, ResNet, type ResNetOptions, resnet18, resnet34 } from "./models/resnet.js";
export {
  type FunctionalCallOptions,
  functionalCall,
  type LoadStateDictResult,
  Module,
  Parameter,
  type StateDict,
} from "./module.js";
export { Adam, type AdamOptions, AdamW } from "./optim/adam.js";
export {
  type GradParam,
  Optimizer,
  type ParamGroup,
  type Params,
  type Scalar,
  type UpdateScalars,
  type UpdateStructure,
} from "./optim/optimizer.js";
export { SGD, type SGDOptions } from "./optim/sgd.js";

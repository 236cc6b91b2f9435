/**
 * torch.nn.init: in-place initialisers drawing from the seeded generator. Each returns the tensor
 * it filled. They run outside autograd (see `withoutGrad`), as torch's run under `no_grad`.
 */
import { type Generator, rand, randn, type Tensor } from "@aotjs/tensor";
import { describe, NNError } from "./errors.js";
import { withoutGrad } from "./internal.js";

/** Options of the random initializers: the generator to draw from. */
export interface InitOptions {
  readonly generator?: Generator;
}

/** The nonlinearity a gain is computed for, as in `torch.nn.init.calculate_gain`. */
export type Nonlinearity =
  | "linear"
  | "conv1d"
  | "conv2d"
  | "conv3d"
  | "sigmoid"
  | "tanh"
  | "relu"
  | "leaky_relu"
  | "selu";
/** Whether Kaiming init preserves the variance of the forward (`fan_in`) or backward (`fan_out`) pass. */
export type FanMode = "fan_in" | "fan_out";

const fill = (t: Tensor, value: () => Tensor): Tensor => withoutGrad([t], () => t.copy_(value()));

const needFloat = (t: Tensor, fn: string) => {
  if (t.dtype !== "float32" && t.dtype !== "float64")
    throw new NNError(`init.${fn}: needs a floating tensor, got ${describe(t)}`);
};

/** torch.nn.init.calculate_gain. */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case "linear":
    case "conv1d":
    case "conv2d":
    case "conv3d":
    case "sigmoid":
      return 1;
    case "tanh":
      return 5 / 3;
    case "relu":
      return Math.SQRT2;
    case "leaky_relu": {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case "selu":
      return 3 / 4;
    default:
      throw new NNError(`init.calculateGain: unknown nonlinearity '${String(nonlinearity)}'`);
  }
}

/** fan_in = size(1) * receptive field, fan_out = size(0) * receptive field, as torch computes them. */
export function calculateFanInAndFanOut(t: Tensor): { fanIn: number; fanOut: number } {
  if (t.ndim < 2)
    throw new NNError(`init: fan in and fan out need a tensor of at least 2 dims, got ${describe(t)}`);
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: t.shape[1]! * receptive, fanOut: t.shape[0]! * receptive };
}

/** Fills `t` in place from U(a, b). */
export function uniform(t: Tensor, a = 0, b = 1, options: InitOptions = {}): Tensor {
  needFloat(t, "uniform");
  return fill(t, () =>
    rand(t.shape, { dtype: t.dtype, generator: options.generator })
      .mul(b - a)
      .add(a),
  );
}

/** Fills `t` in place from N(mean, std^2). */
export function normal(t: Tensor, mean = 0, std = 1, options: InitOptions = {}): Tensor {
  needFloat(t, "normal");
  return fill(t, () => {
    const scaled = randn(t.shape, { dtype: t.dtype, generator: options.generator }).mul(std);
    // Adding a zero mean would cost resnet18 one more pass over 11M weights (and only turn -0 into 0).
    return mean === 0 ? scaled : scaled.add(mean);
  });
}

/** Fills `t` in place with `value`. */
export function constant(t: Tensor, value: number): Tensor {
  return withoutGrad([t], () => t.fill_(value));
}
/** Fills `t` in place with zeros. */
export const zeros = (t: Tensor): Tensor => constant(t, 0);
/** Fills `t` in place with ones. */
export const ones = (t: Tensor): Tensor => constant(t, 1);

/** Options of the Kaiming initializers: negative slope, fan mode, nonlinearity. */
export interface KaimingOptions extends InitOptions {
  /** The negative slope for leaky_relu (torch's `a`). */
  readonly a?: number;
  readonly mode?: FanMode;
  readonly nonlinearity?: Nonlinearity;
}

function kaimingStd(t: Tensor, o: KaimingOptions): number {
  const fans = calculateFanInAndFanOut(t);
  const fan = (o.mode ?? "fan_in") === "fan_in" ? fans.fanIn : fans.fanOut;
  return calculateGain(o.nonlinearity ?? "leaky_relu", o.a ?? 0) / Math.sqrt(fan);
}

/** U(-bound, bound) with bound = gain * sqrt(3 / fan): He et al. (2015), uniform. */
export function kaimingUniform(t: Tensor, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, options);
  return uniform(t, -bound, bound, options);
}

/** N(0, std^2) with std = gain / sqrt(fan): He et al. (2015), normal. */
export function kaimingNormal(t: Tensor, options: KaimingOptions = {}): Tensor {
  return normal(t, 0, kaimingStd(t, options), options);
}

/** U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)): Glorot & Bengio (2010). */
export function xavierUniform(t: Tensor, options: InitOptions & { gain?: number } = {}): Tensor {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  const a = (options.gain ?? 1) * Math.sqrt(6 / (fanIn + fanOut));
  return uniform(t, -a, a, options);
}

/** Fills `t` in place from Glorot's normal distribution, like `torch.nn.init.xavier_normal_`. */
export function xavierNormal(t: Tensor, options: InitOptions & { gain?: number } = {}): Tensor {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  return normal(t, 0, (options.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut)), options);
}

/**
 * PyTorch's default for Linear and Conv weights, kaiming_uniform_(a=sqrt(5)), which works out to
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)); their bias uses the same bound.
 */
export function defaultLayerInit(weight: Tensor, bias: Tensor | null, options: InitOptions = {}): void {
  kaimingUniform(weight, { a: Math.sqrt(5), generator: options.generator });
  if (bias) {
    const { fanIn } = calculateFanInAndFanOut(weight);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform(bias, -bound, bound, options);
  }
}

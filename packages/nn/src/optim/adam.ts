import { type Tensor, zerosLike } from "@aotjs/tensor";
import { NNError } from "../errors.js";
import { Optimizer, type ParamGroup, type Params, type Scalar, scaled } from "./optimizer.js";

/** Options of `Adam`/`AdamW`, as in PyTorch: lr, betas, eps, weight decay, amsgrad, maximize. */
export interface AdamOptions {
  readonly lr?: number;
  readonly betas?: readonly [number, number];
  readonly eps?: number;
  readonly weightDecay?: number;
  readonly amsgrad?: boolean;
  readonly maximize?: boolean;
}
type Resolved = Required<AdamOptions>;

type AdamState = {
  step?: number;
  expAvg?: Tensor;
  expAvgSq?: Tensor;
  maxExpAvgSq?: Tensor;
};

type AdamStructure = {
  readonly maximize: boolean;
  readonly weightDecay: boolean;
  readonly decoupled: boolean;
  readonly amsgrad: boolean;
};

/** Everything step-dependent (the bias corrections) is folded in here, in float64, as eager code would. */
type AdamScalars<S extends Scalar> = {
  readonly weightDecay: S;
  /** 1 - lr * weightDecay (AdamW's decoupled decay) */
  readonly decay: S;
  readonly oneMinusBeta1: S;
  readonly beta2: S;
  readonly oneMinusBeta2: S;
  /** sqrt(1 - beta2^t) */
  readonly sqrtBias2: S;
  readonly eps: S;
  /** -lr / (1 - beta1^t) */
  readonly stepSize: S;
};

function check(name: string, o: Resolved): void {
  const [b1, b2] = o.betas;
  if (!(o.lr >= 0)) throw new NNError(`${name}: lr must be >= 0, got ${o.lr}`);
  if (!(o.eps >= 0)) throw new NNError(`${name}: eps must be >= 0, got ${o.eps}`);
  if (!(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1))
    throw new NNError(`${name}: betas must be in [0, 1), got [${o.betas}]`);
  if (!(o.weightDecay >= 0)) throw new NNError(`${name}: weightDecay must be >= 0, got ${o.weightDecay}`);
}

/**
 * torch.optim.Adam (weight decay as an L2 term added to the gradient). Per step t:
 *   m = m + (1 - b1) (g - m);  v = b2 v + (1 - b2) g^2
 *   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 */
export class Adam extends Optimizer<Resolved> {
  /** AdamW applies weight decay to the parameter directly instead (decoupled). */
  protected readonly decoupled: boolean = false;

  constructor(params: Params<Resolved>, options: AdamOptions = {}, defaultWeightDecay = 0) {
    const defaults: Resolved = {
      lr: 1e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: defaultWeightDecay,
      amsgrad: false,
      maximize: false,
      ...options,
    };
    check(new.target.name, defaults);
    super(params, defaults);
  }

  override readonly elementwise = true;

  structure(o: ParamGroup<Resolved>): AdamStructure {
    return {
      maximize: o.maximize,
      weightDecay: o.weightDecay !== 0,
      decoupled: this.decoupled,
      amsgrad: o.amsgrad,
    };
  }

  advance(state: AdamState, o: ParamGroup<Resolved>): AdamScalars<number> {
    const [beta1, beta2] = o.betas;
    const step = (state.step ?? 0) + 1;
    state.step = step;
    return {
      weightDecay: o.weightDecay,
      decay: 1 - o.lr * o.weightDecay,
      oneMinusBeta1: 1 - beta1,
      beta2,
      oneMinusBeta2: 1 - beta2,
      sqrtBias2: Math.sqrt(1 - beta2 ** step),
      eps: o.eps,
      stepSize: -(o.lr / (1 - beta1 ** step)),
    };
  }

  /** Zero moments (and zero max for amsgrad: max(0, v) = v, as v >= 0): what the first update creates. */
  override initialState(p: Tensor, state: AdamState, o: ParamGroup<Resolved>): void {
    state.expAvg ??= zerosLike(p);
    state.expAvgSq ??= zerosLike(p);
    if (o.amsgrad) state.maxExpAvgSq ??= zerosLike(p);
  }

  update(p: Tensor, grad: Tensor, state: AdamState, s: AdamStructure, c: AdamScalars<Scalar>): void {
    let g = s.maximize ? grad.neg() : grad;
    state.expAvg ??= zerosLike(p);
    state.expAvgSq ??= zerosLike(p);
    const m = state.expAvg;
    const v = state.expAvgSq;
    if (s.weightDecay) {
      if (s.decoupled) p.mul_(c.decay);
      else g = g.add(p.mul(c.weightDecay));
    }
    m.add_(scaled(g.sub(m), c.oneMinusBeta1)); // torch's lerp_(g, 1 - beta1)
    v.mul_(c.beta2).add_(scaled(g.mul(g), c.oneMinusBeta2));
    let second = v;
    if (s.amsgrad) {
      const max = state.maxExpAvgSq ? state.maxExpAvgSq.maximum(v) : v.clone();
      state.maxExpAvgSq = max;
      second = max;
    }
    const denom = second.sqrt().div(c.sqrtBias2).add(c.eps);
    p.add_(scaled(m.div(denom), c.stepSize));
  }
}

/**
 * torch.optim.AdamW: Adam with decoupled weight decay, p *= 1 - lr * weightDecay before the Adam
 * step (Loshchilov & Hutter); weightDecay defaults to 0.01.
 */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;
  constructor(params: Params<Resolved>, options: AdamOptions = {}) {
    super(params, options, 0.01);
  }
}

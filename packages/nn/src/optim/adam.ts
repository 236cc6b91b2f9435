import { type Tensor, zerosLike } from "@aotjs/tensor";
import { NNError } from "../errors.js";
import { Optimizer, type ParamGroup, type Params } from "./optimizer.js";

export interface AdamOptions {
  readonly lr?: number;
  readonly betas?: readonly [number, number];
  readonly eps?: number;
  readonly weightDecay?: number;
  readonly amsgrad?: boolean;
  readonly maximize?: boolean;
}
type Resolved = Required<AdamOptions>;

interface AdamState {
  step?: number;
  expAvg?: Tensor;
  expAvgSq?: Tensor;
  maxExpAvgSq?: Tensor;
}

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

  protected update(p: Tensor, grad: Tensor, raw: Record<string, unknown>, o: ParamGroup<Resolved>): void {
    const state = raw as AdamState;
    const [beta1, beta2] = o.betas;
    let g = o.maximize ? grad.neg() : grad;
    const step = (state.step ?? 0) + 1;
    state.step = step;
    state.expAvg ??= zerosLike(p);
    state.expAvgSq ??= zerosLike(p);
    const m = state.expAvg;
    const v = state.expAvgSq;
    if (o.weightDecay !== 0) {
      if (this.decoupled) p.mul_(1 - o.lr * o.weightDecay);
      else g = g.add(p.mul(o.weightDecay));
    }
    m.add_(g.sub(m), 1 - beta1); // torch's lerp_(g, 1 - beta1)
    v.mul_(beta2).add_(g.mul(g), 1 - beta2);
    const bias1 = 1 - beta1 ** step;
    const bias2 = 1 - beta2 ** step;
    let second = v;
    if (o.amsgrad) {
      const max = state.maxExpAvgSq ? state.maxExpAvgSq.maximum(v) : v.clone();
      state.maxExpAvgSq = max;
      second = max;
    }
    const denom = second.sqrt().div(Math.sqrt(bias2)).add(o.eps);
    p.add_(m.div(denom), -(o.lr / bias1));
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

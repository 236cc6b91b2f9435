import type { Tensor } from "@aotjs/tensor";
import { NNError } from "../errors.js";
import { Optimizer, type ParamGroup, type Params } from "./optimizer.js";

export interface SGDOptions {
  readonly lr: number;
  readonly momentum?: number;
  readonly dampening?: number;
  readonly weightDecay?: number;
  readonly nesterov?: boolean;
  readonly maximize?: boolean;
}
type Resolved = Required<SGDOptions>;

/**
 * torch.optim.SGD:
 *   g = grad + weightDecay * p
 *   buf = g (first step) or momentum * buf + (1 - dampening) * g
 *   g = nesterov ? g + momentum * buf : buf
 *   p -= lr * g
 */
export class SGD extends Optimizer<Resolved> {
  constructor(params: Params<Resolved>, options: SGDOptions) {
    const defaults: Resolved = {
      momentum: 0,
      dampening: 0,
      weightDecay: 0,
      nesterov: false,
      maximize: false,
      ...options,
    };
    if (!(defaults.lr >= 0)) throw new NNError(`SGD: lr must be >= 0, got ${options.lr}`);
    if (!(defaults.momentum >= 0)) throw new NNError(`SGD: momentum must be >= 0, got ${defaults.momentum}`);
    if (!(defaults.weightDecay >= 0))
      throw new NNError(`SGD: weightDecay must be >= 0, got ${defaults.weightDecay}`);
    if (defaults.nesterov && (defaults.momentum <= 0 || defaults.dampening !== 0)) {
      throw new NNError("SGD: nesterov needs momentum > 0 and dampening 0");
    }
    super(params, defaults);
  }

  protected update(p: Tensor, grad: Tensor, state: Record<string, unknown>, o: ParamGroup<Resolved>): void {
    let g = o.maximize ? grad.neg() : grad;
    if (o.weightDecay !== 0) g = g.add(p.mul(o.weightDecay));
    if (o.momentum !== 0) {
      let buf = state.momentumBuffer as Tensor | undefined;
      if (!buf) state.momentumBuffer = buf = g.clone();
      else buf.mul_(o.momentum).add_(g, 1 - o.dampening);
      g = o.nesterov ? g.add(buf.mul(o.momentum)) : buf;
    }
    p.add_(g, -o.lr);
  }
}

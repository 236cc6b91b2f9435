import { type Tensor, zerosLike } from "@aotjs/tensor";
import { NNError } from "../errors.js";
import { Optimizer, type ParamGroup, type Params, type Scalar, scaled } from "./optimizer.js";

/** Options of `SGD`, as in PyTorch: lr, momentum, dampening, weight decay, Nesterov, maximize. */
export interface SGDOptions {
  readonly lr: number;
  readonly momentum?: number;
  readonly dampening?: number;
  readonly weightDecay?: number;
  readonly nesterov?: boolean;
  readonly maximize?: boolean;
}
type Resolved = Required<SGDOptions>;

type SGDStructure = {
  readonly maximize: boolean;
  readonly weightDecay: boolean;
  readonly momentum: boolean;
  readonly dampening: boolean;
  readonly nesterov: boolean;
};
type SGDScalars<S extends Scalar> = {
  readonly negLr: S;
  readonly weightDecay: S;
  readonly momentum: S;
  /** 1 - dampening */
  readonly dampened: S;
};
type SGDState = { momentumBuffer?: Tensor };

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

  override readonly elementwise = true;

  structure(o: ParamGroup<Resolved>): SGDStructure {
    return {
      maximize: o.maximize,
      weightDecay: o.weightDecay !== 0,
      momentum: o.momentum !== 0,
      dampening: o.dampening !== 0,
      nesterov: o.nesterov,
    };
  }

  advance(_state: SGDState, o: ParamGroup<Resolved>): SGDScalars<number> {
    return { negLr: -o.lr, weightDecay: o.weightDecay, momentum: o.momentum, dampened: 1 - o.dampening };
  }

  /**
   * A zero buffer where it changes nothing: without dampening, momentum * 0 + g is the first
   * step's g. With dampening the first step skips it (buf = g, not (1 - dampening) * g), so that
   * buffer stays lazy and the compiled step's second graph is the steady one.
   */
  override initialState(p: Tensor, state: SGDState, o: ParamGroup<Resolved>): void {
    if (o.momentum !== 0 && Number.isFinite(o.momentum) && o.dampening === 0)
      state.momentumBuffer ??= zerosLike(p);
  }

  update(p: Tensor, grad: Tensor, state: SGDState, s: SGDStructure, c: SGDScalars<Scalar>): void {
    let g = s.maximize ? grad.neg() : grad;
    if (s.weightDecay) g = g.add(p.mul(c.weightDecay));
    if (s.momentum) {
      let buf = state.momentumBuffer;
      if (!buf) state.momentumBuffer = buf = g.clone();
      else buf.mul_(c.momentum).add_(s.dampening ? scaled(g, c.dampened) : g);
      g = s.nesterov ? g.add(buf.mul(c.momentum)) : buf;
    }
    p.add_(scaled(g, c.negLr));
  }
}

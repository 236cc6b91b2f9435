import type { Tensor } from "@aotjs/tensor";
import { NNError } from "../errors.js";
import * as F from "../functional/index.js";
import { Module } from "../module.js";

export class ReLU extends Module {
  override forward(x: Tensor): Tensor {
    return x.relu();
  }
}

export class GELU extends Module {
  constructor(readonly approximate: F.GeluApproximate = "none") {
    super();
    if (approximate !== "none" && approximate !== "tanh")
      throw new NNError(`GELU: approximate must be 'none' or 'tanh', got '${approximate}'`);
  }
  override forward(x: Tensor): Tensor {
    return F.gelu(x, this.approximate);
  }
  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

export class Tanh extends Module {
  override forward(x: Tensor): Tensor {
    return x.tanh();
  }
}

export class Sigmoid extends Module {
  override forward(x: Tensor): Tensor {
    return x.sigmoid();
  }
}

export class SiLU extends Module {
  override forward(x: Tensor): Tensor {
    return F.silu(x);
  }
}

export class Softmax extends Module {
  constructor(readonly dim: number) {
    super();
  }
  override forward(x: Tensor): Tensor {
    return x.softmax(this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/** Zeroes elements with probability p in training (scaling the rest by 1/(1-p)); identity in eval. */
export class Dropout extends Module {
  constructor(
    readonly p = 0.5,
    readonly options: F.DropoutOptions = {},
  ) {
    super();
    if (!(p >= 0 && p <= 1)) throw new NNError(`Dropout: p must be in [0, 1], got ${p}`);
  }
  override forward(x: Tensor): Tensor {
    return F.dropout(x, this.p, this.training, this.options);
  }
  override extraRepr(): string {
    return `p=${this.p}`;
  }
}

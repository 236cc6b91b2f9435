import { arange, type Tensor } from "@aotjs/tensor";
import { describe } from "../errors.js";
import { Module } from "../module.js";
import { Dropout } from "./activation.js";
import { type LayerOptions, layerError, positiveInt } from "./common.js";
import { Linear } from "./linear.js";

export interface CausalSelfAttentionOptions extends LayerOptions {
  /** Dropout on the attention weights and on the output (default 0). */
  readonly dropout?: number;
  /** Biases in the two projections (default true). */
  readonly bias?: boolean;
}

/**
 * Multi-head causal self-attention as in nanoGPT: one Linear makes q, k and v, each head attends
 * to positions at or before its own (a -inf mask via `where`, then softmax), and a second Linear
 * mixes the heads. Field names are nanoGPT's (`c_attn`, `c_proj`) so its checkpoints load.
 */
export class CausalSelfAttention extends Module {
  readonly nEmbd: number;
  readonly nHead: number;
  c_attn: Linear;
  c_proj: Linear;
  attn_dropout: Dropout;
  resid_dropout: Dropout;

  constructor(nEmbd: number, nHead: number, options: CausalSelfAttentionOptions = {}) {
    super();
    this.nEmbd = positiveInt("nEmbd", "CausalSelfAttention", nEmbd);
    this.nHead = positiveInt("nHead", "CausalSelfAttention", nHead);
    if (nEmbd % nHead !== 0) throw layerError(this, `nEmbd ${nEmbd} must be a multiple of nHead ${nHead}`);
    const linear = { bias: options.bias ?? true, dtype: options.dtype, generator: options.generator };
    this.c_attn = new Linear(nEmbd, 3 * nEmbd, linear);
    this.c_proj = new Linear(nEmbd, nEmbd, linear);
    this.attn_dropout = new Dropout(options.dropout ?? 0, { generator: options.generator });
    this.resid_dropout = new Dropout(options.dropout ?? 0, { generator: options.generator });
  }

  override forward(x: Tensor): Tensor {
    if (x.ndim !== 3 || x.shape[2] !== this.nEmbd) {
      throw layerError(this, `attention: input ${describe(x)} must be [B, T, ${this.nEmbd}]`);
    }
    const [b, t, c] = x.shape as [number, number, number];
    const hs = c / this.nHead;
    const heads = (y: Tensor) => y.reshape([b, t, this.nHead, hs]).transpose(1, 2); // [B, nh, T, hs]
    const [q, k, v] = this.c_attn.forward(x).split(c, 2).map(heads) as [Tensor, Tensor, Tensor];
    const scores = q.matmul(k.transpose(-2, -1)).mul(1 / Math.sqrt(hs));
    // Row i may look at columns j <= i. Built from arange, so it traces into the graph, not a constant.
    const causal = arange(t).unsqueeze(1).ge(arange(t).unsqueeze(0));
    const att = this.attn_dropout.forward(scores.where(causal, Number.NEGATIVE_INFINITY).softmax(-1));
    const y = att.matmul(v).transpose(1, 2).reshape([b, t, c]);
    return this.resid_dropout.forward(this.c_proj.forward(y));
  }
  override extraRepr(): string {
    return `n_embd=${this.nEmbd}, n_head=${this.nHead}`;
  }
}

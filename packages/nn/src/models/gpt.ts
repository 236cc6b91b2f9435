import { arange, sizeAtMost, type Tensor } from "@aotjs/tensor";
import { ModuleList } from "../containers.js";
import { describe, NNError } from "../errors.js";
import * as init from "../init.js";
import { Dropout, GELU } from "../layers/activation.js";
import { CausalSelfAttention } from "../layers/attention.js";
import type { LayerOptions } from "../layers/common.js";
import { Embedding, Linear } from "../layers/linear.js";
import { LayerNorm } from "../layers/norm.js";
import { Module } from "../module.js";

export interface GptConfig extends LayerOptions {
  readonly vocab: number;
  readonly dModel: number;
  readonly nHead: number;
  readonly nLayer: number;
  /** The longest sequence (the size of the position embedding). */
  readonly seqLen: number;
  readonly dropout?: number;
  /** Share the token embedding with the lm head, as nanoGPT does (default false). */
  readonly tieWeights?: boolean;
}

/** The block's feed-forward part: Linear to 4x, GELU, Linear back. */
export class MLP extends Module {
  c_fc: Linear;
  gelu: GELU;
  c_proj: Linear;
  dropout: Dropout;
  constructor(d: number, o: LayerOptions & { dropout?: number }) {
    super();
    this.c_fc = new Linear(d, 4 * d, o);
    this.gelu = new GELU();
    this.c_proj = new Linear(4 * d, d, o);
    this.dropout = new Dropout(o.dropout ?? 0, { generator: o.generator });
  }
  override forward(x: Tensor): Tensor {
    return this.dropout.forward(this.c_proj.forward(this.gelu.forward(this.c_fc.forward(x))));
  }
}

/** A pre-LayerNorm transformer block: x + attn(ln_1(x)), then x + mlp(ln_2(x)). */
export class Block extends Module {
  ln_1: LayerNorm;
  attn: CausalSelfAttention;
  ln_2: LayerNorm;
  mlp: MLP;
  constructor(c: GptConfig) {
    super();
    const o = { dtype: c.dtype, generator: c.generator, dropout: c.dropout };
    this.ln_1 = new LayerNorm(c.dModel, { dtype: c.dtype });
    this.attn = new CausalSelfAttention(c.dModel, c.nHead, o);
    this.ln_2 = new LayerNorm(c.dModel, { dtype: c.dtype });
    this.mlp = new MLP(c.dModel, o);
  }
  override forward(x: Tensor): Tensor {
    const y = x.add(this.attn.forward(this.ln_1.forward(x)));
    return y.add(this.mlp.forward(this.ln_2.forward(y)));
  }
}

/** nanoGPT's `transformer` ModuleDict. */
export class GptTransformer extends Module {
  wte: Embedding;
  wpe: Embedding;
  drop: Dropout;
  h: ModuleList<Block>;
  ln_f: LayerNorm;
  constructor(c: GptConfig) {
    super();
    const o = { dtype: c.dtype, generator: c.generator };
    this.wte = new Embedding(c.vocab, c.dModel, o);
    this.wpe = new Embedding(c.seqLen, c.dModel, o);
    this.drop = new Dropout(c.dropout ?? 0, { generator: c.generator });
    this.h = new ModuleList(Array.from({ length: c.nLayer }, () => new Block(c)));
    this.ln_f = new LayerNorm(c.dModel, { dtype: c.dtype });
  }
}

/**
 * A small GPT with nanoGPT's structure, names and initialisation (N(0, 0.02) weights, zero
 * biases, residual projections scaled by 1/sqrt(2 nLayer)). forward(idx int64 [B, T]) returns
 * logits [B, T, vocab].
 */
export class GPT extends Module {
  readonly config: GptConfig;
  transformer: GptTransformer;
  lm_head: Linear;

  constructor(config: GptConfig) {
    super();
    for (const k of ["vocab", "dModel", "nHead", "nLayer", "seqLen"] as const) {
      if (!Number.isInteger(config[k]) || config[k] <= 0)
        throw new NNError(`gptMini: ${k} must be a positive integer, got ${config[k]}`);
    }
    this.config = config;
    this.transformer = new GptTransformer(config);
    this.lm_head = new Linear(config.dModel, config.vocab, {
      bias: false,
      dtype: config.dtype,
      generator: config.generator,
    });
    const g = { generator: config.generator };
    for (const [name, m] of this.namedModules()) {
      if (m instanceof Linear) {
        const std = name.endsWith("c_proj") ? 0.02 / Math.sqrt(2 * config.nLayer) : 0.02;
        init.normal(m.weight, 0, std, g);
        if (m.bias) init.zeros(m.bias);
      } else if (m instanceof Embedding) {
        init.normal(m.weight, 0, 0.02, g);
      }
    }
    if (config.tieWeights) this.lm_head.weight = this.transformer.wte.weight;
  }

  override forward(idx: Tensor): Tensor {
    const { seqLen } = this.config;
    // sizeAtMost, not <=: under a symbolic T this becomes aot's guard T <= seqLen.
    if (
      idx.ndim !== 2 ||
      (idx.dtype !== "int64" && idx.dtype !== "int32") ||
      !sizeAtMost(idx.shape[1]!, seqLen)
    ) {
      throw new NNError(`GPT: idx ${describe(idx)} must be int64 [B, T] with T <= seqLen ${seqLen}`);
    }
    const t = this.transformer;
    const pos = arange(idx.shape[1]!);
    let x = t.drop.forward(t.wte.forward(idx).add(t.wpe.forward(pos)));
    for (const block of t.h) x = block.forward(x);
    return this.lm_head.forward(t.ln_f.forward(x));
  }
}

/** A small GPT (nanoGPT's architecture) of `config`. */
export const gptMini = (config: GptConfig): GPT => new GPT(config);

import { arange, type Tensor, where, zeros } from "@aotjs/tensor";
import { describe } from "../errors.js";
import * as F from "../functional/index.js";
import * as init from "../init.js";
import { Module, Parameter } from "../module.js";
import { type LayerOptions, layerError, positiveInt } from "./common.js";

/** y = x W^T + b; weight [out, in], both initialised U(-1/sqrt(in), 1/sqrt(in)) as in PyTorch. */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: Parameter;
  bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, options: LayerOptions & { bias?: boolean } = {}) {
    super();
    this.inFeatures = positiveInt("inFeatures", "Linear", inFeatures);
    this.outFeatures = positiveInt("outFeatures", "Linear", outFeatures);
    const dtype = options.dtype ?? "float32";
    this.weight = new Parameter(zeros([outFeatures, inFeatures], { dtype }));
    this.bias = (options.bias ?? true) ? new Parameter(zeros([outFeatures], { dtype })) : null;
    init.defaultLayerInit(this.weight, this.bias, options);
  }

  override forward(x: Tensor): Tensor {
    if (x.ndim < 1 || x.shape[x.ndim - 1] !== this.inFeatures) {
      throw layerError(this, `linear: input ${describe(x)} must end in ${this.inFeatures} features`);
    }
    return F.linear(x, this.weight, this.bias);
  }
  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

/**
 * A lookup table [num, dim] of vectors, initialised N(0, 1); `paddingIdx`'s row starts at zero
 * and, as in torch, gets no gradient (so training leaves it as it is).
 */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;
  weight: Parameter;

  constructor(
    numEmbeddings: number,
    embeddingDim: number,
    options: LayerOptions & { paddingIdx?: number } = {},
  ) {
    super();
    this.numEmbeddings = positiveInt("numEmbeddings", "Embedding", numEmbeddings);
    this.embeddingDim = positiveInt("embeddingDim", "Embedding", embeddingDim);
    const p = options.paddingIdx;
    if (p !== undefined && !(Number.isInteger(p) && p >= -numEmbeddings && p < numEmbeddings)) {
      throw layerError(this, `paddingIdx ${p} is out of range for ${numEmbeddings} embeddings`);
    }
    this.paddingIdx = p === undefined ? null : p < 0 ? p + numEmbeddings : p;
    this.weight = new Parameter(zeros([numEmbeddings, embeddingDim], { dtype: options.dtype ?? "float32" }));
    init.normal(this.weight, 0, 1, options);
    if (this.paddingIdx !== null) {
      const row = arange(numEmbeddings).eq(this.paddingIdx).unsqueeze(1);
      const w = this.weight;
      this.weight = new Parameter(where(row, 0, w.detach()));
    }
  }

  override forward(indices: Tensor): Tensor {
    if (indices.dtype !== "int64" && indices.dtype !== "int32") {
      throw layerError(this, `embedding: indices must be int64 (or int32), got ${describe(indices)}`);
    }
    return F.embedding(indices, this.weight, this.paddingIdx);
  }
  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx === null ? "" : `, padding_idx=${this.paddingIdx}`}`;
  }
}

export class Identity extends Module {
  override forward<T>(x: T): T {
    return x;
  }
}

/** Flattens dims startDim..endDim (default 1..-1: everything but the batch). */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }
  override forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

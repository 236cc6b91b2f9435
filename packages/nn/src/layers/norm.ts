import { full, ones, type Tensor, tensor, zeros } from "@aotjs/tensor";
import { describe } from "../errors.js";
import * as F from "../functional/index.js";
import { Module, Parameter } from "../module.js";
import { type LayerOptions, layerError, positiveInt } from "./common.js";

/** Options of `BatchNorm1d`/`BatchNorm2d`, as in PyTorch: eps, momentum, affine, running statistics. */
export interface BatchNormOptions extends Pick<LayerOptions, "dtype"> {
  readonly eps?: number;
  /** Weight of the new batch in the running averages (default 0.1); null: a cumulative average. */
  readonly momentum?: number | null;
  readonly affine?: boolean;
  readonly trackRunningStats?: boolean;
}

/**
 * Batch normalisation over dim 1, as torch's _BatchNorm. Buffer names are PyTorch's
 * (`running_mean`, `running_var`, `num_batches_tracked`) so checkpoints load by name.
 */
abstract class BatchNorm extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  weight: Parameter | null;
  bias: Parameter | null;
  declare running_mean: Tensor | null;
  declare running_var: Tensor | null;
  declare num_batches_tracked: Tensor | null;

  protected abstract readonly ranks: readonly number[];

  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super();
    this.numFeatures = positiveInt("numFeatures", this.constructor.name, numFeatures);
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    const dtype = options.dtype ?? "float32";
    const affine = options.affine ?? true;
    this.weight = affine ? new Parameter(ones([numFeatures], { dtype })) : null;
    this.bias = affine ? new Parameter(zeros([numFeatures], { dtype })) : null;
    const track = options.trackRunningStats ?? true;
    this.registerBuffer("running_mean", track ? zeros([numFeatures], { dtype }) : null);
    this.registerBuffer("running_var", track ? ones([numFeatures], { dtype }) : null);
    this.registerBuffer("num_batches_tracked", track ? tensor(0, { dtype: "int64" }) : null);
  }

  override forward(x: Tensor): Tensor {
    if (!this.ranks.includes(x.ndim) || x.shape[1] !== this.numFeatures) {
      const rest = (r: number) => (r === 2 ? "" : r === 3 ? ", L" : ", H, W");
      const want = this.ranks.map((r) => `[N, ${this.numFeatures}${rest(r)}]`).join(" or ");
      throw layerError(this, `batchNorm: input ${describe(x)} must be ${want}`);
    }
    const track = this.running_mean !== null && this.running_var !== null;
    let momentum: number | Tensor = this.momentum ?? 0;
    if (this.training && track && this.num_batches_tracked) {
      this.num_batches_tracked.add_(1);
      // Cumulative moving average: the n-th batch gets weight 1/n.
      if (this.momentum === null) momentum = this.num_batches_tracked.to(x.dtype).reciprocal();
    }
    const useBatchStats = this.training || !track;
    const updateRunning = !this.training || track;
    return F.batchNorm(
      x,
      updateRunning ? this.running_mean : null,
      updateRunning ? this.running_var : null,
      this.weight,
      this.bias,
      useBatchStats,
      momentum,
      this.eps,
    );
  }
  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.weight !== null}, track_running_stats=${this.running_mean !== null}`;
  }
}

/** BatchNorm over [N, C, H, W]. */
export class BatchNorm2d extends BatchNorm {
  protected readonly ranks = [4];
}

/** BatchNorm over [N, C] or [N, C, L]. */
export class BatchNorm1d extends BatchNorm {
  protected readonly ranks = [2, 3];
}

/** Options of `LayerNorm`: eps, and whether it learns a weight and a bias. */
export interface LayerNormOptions extends Pick<LayerOptions, "dtype"> {
  readonly eps?: number;
  readonly elementwiseAffine?: boolean;
  /** Learn a bias too (default true; nanoGPT turns it off). */
  readonly bias?: boolean;
}

/** Normalises over the trailing `normalizedShape` dims; weight starts at 1, bias at 0. */
export class LayerNorm extends Module {
  readonly normalizedShape: readonly number[];
  readonly eps: number;
  weight: Parameter | null;
  bias: Parameter | null;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
    for (const d of this.normalizedShape) positiveInt("normalizedShape", "LayerNorm", d);
    this.eps = options.eps ?? 1e-5;
    const dtype = options.dtype ?? "float32";
    const affine = options.elementwiseAffine ?? true;
    this.weight = affine ? new Parameter(full(this.normalizedShape, 1, { dtype })) : null;
    this.bias =
      affine && (options.bias ?? true) ? new Parameter(full(this.normalizedShape, 0, { dtype })) : null;
  }

  override forward(x: Tensor): Tensor {
    const k = this.normalizedShape.length;
    if (x.ndim < k || x.shape.slice(x.ndim - k).some((d, i) => d !== this.normalizedShape[i])) {
      throw layerError(
        this,
        `layerNorm: input ${describe(x)} must end in [${this.normalizedShape.join(", ")}]`,
      );
    }
    return F.layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }
  override extraRepr(): string {
    return `[${this.normalizedShape.join(", ")}], eps=${this.eps}, elementwise_affine=${this.weight !== null}`;
  }
}

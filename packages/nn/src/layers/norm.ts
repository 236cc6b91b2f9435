import { full, ones, type Tensor, tensor, zeros } from "@aotjs/tensor";
import { describe } from "../errors.js";
import * as F from "../functional/index.js";
import { Module, Parameter } from "../module.js";
import { type LayerOptions, layerError, positiveInt } from "./common.js";

/** Options of `BatchNorm1d`/`BatchNorm2d`, as in PyTorch: eps, momentum, affine, running statistics. */
export interface BatchNormOptions<Track extends boolean = boolean> extends Pick<LayerOptions, "dtype"> {
  readonly eps?: number;
  /** Weight of the new batch in the running averages (default 0.1); null: a cumulative average. */
  readonly momentum?: number | null;
  readonly affine?: boolean;
  /** Keep running mean and variance for eval (default true); without them eval uses batch statistics. */
  readonly trackRunningStats?: Track;
}

/**
 * The type of a BatchNorm's running statistics: a `Tensor` when it tracks them (the default, so
 * `bn.running_mean` needs no `!`), `null` with `trackRunningStats: false`, and either when that
 * option is a `boolean` only known at run time.
 */
export type RunningStat<Track extends boolean> = Track extends true ? Tensor : null;

/**
 * Batch normalisation over dim 1, as torch's _BatchNorm. Buffer names are PyTorch's
 * (`running_mean`, `running_var`, `num_batches_tracked`) so checkpoints load by name.
 */
abstract class BatchNorm<Track extends boolean> extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  weight: Parameter | null;
  bias: Parameter | null;
  // PyTorch's Optional[Tensor], narrowed by the constructor's `trackRunningStats` (see RunningStat).
  declare running_mean: RunningStat<Track>;
  declare running_var: RunningStat<Track>;
  declare num_batches_tracked: RunningStat<Track>;

  protected abstract readonly ranks: readonly number[];

  constructor(numFeatures: number, options: BatchNormOptions<Track> = {}) {
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
    // Widened: TypeScript does not narrow a conditional type by a null check.
    const runningMean: Tensor | null = this.running_mean;
    const runningVar: Tensor | null = this.running_var;
    const batches: Tensor | null = this.num_batches_tracked;
    const track = runningMean !== null && runningVar !== null;
    let momentum: number | Tensor = this.momentum ?? 0;
    if (this.training && track && batches) {
      batches.add_(1);
      // Cumulative moving average: the n-th batch gets weight 1/n.
      if (this.momentum === null) momentum = batches.to(x.dtype).reciprocal();
    }
    const useBatchStats = this.training || !track;
    const updateRunning = !this.training || track;
    return F.batchNorm(
      x,
      updateRunning ? runningMean : null,
      updateRunning ? runningVar : null,
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

/**
 * BatchNorm over [N, C, H, W]. `running_mean`/`running_var`/`num_batches_tracked` are typed
 * `Tensor` unless constructed with `trackRunningStats: false` (then `null`).
 */
export class BatchNorm2d<Track extends boolean = true> extends BatchNorm<Track> {
  protected readonly ranks = [4];
}

/** BatchNorm over [N, C] or [N, C, L]; running statistics typed as in `BatchNorm2d`. */
export class BatchNorm1d<Track extends boolean = true> extends BatchNorm<Track> {
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

import { type Tensor, zeros } from "@aotjs/tensor";
import { describe } from "../errors.js";
import * as F from "../functional/index.js";
import * as init from "../init.js";
import { Module, Parameter } from "../module.js";
import { type LayerOptions, layerError, positiveInt } from "./common.js";

type Pair = F.Pair;
const pair = (v: Pair): [number, number] => (typeof v === "number" ? [v, v] : [v[0], v[1]]);
const fmtPair = (v: Pair | string) => (typeof v === "string" ? `'${v}'` : `(${pair(v).join(", ")})`);

export interface Conv2dOptions extends LayerOptions {
  readonly stride?: Pair;
  readonly padding?: Pair | "valid" | "same";
  readonly dilation?: Pair;
  readonly groups?: number;
  readonly bias?: boolean;
}

/**
 * 2-D convolution, weight [out, in / groups, kH, kW]. Weight and bias start as PyTorch's do:
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in / groups * kH * kW.
 */
export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number] | "valid" | "same";
  readonly dilation: [number, number];
  readonly groups: number;
  weight: Parameter;
  bias: Parameter | null;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, options: Conv2dOptions = {}) {
    super();
    this.inChannels = positiveInt("inChannels", "Conv2d", inChannels);
    this.outChannels = positiveInt("outChannels", "Conv2d", outChannels);
    this.kernelSize = pair(kernelSize);
    this.stride = pair(options.stride ?? 1);
    const p = options.padding ?? 0;
    this.padding = typeof p === "string" ? p : pair(p);
    this.dilation = pair(options.dilation ?? 1);
    this.groups = positiveInt("groups", "Conv2d", options.groups ?? 1);
    if (inChannels % this.groups !== 0 || outChannels % this.groups !== 0) {
      throw layerError(
        this,
        `groups ${this.groups} must divide both in_channels ${inChannels} and out_channels ${outChannels}`,
      );
    }
    const dtype = options.dtype ?? "float32";
    this.weight = new Parameter(
      zeros([outChannels, inChannels / this.groups, ...this.kernelSize], { dtype }),
    );
    this.bias = (options.bias ?? true) ? new Parameter(zeros([outChannels], { dtype })) : null;
    init.defaultLayerInit(this.weight, this.bias, options);
  }

  override forward(x: Tensor): Tensor {
    const c = x.ndim === 4 ? x.shape[1] : x.ndim === 3 ? x.shape[0] : undefined;
    if (c !== this.inChannels) {
      throw layerError(
        this,
        `conv2d: input ${describe(x)} must be [N, ${this.inChannels}, H, W] or [${this.inChannels}, H, W]`,
      );
    }
    return F.conv2d(x, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }
  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${fmtPair(this.kernelSize)}, stride=${fmtPair(this.stride)}`;
    if (typeof this.padding === "string" || this.padding.some((v) => v !== 0))
      s += `, padding=${fmtPair(this.padding)}`;
    if (this.dilation.some((v) => v !== 1)) s += `, dilation=${fmtPair(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    return this.bias ? s : `${s}, bias=false`;
  }
}

/** Options of `MaxPool2d`: stride (default the kernel size), padding, dilation, ceil mode. */
export interface MaxPool2dOptions {
  readonly stride?: Pair;
  readonly padding?: Pair;
  readonly dilation?: Pair;
  readonly ceilMode?: boolean;
}

export class MaxPool2d extends Module {
  constructor(
    readonly kernelSize: Pair,
    readonly options: MaxPool2dOptions = {},
  ) {
    super();
  }
  override forward(x: Tensor): Tensor {
    return F.maxPool2d(x, this.kernelSize, this.options);
  }
  override extraRepr(): string {
    const o = this.options;
    return `kernel_size=${this.kernelSize}, stride=${o.stride ?? this.kernelSize}, padding=${o.padding ?? 0}, dilation=${o.dilation ?? 1}, ceil_mode=${o.ceilMode ?? false}`;
  }
}

/** Options of `AvgPool2d`: stride (default the kernel size), padding, ceil mode, whether padding counts. */
export interface AvgPool2dOptions {
  readonly stride?: Pair;
  readonly padding?: Pair;
  readonly ceilMode?: boolean;
  readonly countIncludePad?: boolean;
}

export class AvgPool2d extends Module {
  constructor(
    readonly kernelSize: Pair,
    readonly options: AvgPool2dOptions = {},
  ) {
    super();
  }
  override forward(x: Tensor): Tensor {
    return F.avgPool2d(x, this.kernelSize, this.options);
  }
  override extraRepr(): string {
    const o = this.options;
    return `kernel_size=${this.kernelSize}, stride=${o.stride ?? this.kernelSize}, padding=${o.padding ?? 0}`;
  }
}

/** Average pooling to a fixed output size, whatever the input size (see `F.adaptiveAvgPool2d`). */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: F.AdaptiveSize) {
    super();
  }
  override forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool2d(x, this.outputSize);
  }
  override extraRepr(): string {
    return `output_size=${JSON.stringify(this.outputSize)}`;
  }
}

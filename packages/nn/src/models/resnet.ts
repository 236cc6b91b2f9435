import type { Tensor } from "@aotjs/tensor";
import { Sequential } from "../containers.js";
import { describe, NNError } from "../errors.js";
import * as init from "../init.js";
import { ReLU } from "../layers/activation.js";
import type { LayerOptions } from "../layers/common.js";
import { AdaptiveAvgPool2d, Conv2d, MaxPool2d } from "../layers/conv.js";
import { Linear } from "../layers/linear.js";
import { BatchNorm2d } from "../layers/norm.js";
import { Module } from "../module.js";

const conv3x3 = (inPlanes: number, outPlanes: number, stride: number, o: LayerOptions) =>
  new Conv2d(inPlanes, outPlanes, 3, { stride, padding: 1, bias: false, ...o });
const conv1x1 = (inPlanes: number, outPlanes: number, stride: number, o: LayerOptions) =>
  new Conv2d(inPlanes, outPlanes, 1, { stride, bias: false, ...o });

/** torchvision's BasicBlock: two 3x3 convs with a shortcut, downsampled when the shape changes. */
export class BasicBlock extends Module {
  static readonly expansion = 1;
  conv1: Conv2d;
  bn1: BatchNorm2d;
  relu: ReLU;
  conv2: Conv2d;
  bn2: BatchNorm2d;
  downsample: Sequential | null;
  readonly stride: number;

  constructor(
    inPlanes: number,
    planes: number,
    stride: number,
    downsample: Sequential | null,
    o: LayerOptions,
  ) {
    super();
    this.conv1 = conv3x3(inPlanes, planes, stride, o);
    this.bn1 = new BatchNorm2d(planes, { dtype: o.dtype });
    this.relu = new ReLU();
    this.conv2 = conv3x3(planes, planes, 1, o);
    this.bn2 = new BatchNorm2d(planes, { dtype: o.dtype });
    this.downsample = downsample;
    this.stride = stride;
  }

  override forward(x: Tensor): Tensor {
    const out = this.bn2.forward(
      this.conv2.forward(this.relu.forward(this.bn1.forward(this.conv1.forward(x)))),
    );
    const identity = this.downsample ? this.downsample.forward(x) : x;
    return this.relu.forward(out.add(identity));
  }
}

export interface ResNetOptions extends LayerOptions {
  readonly numClasses?: number;
  /** Start each block's last BatchNorm at weight 0, so blocks begin as identities (default false). */
  readonly zeroInitResidual?: boolean;
}

/**
 * torchvision's ResNet with BasicBlocks: the same modules, names, shapes and initialisation
 * (kaiming_normal_ fan_out/relu for convs, BatchNorm 1 and 0, PyTorch's default for fc), so
 * torchvision state dicts load into it.
 */
export class ResNet extends Module {
  conv1: Conv2d;
  bn1: BatchNorm2d;
  relu: ReLU;
  maxpool: MaxPool2d;
  layer1: Sequential;
  layer2: Sequential;
  layer3: Sequential;
  layer4: Sequential;
  avgpool: AdaptiveAvgPool2d;
  fc: Linear;
  #inPlanes = 64;

  constructor(layers: readonly [number, number, number, number], options: ResNetOptions = {}) {
    super();
    const o: LayerOptions = { dtype: options.dtype, generator: options.generator };
    this.conv1 = new Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false, ...o });
    this.bn1 = new BatchNorm2d(64, { dtype: o.dtype });
    this.relu = new ReLU();
    this.maxpool = new MaxPool2d(3, { stride: 2, padding: 1 });
    this.layer1 = this.#makeLayer(64, layers[0], 1, o);
    this.layer2 = this.#makeLayer(128, layers[1], 2, o);
    this.layer3 = this.#makeLayer(256, layers[2], 2, o);
    this.layer4 = this.#makeLayer(512, layers[3], 2, o);
    this.avgpool = new AdaptiveAvgPool2d([1, 1]);
    this.fc = new Linear(512 * BasicBlock.expansion, options.numClasses ?? 1000, o);

    for (const m of this.modules()) {
      if (m instanceof Conv2d)
        init.kaimingNormal(m.weight, { mode: "fan_out", nonlinearity: "relu", generator: o.generator });
      // BatchNorm already starts at weight 1, bias 0.
    }
    if (options.zeroInitResidual)
      for (const m of this.modules()) if (m instanceof BasicBlock && m.bn2.weight) init.zeros(m.bn2.weight);
  }

  #makeLayer(planes: number, blocks: number, stride: number, o: LayerOptions): Sequential {
    let downsample: Sequential | null = null;
    if (stride !== 1 || this.#inPlanes !== planes * BasicBlock.expansion) {
      downsample = new Sequential(
        conv1x1(this.#inPlanes, planes * BasicBlock.expansion, stride, o),
        new BatchNorm2d(planes * BasicBlock.expansion, { dtype: o.dtype }),
      );
    }
    const list = [new BasicBlock(this.#inPlanes, planes, stride, downsample, o)];
    this.#inPlanes = planes * BasicBlock.expansion;
    for (let i = 1; i < blocks; i++) list.push(new BasicBlock(this.#inPlanes, planes, 1, null, o));
    return new Sequential(...list);
  }

  override forward(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== 3)
      throw new NNError(`ResNet: input ${describe(x)} must be [N, 3, H, W]`);
    let y = this.maxpool.forward(this.relu.forward(this.bn1.forward(this.conv1.forward(x))));
    y = this.layer4.forward(this.layer3.forward(this.layer2.forward(this.layer1.forward(y))));
    return this.fc.forward(this.avgpool.forward(y).flatten(1));
  }
}

/** torchvision.models.resnet18: 11,689,512 parameters with 1000 classes. */
export const resnet18 = (options: ResNetOptions = {}): ResNet => new ResNet([2, 2, 2, 2], options);
/** torchvision.models.resnet34. */
export const resnet34 = (options: ResNetOptions = {}): ResNet => new ResNet([3, 4, 6, 3], options);

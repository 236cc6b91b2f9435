import { Sequential } from "../containers.js";
import { NNError } from "../errors.js";
import { GELU, ReLU, Sigmoid, SiLU, Tanh } from "../layers/activation.js";
import type { LayerOptions } from "../layers/common.js";
import { Linear } from "../layers/linear.js";
import type { Module } from "../module.js";

/** The activation between an MLP's layers: a name, or a factory of a module. */
export type Activation = "relu" | "gelu" | "tanh" | "sigmoid" | "silu" | (() => Module);

export interface MlpOptions extends LayerOptions {
  /** Between the Linear layers, not after the last (default 'relu'). */
  readonly activation?: Activation;
  readonly bias?: boolean;
}

const activations = { relu: ReLU, gelu: GELU, tanh: Tanh, sigmoid: Sigmoid, silu: SiLU } as const;

/**
 * A multilayer perceptron: `mlp([784, 128, 10])` is Linear(784, 128), ReLU, Linear(128, 10),
 * named `0`, `1`, `2` as a torch Sequential would be.
 */
export function mlp(sizes: readonly number[], options: MlpOptions = {}): Sequential {
  if (sizes.length < 2) throw new NNError(`mlp: need at least an input and an output size, got [${sizes}]`);
  const act = options.activation ?? "relu";
  const make = typeof act === "function" ? act : activations[act];
  if (!make)
    throw new NNError(
      `mlp: unknown activation '${String(act)}' (relu, gelu, tanh, sigmoid, silu or a factory)`,
    );
  const layers: Module[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(new Linear(sizes[i]!, sizes[i + 1]!, options));
    if (i + 2 < sizes.length)
      layers.push(typeof act === "function" ? act() : new (make as new () => Module)());
  }
  return new Sequential(...layers);
}

import type { Generator } from "@aotjs/tensor";
import { NNError } from "../errors.js";
import type { Module } from "../module.js";

/** Options every layer with parameters takes. */
export interface LayerOptions {
  /** float32 (default) or float64. */
  readonly dtype?: "float32" | "float64";
  /** Where the initial values come from (default: the global generator, seeded by `manualSeed`). */
  readonly generator?: Generator;
}

/** An error that starts with the layer and its settings, e.g. `Linear(in_features=3, ...)`. */
export const layerError = (m: Module, message: string): NNError =>
  new NNError(`${m.constructor.name}(${m.extraRepr()}): ${message}`);

export const positiveInt = (name: string, layer: string, v: number): number => {
  if (!Number.isInteger(v) || v <= 0)
    throw new NNError(`${layer}: ${name} must be a positive integer, got ${v}`);
  return v;
};

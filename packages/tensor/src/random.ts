import { TensorData } from "@aotjs/ir";
import { Tensor, TensorError } from "./tensor.js";

/**
 * The seedable generator. Random ops take their (seed, offset) as explicit 0-d int64 inputs; the
 * generator hands out a fresh offset range per call, so equal seeds replay equal streams and a
 * traced graph can take (seed, offset) as inputs (RNG functionalization).
 */
export class Generator {
  /** PyTorch's default seed, so a program that never seeds is still reproducible. */
  static readonly defaultSeed = 67280421310721;
  #seed = Generator.defaultSeed;
  #offset = 0;

  manualSeed(seed: number): this {
    if (!Number.isSafeInteger(seed) || seed < 0)
      throw new TensorError(`manualSeed: seed must be a non-negative safe integer, got ${seed}`);
    this.#seed = seed;
    this.#offset = 0;
    return this;
  }
  get seed(): number {
    return this.#seed;
  }
  get offset(): number {
    return this.#offset;
  }

  /** Reserve `count` counters: returns (seed, offset) as 0-d int64 tensors for a random op. */
  next(count: number): [seed: Tensor, offset: Tensor] {
    const offset = this.#offset;
    // Round up to a multiple of 4 so streams of different ops never share a counter block.
    this.#offset += Math.ceil(count / 4) * 4;
    const scalar = (v: number) => new Tensor(new TensorData("int64", [], BigInt64Array.of(BigInt(v))));
    return [scalar(this.#seed), scalar(offset)];
  }
}

export const defaultGenerator = new Generator();

/** Seed the default generator, as torch.manual_seed. */
export const manualSeed = (seed: number): Generator => defaultGenerator.manualSeed(seed);

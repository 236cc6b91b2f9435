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

  /** Reseeds this generator and restarts its stream. */
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

  /** Move the stream position, e.g. to replay what a compiled graph consumed. */
  set offset(value: number) {
    if (!Number.isSafeInteger(value) || value < 0)
      throw new TensorError(`Generator: offset must be a non-negative safe integer, got ${value}`);
    this.#offset = value;
  }

  /** Reserve `count` counters: returns (seed, offset) as 0-d int64 tensors for a random op. */
  next(count: number): [seed: Tensor, offset: Tensor] {
    const offset = this.#offset;
    // Round up to a multiple of 4 so streams of different ops never share a counter block.
    this.#offset += Math.ceil(count / 4) * 4;
    const scalar = (v: number) => new Tensor(new TensorData("int64", [], BigInt64Array.of(BigInt(v))));
    const seed = scalar(this.#seed);
    const start = scalar(offset);
    rngTensors.set(seed, { generator: this, role: "seed", value: this.#seed });
    rngTensors.set(start, { generator: this, role: "offset", value: offset });
    return [seed, start];
  }
}

/** What a (seed, offset) tensor handed out by `Generator.next` stands for. */
export interface RngState {
  readonly generator: Generator;
  readonly role: "seed" | "offset";
  readonly value: number;
}
const rngTensors = new WeakMap<Tensor, RngState>();

/** Lets a tracer turn a random op's seed and offset into graph inputs (RNG functionalization). */
export const rngStateOf = (t: Tensor): RngState | undefined => rngTensors.get(t);

/** The generator random factories use unless given one. */
export const defaultGenerator = new Generator();

/** Seed the default generator, as torch.manual_seed. */
export const manualSeed = (seed: number): Generator => defaultGenerator.manualSeed(seed);

/**
 * `uniform` and `bernoulli` run on the host with the generator that defines them in `@aotjs/ir`,
 * so their samples equal the reference interpreter's bit for bit and a recomputed dropout mask
 * equals the forward's, whichever backend ran it.
 *
 * Not as TF.js ops: the hash needs 32-bit xor and shifts, which TF.js does not have (only
 * BitwiseAnd), and wrapping 32-bit multiplies, which its cpu backend does not do (int32 products
 * are computed in doubles and lose the low bits past 2^53). Seeds are int64 and routinely exceed
 * int32 (PyTorch's default seed is 67280421310721), another reason to keep them off the device.
 */
import { bernoulliMask, uniformSamples } from "@aotjs/ir";

/** float32 samples in [low, high), as the reference `uniform` kernel computes them. */
export const uniformFloat32 = (
  seed: number,
  offset: number,
  n: number,
  low: number,
  high: number,
): Float32Array => uniformSamples(seed, offset, n, low, high, "float32") as Float32Array;

export { bernoulliMask };

import {
  allocate,
  bernoulliMask,
  type CreationOpName,
  type DType,
  formatMeta,
  numel,
  TensorData,
  type TensorMeta,
  uniformSamples,
} from "@aotjs/ir";
import { TensorError } from "../errors.js";
import type { KernelsFor } from "./types.js";

const INT_RANGE: { readonly [D in DType]?: readonly [number, number] } = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int64: [-(2 ** 63), 2 ** 63],
};

/**
 * Stores JS numbers (already integers or truncated toward zero) into an integer tensor, or fails
 * naming the op: NaN, infinities and out-of-range values have no integer value, and wrapping them
 * silently would hide a bug in the graph that asked for them.
 */
function fillIntegers(
  op: string,
  dtype: "int32" | "int64",
  values: (i: number) => number,
  n: number,
): Int32Array | BigInt64Array {
  const [low, high] = INT_RANGE[dtype]!;
  const result = allocate(dtype, n);
  for (let i = 0; i < n; i++) {
    const v = Math.trunc(values(i));
    // int64's upper bound 2^63 is itself a double, so it is excluded; int32's is included.
    if (!(v >= low && (dtype === "int64" ? v < high : v <= high))) {
      throw new TensorError(`${op}: value ${values(i)} does not fit ${dtype}`);
    }
    if (result instanceof BigInt64Array) result[i] = BigInt(v);
    else (result as Int32Array)[i] = v;
  }
  return result;
}

function fill(op: string, out: TensorMeta, values: (i: number) => number): TensorData {
  const n = numel(out.shape);
  if (out.dtype === "int32" || out.dtype === "int64") {
    return new TensorData(out.dtype, out.shape, fillIntegers(op, out.dtype, values, n));
  }
  const result = allocate(out.dtype, n) as Float32Array | Float64Array | Uint8Array;
  if (out.dtype === "bool") for (let i = 0; i < n; i++) result[i] = values(i) !== 0 ? 1 : 0;
  else for (let i = 0; i < n; i++) result[i] = values(i);
  return new TensorData(out.dtype, out.shape, result);
}

const TWO53 = 2 ** 53;

/**
 * A 0-d int32/int64 seed or offset as a JS number. The generator takes integers in [0, 2^53), the
 * range a double holds exactly; an int64 is compared as a BigInt first so nothing is rounded.
 */
function readCounter(op: string, what: string, t: TensorData): number {
  const raw = t.data[0]!;
  const value = typeof raw === "bigint" ? (raw >= 0n && raw < BigInt(TWO53) ? Number(raw) : -1) : raw;
  if (!(value >= 0)) {
    throw new TensorError(`${op}: ${what} must be in [0, 2^53), got ${String(raw)} (${formatMeta(t)})`);
  }
  return value;
}

/**
 * Element i draws at counter `offset + i`; every counter must stay below `limit` (2^53 for the 24-bit
 * draw; 2^52 for the 53-bit draw, which uses counters 2c and 2c + 1 and needs both exact in a double).
 */
function readSeedAndOffset(
  op: string,
  inputs: readonly TensorData[],
  n: number,
  limit: number,
): [number, number] {
  const seed = readCounter(op, "seed", inputs[0]!);
  const offset = readCounter(op, "offset", inputs[1]!);
  if (n > 0 && offset + n > limit) {
    throw new TensorError(
      `${op}: counters offset ${offset} .. offset + ${n - 1} pass 2^${Math.log2(limit)}, the largest the generator takes exactly`,
    );
  }
  return [seed, offset];
}

type CreationOp = CreationOpName;

export const creationKernels: KernelsFor<CreationOp> = {
  full: (_inputs, { value }, out) => fill("full", out, () => value),
  // start + i * step in float64, then converted to the dtype: the value torch.arange gives.
  arange: (_inputs, { start, step }, out) => fill("arange", out, (i) => start + i * step),
  uniform: (inputs, { low, high }, out) => {
    const dtype = out.dtype as "float32" | "float64";
    if (!(Number.isFinite(high - low) && low <= high)) {
      throw new TensorError(
        `uniform: needs finite low <= high with a finite high - low, got low ${low} and high ${high}`,
      );
    }
    const n = numel(out.shape);
    // float64 draws use counters 2c and 2c + 1, which are exact only below 2^52.
    const [seed, offset] = readSeedAndOffset("uniform", inputs, n, dtype === "float64" ? 2 ** 52 : TWO53);
    return new TensorData(dtype, out.shape, uniformSamples(seed, offset, n, low, high, dtype) as never);
  },
  bernoulli: (inputs, { p }, out) => {
    const n = numel(out.shape);
    const [seed, offset] = readSeedAndOffset("bernoulli", inputs, n, TWO53);
    return new TensorData("bool", out.shape, bernoulliMask(seed, offset, n, p));
  },
};

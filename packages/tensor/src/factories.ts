import { type DType, isFloating, numel, TensorData, type TypedArray, uniform53 } from "@aotjs/ir";
import { activeModes, dispatch } from "./dispatch.js";
import type { Nested } from "./format.js";
import { defaultGenerator, type Generator } from "./random.js";
import { Tensor, TensorError } from "./tensor.js";

/** Options of the tensor factories: dtype (float32 by default) and whether the new tensor requires grad. */
export interface FactoryOptions {
  readonly dtype?: DType;
  readonly requiresGrad?: boolean;
}
/** Options of the random factories: also the generator to draw from. */
export interface RandomOptions extends FactoryOptions {
  readonly generator?: Generator;
}

const finish = (t: Tensor, o: FactoryOptions): Tensor => {
  if (o.requiresGrad) t.requiresGrad = true;
  return t;
};

const checkShape = (shape: readonly number[], op: string) => {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new TensorError(
      `${op}: shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`,
    );
  }
};

const arrayDType = (a: TypedArray): DType | undefined =>
  a instanceof Float32Array
    ? "float32"
    : a instanceof Float64Array
      ? "float64"
      : a instanceof Int32Array
        ? "int32"
        : a instanceof BigInt64Array
          ? "int64"
          : a instanceof Uint8Array
            ? "bool"
            : undefined;

/**
 * torch.tensor: from nested arrays (dtype inferred as torch does: booleans -> bool, integers ->
 * int64, otherwise float32), a number, or a typed array (its own dtype, shape [length]).
 */
export function tensor(
  data: Nested | TypedArray,
  options: FactoryOptions & { shape?: readonly number[] } = {},
): Tensor {
  if (ArrayBuffer.isView(data)) {
    const own = arrayDType(data as TypedArray);
    if (own === undefined) {
      throw new TensorError(
        `tensor: unsupported ${data.constructor.name}; use Float32Array, Float64Array, Int32Array, BigInt64Array or Uint8Array (bool)`,
      );
    }
    const shape = options.shape ?? [(data as TypedArray).length];
    const copy = (data as TypedArray).slice();
    // A bool tensor stores 0 or 1: any other byte from a hand-filled Uint8Array counts as true.
    if (copy instanceof Uint8Array)
      copy.forEach((v, i) => {
        copy[i] = v ? 1 : 0;
      });
    const base = new Tensor(new TensorData(own, shape, copy as never));
    return finish(options.dtype && options.dtype !== own ? base.to(options.dtype) : base, options);
  }
  const shape: number[] = [];
  for (let level: unknown = data; Array.isArray(level); level = level[0]) shape.push(level.length);
  const flat: (number | boolean)[] = [];
  const walk = (x: unknown, dim: number, path: string) => {
    if (dim === shape.length) {
      if (typeof x !== "number" && typeof x !== "boolean")
        throw new TensorError(`tensor: element ${path} is ${typeof x}, not a number or boolean`);
      flat.push(x);
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[dim]) {
      throw new TensorError(
        `tensor: ragged nested array at ${path || "top level"}: expected ${shape[dim]} elements (shape [${shape}])`,
      );
    }
    x.forEach((y, i) => {
      walk(y, dim + 1, `${path}[${i}]`);
    });
  };
  walk(data, 0, "");
  const inferred: DType =
    flat.length && flat.every((v) => typeof v === "boolean")
      ? "bool"
      : flat.every((v) => Number.isInteger(Number(v))) && flat.length
        ? "int64"
        : "float32";
  const dtype = options.dtype ?? inferred;
  const out = TensorData.zeros(dtype, shape);
  flat.forEach((v, i) => {
    const n = Number(v);
    if (dtype === "int64") out.data[i] = BigInt(Math.trunc(n)) as never;
    else if (dtype === "bool") out.data[i] = (n !== 0 ? 1 : 0) as never;
    else out.data[i] = (dtype === "int32" ? Math.trunc(n) : n) as never;
  });
  return finish(new Tensor(out), options);
}

/** A tensor of `shape` filled with `value`, like `torch.full`. */
export function full(
  shape: readonly number[],
  value: number | boolean,
  options: FactoryOptions = {},
): Tensor {
  checkShape(shape, "full");
  const dtype = options.dtype ?? (typeof value === "boolean" ? "bool" : "float32");
  return finish(dispatch("full", [], { shape, value: Number(value), dtype }), options);
}
/** A tensor of `shape` filled with zeros. */
export const zeros = (shape: readonly number[], options: FactoryOptions = {}): Tensor =>
  full(shape, 0, { dtype: "float32", ...options });
/** A tensor of `shape` filled with ones. */
export const ones = (shape: readonly number[], options: FactoryOptions = {}): Tensor =>
  full(shape, 1, { dtype: "float32", ...options });
/** A tensor of `t`'s shape (and dtype unless given) filled with `value`. */
export const fullLike = (t: Tensor, value: number, options: FactoryOptions = {}): Tensor =>
  full(t.shape, value, { dtype: t.dtype, ...options });
/** Zeros of `t`'s shape and dtype. */
export const zerosLike = (t: Tensor, options: FactoryOptions = {}): Tensor => fullLike(t, 0, options);
/** Ones of `t`'s shape and dtype. */
export const onesLike = (t: Tensor, options: FactoryOptions = {}): Tensor => fullLike(t, 1, options);

/** torch.arange(end) or arange(start, end, step); integer arguments give int64, as in torch. */
export function arange(startOrEnd: number, end?: number, step = 1, options: FactoryOptions = {}): Tensor {
  const [start, stop] = end === undefined ? [0, startOrEnd] : [startOrEnd, end];
  const dtype = options.dtype ?? ([start, stop, step].every(Number.isInteger) ? "int64" : "float32");
  return finish(dispatch("arange", [], { start, end: stop, step, dtype }), options);
}

/** `steps` evenly spaced values from start to end inclusive. */
export function linspace(start: number, end: number, steps: number, options: FactoryOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0)
    throw new TensorError(`linspace: steps must be a non-negative integer, got ${steps}`);
  const dtype = options.dtype ?? "float32";
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  const idx = dispatch("arange", [], { start: 0, end: steps, step: 1, dtype: "float64" });
  return finish(idx.mul(step).add(start).to(dtype), options);
}

/** The `n` x `m` identity matrix. */
export function eye(n: number, m = n, options: FactoryOptions = {}): Tensor {
  const rows = arange(n).unsqueeze(1);
  return finish(rows.eq(arange(m)).to(options.dtype ?? "float32"), options);
}

function uniform(shape: readonly number[], dtype: DType, generator: Generator): Tensor {
  if (!isFloating(dtype)) throw new TensorError(`random: dtype must be floating, got ${dtype}`);
  const [seed, offset] = generator.next(numel(shape) * (dtype === "float64" ? 2 : 1));
  return dispatch("uniform", [seed, offset], { shape, dtype });
}

/** Uniform on [0, 1). */
export function rand(shape: readonly number[], options: RandomOptions = {}): Tensor {
  checkShape(shape, "rand");
  return finish(uniform(shape, options.dtype ?? "float32", options.generator ?? defaultGenerator), options);
}

/** Standard normal, by Box-Muller over two uniform draws. */
export function randn(shape: readonly number[], options: RandomOptions = {}): Tensor {
  checkShape(shape, "randn");
  const dtype = options.dtype ?? "float32";
  const g = options.generator ?? defaultGenerator;
  if (activeModes().length === 0 && isFloating(dtype))
    return finish(fusedRandn(shape, dtype as "float32" | "float64", g), options);
  const u1 = uniform(shape, "float64", g);
  const u2 = uniform(shape, "float64", g);
  // 1 - u1 is in (0, 1], so the log is finite.
  const radius = u1.neg().add(1).log().mul(-2).sqrt();
  return finish(radius.mul(u2.mul(2 * Math.PI).cos()).to(dtype), options);
}

/**
 * The composite above in one loop, bit for bit: the same float64 operations in the same order and
 * the same generator advance. Eager only (no mode is watching), because tracers and other modes must
 * see the composite's ops; building resnet18 draws 11.7M normals, and the ten eager float64 ops
 * took 4.6 s, this loop 1.2 s.
 */
function fusedRandn(shape: readonly number[], dtype: "float32" | "float64", g: Generator): Tensor {
  const n = numel(shape);
  const seed = g.seed;
  const first = g.offset;
  g.next(n * 2);
  const second = g.offset;
  g.next(n * 2);
  const out = dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
  const turn = 2 * Math.PI;
  for (let i = 0; i < n; i++) {
    const radius = Math.sqrt(Math.log(-uniform53(seed, first + i) + 1) * -2);
    out[i] = radius * Math.cos(uniform53(seed, second + i) * turn);
  }
  return new Tensor(new TensorData(dtype, shape, out as never));
}

/** Integers uniform in [low, high). */
export function randint(
  low: number,
  high: number,
  shape: readonly number[],
  options: RandomOptions = {},
): Tensor {
  checkShape(shape, "randint");
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new TensorError(`randint: need integers low < high, got low=${low} high=${high}`);
  }
  const u = uniform(shape, "float64", options.generator ?? defaultGenerator);
  // floor for u in [0,1): cast truncates toward zero, and low + (high-low)*u - low >= 0.
  const value = u
    .mul(high - low)
    .to("int64")
    .add(low);
  return finish(value.to(options.dtype ?? "int64"), options);
}

/** A bool mask, true with probability p: what dropout keeps. */
export function bernoulli(shape: readonly number[], p: number, options: RandomOptions = {}): Tensor {
  checkShape(shape, "bernoulli");
  const [seed, offset] = (options.generator ?? defaultGenerator).next(numel(shape));
  return dispatch("bernoulli", [seed, offset], { shape, p });
}

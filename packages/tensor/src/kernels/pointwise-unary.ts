import {
  allocate,
  type DType,
  erf,
  formatMeta,
  numel,
  TensorData,
  type TensorMeta,
  type TypedArray,
  type UnaryOpName,
} from "@aotjs/ir";
import { TensorError } from "../errors.js";
import type { Kernel, KernelsFor } from "./types.js";

export type UnaryOp = UnaryOpName | "cast";

type NumberArray = Float32Array | Float64Array | Int32Array | Uint8Array;
/**
 * out[i] = f(x[i]) over the whole tensor. Each op writes its own loop literal so V8 inlines the
 * math; a shared loop calling a per-op callback goes megamorphic and runs several times slower.
 * A float32 result is rounded by the Float32Array store; an int32 result wraps by the Int32Array
 * store, which is C's two's-complement behaviour for neg/abs of -2^31.
 */
type Loop<I, O> = (out: O, x: I) => void;
interface Loops {
  readonly numbers?: Loop<NumberArray, NumberArray>;
  readonly bigints?: Loop<BigInt64Array, BigInt64Array>;
  readonly bigintsToBool?: Loop<BigInt64Array, Uint8Array>;
}

function unary<K extends Exclude<UnaryOp, "cast">>(op: K, loops: Loops): Kernel<K> {
  return (inputs, _attrs, out) => {
    const x = inputs[0]!;
    const result = allocate(out.dtype, numel(out.shape));
    const loop = x.dtype === "int64" ? (loops.bigints ?? loops.bigintsToBool) : loops.numbers;
    if (!loop) throw new TensorError(`${op}: no kernel for ${formatMeta(x)}`);
    (loop as Loop<TypedArray, TypedArray>)(result, x.data);
    return new TensorData(out.dtype, out.shape, result);
  };
}

// ---- cast ----

const INT32_MIN = -(2 ** 31);
const INT64_LIMIT = 2 ** 63;

function castError(x: TensorMeta, to: DType, value: number, index: number): TensorError {
  return new TensorError(
    `cast: cannot convert ${value} (element ${index} of ${formatMeta(x)}) to ${to}: ` +
      "NaN, infinities and values outside the integer range have no integer value",
  );
}

/**
 * int64 to float32 rounded once, correctly. Number(v) rounds to 53 bits and the float32 store would
 * round again, which can land on the wrong side of a tie; rounding to 53 bits "to odd" first (keep a
 * sticky low bit when anything was dropped) makes the second rounding exact.
 */
function int64ToFloat32Exactly(v: bigint): number {
  const magnitude = v < 0n ? -v : v;
  if (magnitude < 2n ** 53n) return Number(v);
  const shift = magnitude.toString(2).length - 53;
  let top = magnitude >> BigInt(shift);
  if (top << BigInt(shift) !== magnitude) top |= 1n;
  const rounded = Number(top) * 2 ** shift;
  return v < 0n ? -rounded : rounded;
}

function cast(x: TensorData, out: TensorMeta): TensorData {
  const to = out.dtype;
  const n = x.data.length;
  const from = x.data;
  const result = allocate(to, n);
  if (x.dtype === to) {
    result.set(from as never);
  } else if (to === "bool") {
    const r = result as Uint8Array;
    if (from instanceof BigInt64Array) for (let i = 0; i < n; i++) r[i] = from[i] !== 0n ? 1 : 0;
    else for (let i = 0; i < n; i++) r[i] = from[i] !== 0 ? 1 : 0; // NaN != 0, so NaN is true
  } else if (from instanceof BigInt64Array) {
    if (to === "int32") {
      const r = result as Int32Array;
      for (let i = 0; i < n; i++) r[i] = Number(BigInt.asIntN(32, from[i]!)); // wraps, as PyTorch
    } else if (to === "float32") {
      const r = result as Float32Array;
      for (let i = 0; i < n; i++) r[i] = int64ToFloat32Exactly(from[i]!);
    } else {
      const r = result as Float64Array;
      for (let i = 0; i < n; i++) r[i] = Number(from[i]!); // Number(bigint) rounds to nearest
    }
  } else if (to === "int64") {
    const r = result as BigInt64Array;
    const checked = x.dtype === "float32" || x.dtype === "float64";
    for (let i = 0; i < n; i++) {
      const v = Math.trunc(from[i]!);
      if (checked && !(v >= -INT64_LIMIT && v < INT64_LIMIT)) throw castError(x, to, from[i]!, i);
      r[i] = BigInt(v);
    }
  } else if (to === "int32" && (x.dtype === "float32" || x.dtype === "float64")) {
    const r = result as Int32Array;
    for (let i = 0; i < n; i++) {
      const v = Math.trunc(from[i]!);
      if (!(v >= INT32_MIN && v <= 2 ** 31 - 1)) throw castError(x, to, from[i]!, i);
      r[i] = v;
    }
  } else {
    // Among float32, float64, int32 and bool the typed-array store converts exactly as the op says:
    // float64 to float32 rounds to nearest, bool and int32 to float are exact or rounded once.
    result.set(from as never);
  }
  return new TensorData(to, out.shape, result);
}

// ---- the kernels ----

export const unaryKernels: KernelsFor<UnaryOp> = {
  neg: unary("neg", {
    numbers: (o, x) => {
      for (let i = 0; i < x.length; i++) o[i] = -x[i]!;
    },
    bigints: (o, x) => {
      for (let i = 0; i < x.length; i++) o[i] = -x[i]!;
    },
  }),
  abs: unary("abs", {
    numbers: (o, x) => {
      for (let i = 0; i < x.length; i++) o[i] = Math.abs(x[i]!);
    },
    bigints: (o, x) => {
      for (let i = 0; i < x.length; i++) o[i] = x[i]! < 0n ? -x[i]! : x[i]!;
    },
  }),
  // NaN stays NaN (the doc's choice, as NumPy and JAX; PyTorch's CPU kernel returns 0), and -0 gives 0.
  sign: unary("sign", {
    numbers: (o, x) => {
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        o[i] = v > 0 ? 1 : v < 0 ? -1 : v === 0 ? 0 : v;
      }
    },
    bigints: (o, x) => {
      for (let i = 0; i < x.length; i++) o[i] = x[i]! > 0n ? 1n : x[i]! < 0n ? -1n : 0n;
    },
  }),
  exp: unary("exp", {
    numbers: (o, x) => {
      for (let i = 0; i < x.length; i++) o[i] = Math.exp(x[i]!);
    },
  }),
  log: unary("log", {
    numbers: (o, x) => {
      for (let i = 0; i < x.length; i++) o[i] = Math.log(x[i]!);
    },
  }),
  sqrt: unary("sqrt", {
    numbers: (o, x) => {
      for (let i = 0; i < x.length; i++) o[i] = Math.sqrt(x[i]!);
    },
  }),
  rsqrt: unary("rsqrt", {
    numbers: (o, x) => {
      for (let i = 0; i < x.length; i++) o[i] = 1 / Math.sqrt(x[i]!);
    },
  }),
  reciprocal: unary("reciprocal", {
    numbers: (o, x) => {
      for (let i = 0; i < x.length; i++) o[i] = 1 / x[i]!;
    },
  }),
  sin: unary("sin", {
    numbers: (o, x) => {
      for (let i = 0; i < x.length; i++) o[i] = Math.sin(x[i]!);
    },
  }),
  cos: unary("cos", {
    numbers: (o, x) => {
      for (let i = 0; i < x.length; i++) o[i] = Math.cos(x[i]!);
    },
  }),
  tanh: unary("tanh", {
    numbers: (o, x) => {
      for (let i = 0; i < x.length; i++) o[i] = Math.tanh(x[i]!);
    },
  }),
  // exp only ever sees a non-positive argument: no overflow to inf/inf, and 1 - sigmoid(x) for large
  // x is not rounded away because sigmoid(-x) is computed from e^-|x| directly.
  sigmoid: unary("sigmoid", {
    numbers: (o, x) => {
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        if (v >= 0) o[i] = 1 / (1 + Math.exp(-v));
        else {
          const e = Math.exp(v);
          o[i] = e / (1 + e);
        }
      }
    },
  }),
  // NaN propagates, as PyTorch's relu (a clamp); -0 and every negative give +0.
  relu: unary("relu", {
    numbers: (o, x) => {
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        o[i] = v > 0 || Number.isNaN(v) ? v : 0;
      }
    },
    bigints: (o, x) => {
      for (let i = 0; i < x.length; i++) o[i] = x[i]! > 0n ? x[i]! : 0n;
    },
  }),
  erf: unary("erf", {
    numbers: (o, x) => {
      for (let i = 0; i < x.length; i++) o[i] = erf(x[i]!);
    },
  }),
  logicalNot: unary("logicalNot", {
    numbers: (o, x) => {
      for (let i = 0; i < x.length; i++) o[i] = +(x[i] === 0);
    },
    bigintsToBool: (o, x) => {
      for (let i = 0; i < x.length; i++) o[i] = +(x[i] === 0n);
    },
  }),
  cast: (inputs, _attrs, out) => cast(inputs[0]!, out),
};

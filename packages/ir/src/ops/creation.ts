import { attr } from "../attrs.js";
import type { TensorMeta } from "../tensor-data.js";
import { defineOp, fail, requireKind, requireRank } from "./define.js";

const checkSeed = ([seed, offset]: readonly TensorMeta[]) => {
  requireRank(seed!, "seed", 0);
  requireRank(offset!, "offset", 0);
  requireKind(seed!, "seed", "int");
  requireKind(offset!, "offset", "int");
};

export const creationOps = {
  full: defineOp({
    category: "creation",
    inputs: [],
    attrs: { shape: attr.ints({ min: 0 }), value: attr.float(), dtype: attr.dtype({ default: "float32" }) },
    infer: (_, { shape, value, dtype }) => {
      // Integer and bool dtypes take integers only (never NaN or +-Infinity), within the dtype's range.
      const range = dtype === "int32" ? 2 ** 31 : dtype === "int64" ? 2 ** 63 : Number.POSITIVE_INFINITY;
      if (
        dtype !== "float32" &&
        dtype !== "float64" &&
        !(Number.isInteger(value) && value >= -range && value < range)
      ) {
        fail(`value ${value} is not representable in ${dtype}`);
      }
      return { shape, dtype };
    },
    doc: "a tensor of one value; also how scalars enter a graph (shape [])",
  }),
  arange: defineOp({
    category: "creation",
    inputs: [],
    attrs: {
      start: attr.float({ default: 0 }),
      end: attr.float(),
      step: attr.float({ default: 1 }),
      dtype: attr.dtype({ default: "int64" }),
    },
    infer: (_, { start, end, step, dtype }) => {
      if (step === 0 || !Number.isFinite(start + end + step))
        fail(`start, end and step must be finite and step non-zero`);
      requireKind({ shape: [], dtype }, "dtype", "float", "int");
      return { shape: [Math.max(0, Math.ceil((end - start) / step))], dtype };
    },
    doc: "start, start + step, ... up to but excluding end",
  }),
  uniform: defineOp({
    category: "random",
    inputs: ["seed", "offset"],
    attrs: {
      shape: attr.ints({ min: 0 }),
      low: attr.float({ default: 0 }),
      high: attr.float({ default: 1 }),
      dtype: attr.dtype({ default: "float32", allowed: ["float32", "float64"] }),
    },
    infer: (inputs, { shape, low, high, dtype }) => {
      checkSeed(inputs);
      if (!(Number.isFinite(low) && Number.isFinite(high) && low <= high))
        fail(`needs finite low <= high, got [${low}, ${high})`);
      return { shape, dtype };
    },
    doc: "uniform samples in [low, high), a pure function of (seed, offset): equal inputs give equal samples",
  }),
  bernoulli: defineOp({
    category: "random",
    inputs: ["seed", "offset"],
    attrs: { shape: attr.ints({ min: 0 }), p: attr.float() },
    infer: (inputs, { shape, p }) => {
      checkSeed(inputs);
      if (!(p >= 0 && p <= 1)) fail(`p must be in [0, 1], got ${p}`);
      return { shape, dtype: "bool" };
    },
    doc: "true with probability p, a pure function of (seed, offset); a bool mask costs 1 byte per element",
  }),
};

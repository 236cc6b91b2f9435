// Pointwise kernels, part 2: every binary op, every dtype it accepts, on random broadcasting shapes,
// against an index-by-index oracle that maps each output coordinate to input coordinates and applies
// a scalar formula written independently of the kernels (BigInt for int32/int64 wrapping, plain JS
// arithmetic for floats); the unary ops on random data against scalar formulas; and properties.
import { catalog, type DType, TensorData } from "@aotjs/ir";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { planRows } from "../src/kernels/pointwise-binary.js";
import { runKernel } from "../src/kernels/run.js";
import {
  expectTensor,
  numel,
  randInt,
  randomData,
  randomTensor,
  ravel,
  rng,
  unravel,
} from "./support-kernels.js";

type BinaryOp =
  | "add"
  | "sub"
  | "mul"
  | "div"
  | "pow"
  | "maximum"
  | "minimum"
  | "eq"
  | "ne"
  | "lt"
  | "le"
  | "gt"
  | "ge"
  | "logicalAnd"
  | "logicalOr";
type Result = number | bigint | boolean;
interface Reference {
  readonly float?: (x: number, y: number) => Result;
  readonly int32?: (x: number, y: number) => Result;
  readonly int64?: (x: bigint, y: bigint) => Result;
  readonly bool?: (x: number, y: number) => Result;
}

const wrap32 = (v: bigint) => Number(BigInt.asIntN(32, v));
const wrap64 = (v: bigint) => BigInt.asIntN(64, v);
const nan = Number.isNaN;
// Written as comparisons, not Math.max/min: the oracle should not share the kernel's formula.
const larger = <T extends number | bigint>(x: T, y: T): T => (x >= y ? x : y);
const smaller = <T extends number | bigint>(x: T, y: T): T => (x <= y ? x : y);

/** C99 Annex F pow, written from the standard's list of special cases. */
function cStandardPow(x: number, y: number): number {
  if (y === 0 || x === 1) return 1;
  if (nan(x) || nan(y)) return Number.NaN;
  if (x === -1 && !Number.isFinite(y)) return 1;
  return x ** y;
}

const references: Record<BinaryOp, Reference> = {
  add: {
    float: (x, y) => x + y,
    int32: (x, y) => wrap32(BigInt(x) + BigInt(y)),
    int64: (x, y) => wrap64(x + y),
  },
  sub: {
    float: (x, y) => x - y,
    int32: (x, y) => wrap32(BigInt(x) - BigInt(y)),
    int64: (x, y) => wrap64(x - y),
  },
  mul: {
    float: (x, y) => x * y,
    int32: (x, y) => wrap32(BigInt(x) * BigInt(y)),
    int64: (x, y) => wrap64(x * y),
  },
  div: {
    float: (x, y) => x / y,
    int32: (x, y) => wrap32(BigInt(x) / BigInt(y)),
    int64: (x, y) => wrap64(x / y),
  },
  pow: {
    float: cStandardPow,
    int32: (x, y) => wrap32(BigInt(x) ** BigInt(y)),
    int64: (x, y) => wrap64(x ** y),
  },
  maximum: { float: (x, y) => (nan(x) || nan(y) ? Number.NaN : larger(x, y)), int32: larger, int64: larger },
  minimum: {
    float: (x, y) => (nan(x) || nan(y) ? Number.NaN : smaller(x, y)),
    int32: smaller,
    int64: smaller,
  },
  eq: {
    float: (x, y) => x === y,
    int32: (x, y) => x === y,
    int64: (x, y) => x === y,
    bool: (x, y) => x === y,
  },
  ne: {
    float: (x, y) => x !== y,
    int32: (x, y) => x !== y,
    int64: (x, y) => x !== y,
    bool: (x, y) => x !== y,
  },
  lt: { float: (x, y) => x < y, int32: (x, y) => x < y, int64: (x, y) => x < y },
  le: { float: (x, y) => x <= y, int32: (x, y) => x <= y, int64: (x, y) => x <= y },
  gt: { float: (x, y) => x > y, int32: (x, y) => x > y, int64: (x, y) => x > y },
  ge: { float: (x, y) => x >= y, int32: (x, y) => x >= y, int64: (x, y) => x >= y },
  logicalAnd: { bool: (x, y) => x !== 0 && y !== 0 },
  logicalOr: { bool: (x, y) => x !== 0 || y !== 0 },
};

const ALL_DTYPES: readonly DType[] = ["float32", "float64", "int32", "int64", "bool"];
const referenceFor = (op: BinaryOp, dtype: DType) =>
  references[op][dtype === "float32" || dtype === "float64" ? "float" : dtype] as
    | ((x: number | bigint, y: number | bigint) => Result)
    | undefined;

function accepts(op: BinaryOp, dtype: DType): boolean {
  const meta = { shape: [1], dtype };
  try {
    (catalog[op].infer as (i: unknown[], a: unknown) => unknown)([meta, meta], {});
    return true;
  } catch {
    return false;
  }
}

/**
 * An output shape and input shapes that broadcast to it. A third of the time the inputs are the
 * output shape itself or a single element (the kernels' one-row paths); otherwise each input is a
 * random suffix of the output with random dims set to 1. Dims run 0..4, so empty outputs occur.
 */
function randomBroadcast(next: () => number, inputs: number): { out: number[]; shapes: number[][] } {
  const rank = randInt(next, 0, 4);
  const out = Array.from({ length: rank }, () => (next() < 0.04 ? 0 : randInt(next, 1, 4)));
  const mode = next();
  const shapes = Array.from({ length: inputs }, (_, k) => {
    if (mode < 0.15) return [...out];
    if (mode < 0.3 && k === inputs - 1) return next() < 0.5 ? [] : out.map(() => 1);
    const keep = randInt(next, 0, rank);
    return out.slice(rank - keep).map((d) => (next() < 0.35 ? 1 : d));
  });
  // Make `out` the true broadcast shape: the first input takes the full rank and every dim no input
  // supplies.
  const supplied = (i: number) => shapes.some((s) => s[i - (rank - s.length)] === out[i]);
  if (shapes.every((s) => s.length < rank) || out.some((d, i) => d !== 1 && !supplied(i))) {
    const first = [...new Array<number>(rank - shapes[0]!.length).fill(1), ...shapes[0]!];
    out.forEach((d, i) => {
      if (d !== 1 && !supplied(i)) first[i] = d;
    });
    shapes[0] = first;
  }
  return { out, shapes };
}

/** Element of `t` read at output coordinates `coords` under broadcasting (the oracle's mapping). */
function readBroadcast(t: TensorData, coords: readonly number[]): number | bigint {
  const lead = coords.length - t.shape.length;
  const own = t.shape.map((d, i) => (d === 1 ? 0 : coords[lead + i]!));
  return t.data[ravel(own, t.shape)]!;
}

function expectedTensor(dtype: DType, shape: number[], values: Result[]): TensorData {
  if (typeof values[0] === "boolean" || dtype === "bool") {
    return new TensorData(
      "bool",
      shape,
      Uint8Array.from(values, (v) => (v ? 1 : 0)),
    );
  }
  switch (dtype) {
    case "float32":
      return new TensorData(dtype, shape, Float32Array.from(values as number[])); // rounds like the kernel's store
    case "float64":
      return new TensorData(dtype, shape, Float64Array.from(values as number[]));
    case "int32":
      return new TensorData(dtype, shape, Int32Array.from(values as number[]));
    default:
      return new TensorData("int64", shape, BigInt64Array.from(values as bigint[]));
  }
}

/** Inputs for `op`: integer div never divides by zero and integer pow takes exponents 0..40. */
function operand(
  op: BinaryOp,
  dtype: DType,
  shape: number[],
  next: () => number,
  second: boolean,
): TensorData {
  const t = randomTensor(dtype, shape, next);
  if (!second || dtype === "float32" || dtype === "float64") return t;
  const data = t.data as Int32Array | BigInt64Array;
  for (let i = 0; i < data.length; i++) {
    if (op === "pow")
      data[i] = (dtype === "int64" ? BigInt(randInt(next, 0, 40)) : randInt(next, 0, 40)) as never;
    if (op === "div" && (data[i] === 0 || data[i] === 0n)) data[i] = (dtype === "int64" ? 3n : 3) as never;
  }
  return t;
}

describe("binary ops broadcast like the index-by-index oracle", () => {
  // Oracle: the catalog's rule says which dtypes an op takes; the reference table must match it.
  test("the reference table covers exactly the dtypes each op accepts", () => {
    for (const op of Object.keys(references) as BinaryOp[]) {
      for (const dtype of ALL_DTYPES)
        expect(referenceFor(op, dtype) !== undefined, `${op} ${dtype}`).toBe(accepts(op, dtype));
    }
  });

  for (const op of Object.keys(references) as BinaryOp[]) {
    for (const dtype of ALL_DTYPES.filter((d) => referenceFor(op, d))) {
      test(`${op} on ${dtype}: 40 random broadcasting shapes`, () => {
        const next = rng(op.length * 1000 + dtype.length);
        const ref = referenceFor(op, dtype)!;
        for (let trial = 0; trial < 40; trial++) {
          const { out, shapes } = randomBroadcast(next, 2);
          const a = operand(op, dtype, shapes[0]!, next, false);
          const b = operand(op, dtype, shapes[1]!, next, true);
          const values = Array.from({ length: numel(out) }, (_, e) => {
            const coords = unravel(e, out);
            return ref(readBroadcast(a, coords), readBroadcast(b, coords));
          });
          const outDtype = catalog[op].infer([a, b], {} as never).dtype;
          const result = runKernel(op, [a, b]);
          expect(result.shape).toEqual(out);
          expectTensor(result, expectedTensor(outDtype, out, values));
        }
      });
    }
  }

  test("where on every dtype: 40 random three-way broadcasts", () => {
    const next = rng(7);
    for (const dtype of ALL_DTYPES) {
      for (let trial = 0; trial < 40; trial++) {
        const { out, shapes } = randomBroadcast(next, 3);
        const [c, a, b] = [
          randomTensor("bool", shapes[0]!, next),
          randomTensor(dtype, shapes[1]!, next),
          randomTensor(dtype, shapes[2]!, next),
        ];
        const values = Array.from({ length: numel(out) }, (_, e) => {
          const coords = unravel(e, out);
          return readBroadcast(c, coords) ? readBroadcast(a, coords) : readBroadcast(b, coords);
        });
        expectTensor(runKernel("where", [c, a, b]), expectedTensor(dtype, out, values as Result[]));
      }
    }
  });
});

describe("row planning: the fast paths exist", () => {
  // Oracle: hand-derived plans. Same shapes and a single-element operand are one row; a [3,1]
  // operand against [2,3,4] leaves rows of 4 with that operand broadcast along the row.
  test("same shape is a single contiguous row", () => {
    expect(
      planRows(
        [2, 3, 4],
        [
          [2, 3, 4],
          [2, 3, 4],
        ],
      ),
    ).toMatchObject({ rowLength: 24, rowStrides: [1, 1], outerShape: [] });
  });
  test("a single-element operand is one row with stride 0", () => {
    expect(planRows([2, 3, 4], [[2, 3, 4], []])).toMatchObject({
      rowLength: 24,
      rowStrides: [1, 0],
      outerShape: [],
    });
    expect(
      planRows(
        [2, 3, 4],
        [
          [1, 1, 1],
          [2, 3, 4],
        ],
      ),
    ).toMatchObject({ rowLength: 24, rowStrides: [0, 1] });
  });
  test("general broadcasting keeps only the dims that cannot merge", () => {
    expect(
      planRows(
        [2, 3, 4],
        [
          [2, 3, 4],
          [3, 1],
        ],
      ),
    ).toEqual({
      rowLength: 4,
      rowStrides: [1, 0],
      outerShape: [2, 3],
      outerStrides: [
        [12, 4],
        [0, 1],
      ],
    });
  });
});

describe("unary ops on random data match scalar formulas", () => {
  const round = (dtype: DType) => (dtype === "float32" ? Math.fround : (v: number) => v);
  // Oracle: each op's definition in plain JS math (independent loops, double precision, then the
  // float32 rounding of the stored result); sigmoid as the textbook 1 / (1 + e^-x), or e^x where that
  // would overflow (they agree to 1e-300 there).
  const floatFormulas = {
    exp: Math.exp,
    log: Math.log,
    sqrt: Math.sqrt,
    rsqrt: (x: number) => 1 / Math.sqrt(x),
    reciprocal: (x: number) => 1 / x,
    sin: Math.sin,
    cos: Math.cos,
    tanh: Math.tanh,
    sigmoid: (x: number) => (x < -700 ? Math.exp(x) : 1 / (1 + Math.exp(-x))),
    neg: (x: number) => -x,
    abs: Math.abs,
    sign: (x: number) => (nan(x) ? x : x === 0 ? 0 : x > 0 ? 1 : -1),
    relu: (x: number) => (nan(x) ? x : Math.max(x, 0)),
  } as const;
  for (const [op, f] of Object.entries(floatFormulas)) {
    for (const dtype of ["float32", "float64"] as const) {
      test(`${op} on ${dtype}`, () => {
        const x = randomTensor(dtype, [500], rng(op.length), true);
        const expected = new TensorData(
          dtype,
          [500],
          (dtype === "float32" ? new Float32Array(500) : new Float64Array(500)).map((_, i) =>
            round(dtype)(f(x.data[i] as number)),
          ),
        );
        expectTensor(
          runKernel(op as keyof typeof floatFormulas, [x]),
          expected,
          op === "sigmoid" ? 1e-15 : 0,
        );
      });
    }
  }

  // Oracle: BigInt arithmetic wrapped to the dtype's width.
  test.each(["int32", "int64"] as const)("neg, abs, sign, relu on %s", (dtype) => {
    const x = randomTensor(dtype, [500], rng(3));
    const big = [...(x.data as Iterable<number | bigint>)].map((v) => BigInt(v));
    const bits = dtype === "int32" ? 32 : 64;
    const formulas = {
      neg: (v: bigint) => -v,
      abs: (v: bigint) => (v < 0n ? -v : v),
      sign: (v: bigint) => (v > 0n ? 1n : v < 0n ? -1n : 0n),
      relu: (v: bigint) => (v > 0n ? v : 0n),
    };
    for (const [op, f] of Object.entries(formulas)) {
      const wrapped = big.map((v) => BigInt.asIntN(bits, f(v)));
      const expected =
        dtype === "int32"
          ? new TensorData(dtype, [500], Int32Array.from(wrapped, Number))
          : new TensorData(dtype, [500], BigInt64Array.from(wrapped));
      expectTensor(runKernel(op as keyof typeof formulas, [x]), expected);
    }
  });
});

describe("properties", () => {
  // Oracle: Z/2^64 is a ring, so wrapping add/sub/mul must satisfy its identities exactly, even with
  // the second operand broadcast along the rows.
  test("int64: (a + b) - b = a and a * (b + c) = a*b + a*c under broadcasting", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 5 }),
        fc.infiniteStream(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })),
        (rows, cols, stream) => {
          const it = stream[Symbol.iterator]();
          const take = (n: number) => BigInt64Array.from({ length: n }, () => it.next().value as bigint);
          const a = new TensorData("int64", [rows, cols], take(rows * cols));
          const b = new TensorData("int64", [cols], take(cols));
          const c = new TensorData("int64", [rows, 1], take(rows));
          expect(runKernel("sub", [runKernel("add", [a, b]), b]).data).toEqual(a.data);
          const left = runKernel("mul", [a, runKernel("add", [b, c])]);
          const right = runKernel("add", [runKernel("mul", [a, b]), runKernel("mul", [a, c])]);
          expect(left.data).toEqual(right.data);
        },
      ),
      { numRuns: 60 },
    );
  });

  // Oracle: where(c, a, b) = where(!c, b, a), composed from two other kernels.
  test("where(c, a, b) equals where(logicalNot(c), b, a) for any broadcastable shapes", () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const next = rng(seed);
        const { shapes } = randomBroadcast(next, 3);
        const c = randomTensor("bool", shapes[0]!, next);
        const a = new TensorData(
          "float64",
          shapes[1]!,
          randomData("float64", numel(shapes[1]!), next) as Float64Array,
        );
        const b = new TensorData(
          "float64",
          shapes[2]!,
          randomData("float64", numel(shapes[2]!), next) as Float64Array,
        );
        expectTensor(runKernel("where", [c, a, b]), runKernel("where", [runKernel("logicalNot", [c]), b, a]));
      }),
      { numRuns: 100 },
    );
  });

  // Oracle: int32 -> int64 and int32 -> float64 are exact, so casting back must give the input.
  test("cast round trips int32 through int64 and float64 exactly", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 50 }),
        (values) => {
          const x = new TensorData("int32", [values.length], Int32Array.from(values));
          for (const via of ["int64", "float64"] as const) {
            expect(
              runKernel("cast", [runKernel("cast", [x], { dtype: via })], { dtype: "int32" }).data,
            ).toEqual(x.data);
          }
        },
      ),
    );
  });
});

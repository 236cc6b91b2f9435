// The sample type and the shape and case helpers the sample tables in this folder share.
import type { OpAttrsInput, OpName, TensorData } from "@aotjs/ir";
import { bools, f64, fromValues, integers, quarterGrid, type Rand, uniform } from "../generators.js";

export interface OpSample<K extends OpName = OpName> {
  readonly name: string;
  /** Float inputs are float64 here; conformance converts them to the dtype under test unless `keepDType`. */
  readonly inputs: readonly TensorData[];
  readonly attrs?: OpAttrsInput<K>;
  /**
   * Why no gradient of this sample is compared with another implementation (edge values: NaN,
   * infinities, empty tensors, integer wrap-around): conformance checks only its forward graph;
   * the autograd tests skip gradcheck and the TF.js comparison (eager and joint-graph gradients
   * must still agree). Non-differentiable ops are forward-only anyway.
   */
  readonly forwardOnly?: string;
  /** Why finite differences can't check the gradient (a tie is a kink; a float32 output); other gradient checks run. */
  readonly noGradcheck?: string;
  /** Run with the inputs' own dtypes (an edge case about float64, say). */
  readonly keepDType?: boolean;
}

export type SampleTable = { readonly [K in OpName]: readonly OpSample<K>[] };

export type Gen = (r: Rand, shape: readonly number[]) => TensorData;
export const fmt = (s: readonly number[]) => `[${s.join(",")}]`;
export const NAN = Number.NaN;

export const UNARY_SHAPES: readonly (readonly number[])[] = [[], [5], [2, 3], [2, 1, 4]];
export const BINARY_SHAPES: readonly (readonly [readonly number[], readonly number[]])[] = [
  [
    [2, 3],
    [2, 3],
  ],
  [[2, 3], [3]],
  [
    [2, 1],
    [1, 3],
  ],
  [[4], []],
  [[], [2, 2]],
  [
    [2, 1, 3],
    [4, 1],
  ],
];

export const unary = (r: Rand, gen: Gen) => UNARY_SHAPES.map((s) => ({ name: fmt(s), inputs: [gen(r, s)] }));
export const binary = (r: Rand, genA: Gen, genB: Gen) =>
  BINARY_SHAPES.map(([a, b]) => ({ name: `${fmt(a)} with ${fmt(b)}`, inputs: [genA(r, a), genB(r, b)] }));
export const edge = (name: string, inputs: TensorData[], why = "edge values", keepDType = false) => ({
  name,
  inputs,
  forwardOnly: why,
  ...(keepDType ? { keepDType } : {}),
});

/** Ties: both operands equal at every other element (the gradient rule splits it evenly, as PyTorch does). */
export const tie = (r: Rand) => {
  const a = quarterGrid(r, [2, 3]);
  const b = f64([2, 3], (i) => (i % 2 ? Number(a.data[i]) : 0.6));
  return { name: "ties at every other element", inputs: [a, b], noGradcheck: "ties are a kink" };
};

export const REDUCE_DIMS: readonly { dims: number[]; keepdim: boolean }[] = [
  { dims: [], keepdim: false },
  { dims: [0], keepdim: false },
  { dims: [1], keepdim: true },
  { dims: [2], keepdim: false },
  { dims: [0, 2], keepdim: true },
  { dims: [0, 2], keepdim: false },
  { dims: [0, 1, 2], keepdim: false },
  { dims: [0, 1, 2], keepdim: true },
];
export const reduce = (r: Rand, gen: Gen, allowEmpty = true) =>
  REDUCE_DIMS.filter((d) => allowEmpty || d.dims.length).map(({ dims, keepdim }) => ({
    name: `[2,3,4] dims ${fmt(dims)}${keepdim ? " keepdim" : ""}`,
    inputs: [gen(r, [2, 3, 4])],
    attrs: { dims, keepdim },
  }));

export const cmp = (r: Rand) => [
  ...binary(r, quarterGrid, quarterGrid),
  { name: "equal operands", inputs: [fromValues([3], [1, 2, 3]), fromValues([3], [1, 0, 3])] },
  edge("NaN operands", [fromValues([4], [NAN, 1, NAN, 2]), fromValues([4], [NAN, NAN, 1, 2])]),
  edge("int64", [integers(r, [2, 3], -3, 3), integers(r, [3], -3, 3)]),
];
export const logical = (r: Rand) => [
  { name: "[2,3] with [3]", inputs: [bools(r, [2, 3]), bools(r, [3])] },
  { name: "[] with [4]", inputs: [bools(r, []), bools(r, [4])] },
];
export const matmul = (r: Rand, a: number[], b: number[]) => ({
  name: `${fmt(a)} @ ${fmt(b)}`,
  inputs: [uniform(r, a), uniform(r, b)],
});
export const ints32 = (r: Rand, shape: number[], lo: number, hi: number) =>
  integers(r, shape, lo, hi, "int32");

// Sample inputs for every op in the catalog: shapes, broadcasting, keepdim and dims, conv and pool
// strides, padding, dilation, groups, ceil mode, strided slices, gather/scatterAdd with random
// valid indices (the autograd catalog tests' cases), plus edge cases a backend gets wrong most
// often: NaN propagation, integer division and pow, casts, ties, bool and integer dtypes, empty
// tensors. `Record<OpName, ...>`: an op added to the catalog without samples here is a compile error.
//
// Shared by the autograd catalog tests (gradcheck, eager vs joint graph, TF.js's tf.grads) and the
// conformance suite (every backend against the reference interpreter); the flags say which checks
// apply to a sample. Each op draws from its own random stream (`sampleSeed`), so adding or
// changing one op's samples leaves every other op's values as they were.
import type { OpName } from "@aotjs/ir";
import { type Rand, rng } from "./generators.js";
import type { OpSample, SampleTable } from "./samples/common.js";
import { computeSamples } from "./samples/compute.js";
import { creationCompositeSamples } from "./samples/creation-composite.js";
import { pointwiseSamples } from "./samples/pointwise.js";
import { reductionLayoutSamples } from "./samples/reduction-layout.js";

export type { OpSample, SampleTable } from "./samples/common.js";

/** Each op's samples from that op's own random stream: adding a sample changes no other op's values. */
const builders: { readonly [K in OpName]: (r: Rand) => readonly OpSample<K>[] } = {
  ...pointwiseSamples,
  ...reductionLayoutSamples,
  ...computeSamples,
  ...creationCompositeSamples,
};

/**
 * The seed of one op's stream: FNV-1a over the op name, mixed with the table's seed, so streams
 * differ between ops and between table seeds.
 */
export function sampleSeed(seed: number, op: OpName): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < op.length; i++) h = Math.imul(h ^ op.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Every op's samples, generated from `seed` (the same seed gives the same table). */
export function makeSamples(seed = 20240601): SampleTable {
  const table: Partial<Record<OpName, readonly OpSample[]>> = {};
  for (const op of Object.keys(builders) as OpName[]) {
    table[op] = (builders[op] as (r: Rand) => readonly OpSample[])(rng(sampleSeed(seed, op)));
  }
  return table as SampleTable;
}

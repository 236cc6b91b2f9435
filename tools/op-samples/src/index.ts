// @aotjs/op-samples: the per-op sample table and its seeded generators. See README.md.

export * from "./cases.js";
export * from "./generators.js";
export { MiB, type PartitionCase, partitionCases } from "./partition-cases.js";
export { makeSamples, type OpSample, type SampleTable, sampleSeed } from "./samples.js";

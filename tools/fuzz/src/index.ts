// @aotjs/fuzz: seeded random tensor programs, checked across eager, aotFunction (both
// partitioners), ONNX Runtime and TF.js, with failures shrunk to a minimal program.
export { type CheckOptions, type CheckReport, checkProgram, type Failure, REFERENCE } from "./check.js";
export { FLOAT32_FACTOR, FLOAT32_FLOOR, FLOAT64_FACTOR, FLOAT64_FLOOR, judge } from "./compare.js";
export { formatProgram } from "./format.js";
export { type GenerateOptions, generateProgram } from "./generate.js";
export { buildFunction, domainViolation, inferMetas, makeInputs } from "./interpret.js";
export { type KnownDefect, knownDefectOf, knownDefects, type Recheck } from "./known-defects.js";
export {
  type Compilers,
  defaultCompilers,
  type ModeName,
  type ModeSpec,
  modeNames,
  modes,
  RunCrash,
  type RunResult,
  runMode,
  runRepeated,
} from "./modes.js";
export { type FuzzOp, fuzzOps, type OpDef, opTable } from "./ops/index.js";
export type { InputSpec, Meta, OutputSpec, Program, ProgramNode, VDType } from "./program.js";
export { Rng } from "./rng.js";
export {
  describeFailure,
  formatSummary,
  normalizeMessage,
  programSeed,
  type RealFailure,
  runSession,
  type SessionOptions,
  type Summary,
} from "./session.js";
export { type ShrinkOptions, type ShrinkResult, shrinkProgram } from "./shrink.js";

// The conformance runner: for every op and sample, a one-node forward graph and the op's
// partitioned backward graphs, compiled by the backend under test and compared with the reference
// interpreter. Backend-agnostic: it takes any `Compiler` (one that returns an Executable, or a
// Graph for the interpreter).
import { derivativeRules, notDifferentiable } from "@aotjs/autograd";
import {
  type Compiler,
  checkNode,
  cse,
  dce,
  type Graph,
  GraphBuilder,
  IRError,
  isExecutable,
  isFloating,
  type OpName,
  opNames,
  type TensorData,
  type TensorMeta,
  Value,
} from "@aotjs/ir";
import {
  convert,
  makeSamples,
  type OpSample,
  rng,
  type SampleTable,
  uniform,
  withFloatDType,
} from "@aotjs/op-samples";
import { defaultPartition, type PartitionResult } from "@aotjs/partitioner";
import { dispatch, interpret, type Tensor } from "@aotjs/tensor";
import { type DecompositionTable, decompose, jointGraphInfo } from "@aotjs/transforms";
import { compareTensors } from "./compare.js";

export interface GraphCheckOptions {
  /** Relative tolerance for floats (see `compareTensors`). Default 1e-5. */
  readonly rtol?: number;
  /** Ops the backend runs natively; every other op is decomposed first (as aotFunction would). Default: all. */
  readonly supportedOps?: Iterable<OpName>;
  /** Decompositions that override the defaults, as aotFunction's `decompositions` option. */
  readonly decompositions?: DecompositionTable;
}

export interface ConformanceOptions extends GraphCheckOptions {
  /** The float dtype samples run in. Default "float32". */
  readonly dtype?: "float32" | "float64";
  /** Only these ops. Default: every op in the catalog. */
  readonly ops?: readonly OpName[];
  /** Also check each differentiable op's forward and backward graphs from the joint graph. Default true. */
  readonly backward?: boolean;
  /** The partitioner for backward cases. Default `defaultPartition`. */
  readonly partition?: (joint: Graph, options: { numForwardOutputs: number }) => PartitionResult;
  /** The sample table. Default `makeSamples()`. */
  readonly samples?: SampleTable;
}

export interface ConformanceCase {
  /** `op / sample name / phase`, unique: a test title. */
  readonly id: string;
  readonly op: OpName;
  readonly sample: OpSample;
  /** "forward": the op alone; "backward": the partitioned forward and backward graphs of the op. */
  readonly phase: "forward" | "backward";
}

export interface OutputMismatch {
  readonly graph: string;
  readonly output: number;
  readonly value: string;
  readonly message: string;
}

export interface CaseResult {
  readonly id: string;
  readonly op: OpName;
  readonly status: "passed" | "failed" | "skipped";
  /** Why it failed or was skipped. */
  readonly message?: string;
  readonly mismatches?: readonly OutputMismatch[];
}

export interface ConformanceReport {
  readonly results: readonly CaseResult[];
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  /** One line per failure, then the counts: what a test prints. */
  readonly summary: string;
}

const isDifferentiable = (op: OpName) => derivativeRules[op] !== notDifferentiable;

/** Every (op, sample, phase) the options ask for, in catalog order: feed these to `test.each`. */
export function conformanceCases(options: ConformanceOptions = {}): ConformanceCase[] {
  const table = options.samples ?? makeSamples();
  const ops = options.ops ?? opNames;
  const cases: ConformanceCase[] = [];
  for (const op of ops) {
    for (const sample of table[op] as readonly OpSample[]) {
      cases.push({ id: `${op} / ${sample.name} / forward`, op, sample, phase: "forward" });
      const floatInputs = sample.inputs.some((t) => isFloating(t.dtype));
      const values = sample.inputs.map((t, i) => new Value(`x${i}`, t.meta));
      const floatOutput = isFloating(checkNode(op, values, sample.attrs, undefined).meta.dtype);
      if (
        (options.backward ?? true) &&
        isDifferentiable(op) &&
        floatInputs &&
        floatOutput &&
        !sample.forwardOnly
      ) {
        cases.push({ id: `${op} / ${sample.name} / backward`, op, sample, phase: "backward" });
      }
    }
  }
  return cases;
}

/** The sample's inputs in the dtype under test. */
function inputsOf(sample: OpSample, dtype: "float32" | "float64"): TensorData[] {
  return sample.keepDType ? [...sample.inputs] : withFloatDType(sample.inputs, dtype);
}

/** One node of `op` over placeholders `x0..xn`. */
export function singleOpGraph(op: OpName, inputs: readonly TensorMeta[], attrs: unknown): Graph {
  const b = new GraphBuilder(op);
  const xs = inputs.map((m, i) => b.input(`x${i}`, m));
  b.output([b.op(op, xs, attrs as never)]);
  return b.build();
}

/**
 * Compile `graph` with `compiler` (after decomposing to `supportedOps`), run it on `inputs`, and
 * compare every output with the reference interpreter's. Returns the mismatches (empty when the
 * backend agrees). Throws when compiling or running fails; the caller reports that.
 */
export async function checkGraph(
  compiler: Compiler,
  graph: Graph,
  inputs: readonly TensorData[],
  options: GraphCheckOptions & { readonly expected?: readonly TensorData[] } = {},
): Promise<OutputMismatch[]> {
  const expected = options.expected ?? interpret(graph, inputs);
  const target = options.supportedOps
    ? decompose(graph, options.supportedOps, options.decompositions)
    : graph;
  const compiled = await compiler(target, target.inputMetas);
  let actual: TensorData[];
  try {
    actual = isExecutable(compiled) ? await compiled.run(inputs) : interpret(compiled, inputs);
  } finally {
    if (isExecutable(compiled)) await compiled.dispose?.();
  }
  const mismatches: OutputMismatch[] = [];
  graph.outputs.forEach((v, i) => {
    const a = actual[i];
    const m = a ? compareTensors(a, expected[i]!, options.rtol ?? 1e-5) : { message: "missing" };
    if (m) mismatches.push({ graph: graph.name, output: i, value: v.name, message: m.message });
  });
  return mismatches;
}

/** Random tangents in [-1, 1) of the given metas, from a seed. */
function tangentsFor(metas: readonly TensorMeta[], seed: number): TensorData[] {
  const r = rng(seed);
  return metas.map((m) => convert(uniform(r, m.shape, -1, 1), m.dtype));
}

const seedOf = (id: string) => [...id].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 17);

/**
 * The joint graph of one op (floating inputs require grad), simplified and partitioned as
 * aotFunction does; returns both graphs and the reference's values to run and compare them on.
 */
function backwardGraphs(
  op: OpName,
  sample: OpSample,
  inputs: readonly TensorData[],
  options: ConformanceOptions,
) {
  const requiresGrad = inputs.map((t) => isFloating(t.dtype));
  const info = jointGraphInfo(
    (...xs: Tensor[]) => dispatch(op, xs, sample.attrs as never),
    inputs.map((t) => t.meta),
    requiresGrad,
  );
  if (info.numTangents === 0) return undefined;
  const joint = cse(dce(info.graph));
  const parts = (options.partition ?? defaultPartition)(joint, { numForwardOutputs: info.numForwardOutputs });
  // Each graph's inputs by their roles: the sample's tensors, captured constants, saved values, tangents.
  const forwardInputs = parts.forward.signature.inputs.map((role, i) => {
    if (role.kind === "user_input") return inputs[role.index]!;
    if (role.kind === "constant") return info.constants[role.index]!.value;
    throw new IRError(`conformance: ${op} forward input ${i} is a ${role.kind}, which no sample provides`);
  });
  const fwOut = interpret(parts.forward, forwardInputs);
  const bwRoles = parts.backward.signature.inputs;
  const tangents = tangentsFor(
    parts.backward.inputs.filter((_, i) => bwRoles[i]!.kind === "tangent").map((v) => v.meta),
    seedOf(op + sample.name),
  );
  let nextTangent = 0;
  const backwardInputs = bwRoles.map((role) =>
    role.kind === "saved" ? fwOut[role.forwardOutput]! : tangents[nextTangent++]!,
  );
  return { parts, forwardInputs, fwOut, backwardInputs };
}

/** Run one conformance case; never throws (a failure to compile or run is a failed result). */
export async function runConformanceCase(
  compiler: Compiler,
  c: ConformanceCase,
  options: ConformanceOptions = {},
): Promise<CaseResult> {
  const dtype = options.dtype ?? "float32";
  const inputs = inputsOf(c.sample, dtype);
  const base = { id: c.id, op: c.op };
  const supported = options.supportedOps ? new Set(options.supportedOps) : undefined;
  try {
    let mismatches: OutputMismatch[];
    if (c.phase === "forward") {
      const graph = singleOpGraph(
        c.op,
        inputs.map((t) => t.meta),
        c.sample.attrs,
      );
      mismatches = await checkGraph(compiler, graph, inputs, options);
    } else {
      const b = backwardGraphs(c.op, c.sample, inputs, options);
      if (!b) return { ...base, status: "skipped", message: "no output needs a gradient" };
      mismatches = [
        ...(await checkGraph(compiler, b.parts.forward, b.forwardInputs, { ...options, expected: b.fwOut })),
        ...(await checkGraph(compiler, b.parts.backward, b.backwardInputs, options)),
      ];
    }
    if (mismatches.length === 0) return { ...base, status: "passed" };
    const message = mismatches
      .map((m) => `${m.graph} output ${m.output} '${m.value}': ${m.message}`)
      .join("; ");
    return { ...base, status: "failed", message, mismatches };
  } catch (e) {
    const message = (e as Error)?.message ?? String(e);
    // A graph the backend declares it cannot run (see checkBackend) is a skip, not a failure.
    if ((e as Error)?.name === "UnsupportedByBackend") return { ...base, status: "skipped", message };
    // An op the backend doesn't run and that has no decomposition is a skip, not a failure.
    if (supported && !supported.has(c.op) && /no decomposition/.test(message)) {
      return { ...base, status: "skipped", message };
    }
    return { ...base, status: "failed", message };
  }
}

/**
 * Check `compiler` on every case (see `conformanceCases`) and summarize. For use outside a test
 * runner; inside one, prefer `test.each(conformanceCases(...))` with `runConformanceCase`, so each
 * case is its own test.
 */
export async function checkCompiler(
  compiler: Compiler,
  options: ConformanceOptions = {},
): Promise<ConformanceReport> {
  const results: CaseResult[] = [];
  for (const c of conformanceCases(options)) results.push(await runConformanceCase(compiler, c, options));
  return summarize(results);
}

/** Counts and a printable summary (one line per failure, then the counts) of case results. */
export function summarize(results: readonly CaseResult[]): ConformanceReport {
  const count = (s: CaseResult["status"]) => results.filter((r) => r.status === s).length;
  const failures = results.filter((r) => r.status === "failed").map((r) => `FAIL ${r.id}: ${r.message}`);
  const [passed, failed, skipped] = [count("passed"), count("failed"), count("skipped")];
  return {
    results,
    passed,
    failed,
    skipped,
    summary: [...failures, `${passed} passed, ${failed} failed, ${skipped} skipped`].join("\n"),
  };
}

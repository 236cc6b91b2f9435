// Delta debugging over a failing program: greedily apply the first simplification that still
// fails the same way, until none does. Simplifications: drop an output, bypass an op (use its
// argument instead), cut an op (its value becomes an input holding the same numbers, so
// everything upstream goes), drop an in-place update, stop requiring grad, shrink an input's dims.
import { noGrad, type Tensor } from "@aotjs/tensor";
import { buildFunction, inferMetas, makeInputs } from "./interpret.js";
import { numbers } from "./ops/helpers.js";
import {
  deadCodeEliminate,
  type InputSpec,
  isInput,
  type Meta,
  numel,
  type Program,
  type ProgramNode,
  removeNode,
  sameShape,
} from "./program.js";

export interface ShrinkOptions {
  /** At most this many candidate checks. Default 400. */
  readonly maxChecks?: number;
  /** Stop after this long (ms). Default 60 s. */
  readonly timeLimit?: number;
}

export interface ShrinkResult {
  readonly program: Program;
  readonly checks: number;
  readonly steps: number;
}

const opCount = (p: Program) => p.nodes.filter((n) => !isInput(n)).length;

/** The float64 value of every node in one eager run (for cuts), or undefined where it didn't run. */
function nodeValues(p: Program): (number[] | undefined)[] {
  const values: (number[] | undefined)[] = p.nodes.map(() => undefined);
  try {
    const inputs = makeInputs(p, { float: "float64" });
    let k = 0;
    p.nodes.forEach((n, i) => {
      if (isInput(n)) values[i] = numbers(inputs[k++]!);
    });
    const fn = buildFunction(p, { float: "float64" }, (i, _args, out: Tensor) => {
      values[i] = numbers(out);
    });
    noGrad(() => fn(...makeInputs(p, { float: "float64" })));
  } catch {
    // Nodes after the one that threw keep no value and are not cut.
  }
  return values;
}

function* candidates(p: Program, metas: readonly Meta[]): Generator<Program> {
  // Fewer outputs.
  if (p.outputs.length > 1)
    for (let k = 0; k < p.outputs.length; k++) yield { ...p, outputs: p.outputs.filter((_, j) => j !== k) };
  const values = nodeValues(p);
  for (let i = 0; i < p.nodes.length; i++) {
    const node = p.nodes[i]!;
    if (isInput(node)) continue;
    // Bypass: an argument of the same meta stands in for the op's result.
    for (const r of new Set(node.args)) {
      const m = metas[r]!;
      if (m.dtype === metas[i]!.dtype && sameShape(m.shape, metas[i]!.shape)) yield removeNode(p, i, r);
    }
    // Cut: the op's value becomes an input.
    const v = values[i];
    if (v && !node.op.startsWith("mutate_")) {
      const meta = metas[i]!;
      const input: InputSpec = {
        shape: meta.shape,
        dtype: meta.dtype,
        requiresGrad: meta.dtype === "float",
        init: { kind: "values", values: meta.dtype === "float" ? v.map(Math.fround) : v },
      };
      const cut: ProgramNode = { op: "input", args: [], attrs: {}, input };
      yield { ...p, nodes: p.nodes.map((n, j) => (j === i ? cut : n)) };
    }
  }
  // Inputs: no grad; smaller dims (seeded inputs only: explicit values have a fixed count).
  for (let i = 0; i < p.nodes.length; i++) {
    const spec = p.nodes[i]!.input;
    if (!spec) continue;
    if (spec.init.kind === "alias") continue;
    // An alias follows its source (same shape and requiresGrad).
    const replace = (input: InputSpec): Program => ({
      ...p,
      nodes: p.nodes.map((n, j) =>
        j === i
          ? { ...n, input }
          : n.input?.init.kind === "alias" && n.args[0] === i
            ? { ...n, input: { ...input, init: n.input.init } }
            : n,
      ),
    });
    if (spec.requiresGrad) yield replace({ ...spec, requiresGrad: false });
    if (spec.init.kind === "values") continue;
    for (let d = 0; d < spec.shape.length; d++) {
      const size = spec.shape[d]!;
      for (const smaller of new Set([1, Math.floor(size / 2)]))
        if (smaller >= 1 && smaller < size)
          yield replace({ ...spec, shape: spec.shape.map((s, k) => (k === d ? smaller : s)) });
    }
  }
}

/** Size of a program, to accept only simplifications: ops first, then inputs' elements, then outputs. */
const size = (p: Program) =>
  opCount(p) * 1e6 +
  p.nodes.reduce((n, x) => n + (x.input ? numel(x.input.shape) + (x.input.requiresGrad ? 1 : 0) : 0), 0) *
    10 +
  p.outputs.length;

export async function shrinkProgram(
  program: Program,
  stillFails: (candidate: Program) => Promise<boolean>,
  options: ShrinkOptions = {},
): Promise<ShrinkResult> {
  const maxChecks = options.maxChecks ?? 400;
  const deadline = Date.now() + (options.timeLimit ?? 60_000);
  let current = program;
  let checks = 0;
  let steps = 0;
  let progress = true;
  while (progress && checks < maxChecks && Date.now() < deadline) {
    progress = false;
    const metas = inferMetas(current);
    if (!Array.isArray(metas)) break;
    for (const raw of candidates(current, metas)) {
      if (checks >= maxChecks || Date.now() >= deadline) break;
      const candidate = deadCodeEliminate(raw);
      if (size(candidate) >= size(current) || !Array.isArray(inferMetas(candidate))) continue;
      checks++;
      if (await stillFails(candidate)) {
        current = candidate;
        steps++;
        progress = true;
        break;
      }
    }
  }
  return { program: current, checks, steps };
}

// The one-call kit for backend authors: every op's samples, forward and backward, through a
// `Backend` against the reference interpreter, skipping what the backend declares it lacks.
import { type Backend, type Compiler, type CompilerRole, IRError, type OpName, opNames } from "@aotjs/ir";
import { type DecompositionTable, defaultDecompositions } from "@aotjs/transforms";
import {
  type CaseResult,
  type ConformanceCase,
  type ConformanceOptions,
  type ConformanceReport,
  conformanceCases,
  runConformanceCase,
  summarize,
} from "./runner.js";

/** A graph holds a node the backend declares it cannot run: the case is skipped, not failed. */
export class UnsupportedByBackend extends IRError {
  override name = "UnsupportedByBackend";
}

export interface BackendCheckOptions extends Omit<ConformanceOptions, "supportedOps"> {
  /** Which of the backend's compilers runs the cases. Default "forward". */
  readonly role?: CompilerRole;
  /** Cases the backend cannot run for a reason its declarations don't show: return why, to skip. */
  readonly skip?: (c: ConformanceCase) => string | undefined;
}

/**
 * The backend's compiler behind a check of its declarations: a graph (after decomposition) with a
 * node outside `supportedOps` or `supportedDtypes` is refused with `UnsupportedByBackend`, as
 * aotFunction would have run that node on the reference interpreter instead.
 */
function declaredCompiler(backend: Backend<any>, role: CompilerRole): Compiler {
  const compile = backend.compiler(undefined, role);
  const dtypes = backend.supportedDtypes;
  return (graph, metas) => {
    for (const node of graph.nodes) {
      const bad =
        dtypes && [node.meta.dtype, ...node.inputs.map((v) => v.meta.dtype)].find((d) => !dtypes.has(d));
      if (!backend.supportedOps.has(node.op) || bad !== undefined) {
        throw new UnsupportedByBackend(
          `backend '${backend.name}' declares no ${bad === undefined ? `op '${node.op}'` : `dtype ${bad}`} (node '${node.name}' of graph '${graph.name}')`,
        );
      }
    }
    return compile(graph, metas);
  };
}

/**
 * Check `backend` on every conformance case (see `conformanceCases`): each op's one-node graph and
 * its partitioned forward and backward graphs, decomposed as aotFunction would (its own
 * decompositions over the defaults), compiled by the backend and compared with the reference
 * interpreter within `rtol`. A case whose graphs need an op or dtype the backend does not declare
 * is skipped with the reason; everything it declares must pass. Never throws; read the report:
 *
 *   const report = await checkBackend(myBackend);
 *   expect(report.failed, report.summary).toBe(0);
 */
export async function checkBackend(
  backend: Backend<any>,
  options: BackendCheckOptions = {},
): Promise<ConformanceReport> {
  const compiler = declaredCompiler(backend, options.role ?? "forward");
  const table: DecompositionTable = {
    ...defaultDecompositions,
    ...backend.decompositions,
    ...options.decompositions,
  };
  // Decompose what a rule rewrites; an op with no rule is left in, to be skipped by the check above.
  const supportedOps = opNames.filter(
    (op: OpName) => backend.supportedOps.has(op) || table[op] === undefined,
  );
  const run = { ...options, supportedOps, decompositions: table };
  const results: CaseResult[] = [];
  for (const c of conformanceCases(options)) {
    const reason = options.skip?.(c);
    if (reason !== undefined) {
      results.push({ id: c.id, op: c.op, status: "skipped", message: reason });
      continue;
    }
    const r = await runConformanceCase(compiler, c, run);
    results.push(r);
  }
  return summarize(results);
}

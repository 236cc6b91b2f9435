import {
  type AnyNode,
  type Backend,
  type Compiler,
  type CompilerRole,
  type Executable,
  type Graph,
  GraphBuilder,
  type OpName,
  opNames,
  type TensorData,
  type Value,
} from "@aotjs/ir";
import { Interpreter } from "@aotjs/tensor";
import { type DecompositionTable, defaultDecompositions } from "@aotjs/transforms";
import { compileGraph, runExecutable } from "./executable.js";

/** One node a backend cannot run, and why. */
export interface FallbackNode {
  readonly node: string;
  readonly op: OpName;
  readonly reason: string;
}

/** One piece of a split graph: consecutive work for the backend, or for the reference interpreter. */
export interface FallbackPiece {
  readonly runsOn: "backend" | "reference";
  /** The piece's graph: its inputs and outputs are the values it shares with other pieces. */
  readonly graph: Graph;
}

/**
 * How one graph was split because its backend lacks some of its ops or dtypes: the nodes that run
 * on the reference interpreter, why, and the pieces in run order.
 */
export interface FallbackReport {
  readonly backend: string;
  readonly role: CompilerRole;
  readonly graph: string;
  readonly nodes: readonly FallbackNode[];
  readonly pieces: readonly FallbackPiece[];
}

/**
 * The ops decomposition stops at, for a backend with a reference fallback: the backend's ops, and
 * every op no rule rewrites (those run on the reference interpreter instead of failing the
 * decomposition). An op with a rule is still rewritten, so more of the graph stays on the backend.
 */
export function fallbackStopOps(backend: Backend<any>, table: DecompositionTable = {}): Set<OpName> {
  const rules: DecompositionTable = { ...defaultDecompositions, ...table };
  return new Set(opNames.filter((op) => backend.supportedOps.has(op) || rules[op] === undefined));
}

/** Why `backend` cannot run `node`, or undefined when it can. */
function unsupportedReason(backend: Backend<any>, node: AnyNode): string | undefined {
  if (!backend.supportedOps.has(node.op)) return `op '${node.op}' is not in supportedOps`;
  const dtypes = backend.supportedDtypes;
  if (!dtypes) return undefined;
  const bad = [node.meta.dtype, ...node.inputs.map((v) => v.meta.dtype)].find((d) => !dtypes.has(d));
  return bad === undefined ? undefined : `dtype ${bad} is not in supportedDtypes`;
}

interface PieceRun extends FallbackPiece {
  /** The parent graph's values this piece reads, and those it produces for later pieces or outputs. */
  readonly inputs: readonly Value[];
  readonly outputs: readonly Value[];
}

/**
 * Split `graph` into maximal pieces that run wholly on the backend or wholly on the reference.
 * Each node gets a stage: backend stages are even, reference stages odd, and a node's stage is
 * the smallest of its parity not below any producer's (and above a producer on the other side).
 * Pieces are the stages: every edge goes to the same or a later stage, so running the stages in
 * order is a valid schedule and no piece waits on a later one.
 */
export function splitGraph(graph: Graph, onBackend: (node: AnyNode) => boolean): PieceRun[] {
  const stageOf = new Map<Value, number>();
  const stages = new Map<number, AnyNode[]>();
  for (const node of graph.nodes) {
    const side = onBackend(node) ? 0 : 1;
    let stage = side;
    for (const v of node.inputs) {
      const s = stageOf.get(v);
      if (s === undefined) continue; // a graph input
      const need = s % 2 === side ? s : s + 1;
      if (need > stage) stage = need;
    }
    stageOf.set(node.output, stage);
    const list = stages.get(stage);
    if (list) list.push(node);
    else stages.set(stage, [node]);
  }
  const outputs = new Set(graph.outputs);
  const ordered = [...stages.entries()].sort(([a], [b]) => a - b);
  return ordered.map(([stage, nodes], i) => {
    const own = new Set(nodes.map((n) => n.output));
    const inputs = [...new Set(nodes.flatMap((n) => n.inputs.filter((v) => !own.has(v))))];
    const later = new Set(
      ordered.slice(i + 1).flatMap(([, ns]) => ns.flatMap((n) => n.inputs.filter((v) => own.has(v)))),
    );
    const exported = nodes.map((n) => n.output).filter((v) => later.has(v) || outputs.has(v));
    const b = new GraphBuilder(`${graph.name}_part${i + 1}`);
    const map = new Map<Value, Value>(inputs.map((v) => [v, b.input(v.name, v.meta)]));
    for (const n of nodes) {
      map.set(
        n.output,
        b.opNamed(
          n.op,
          n.inputs.map((v) => map.get(v)!),
          n.attrs,
          n.name,
        ),
      );
    }
    b.output(exported.map((v) => map.get(v)!));
    return {
      runsOn: stage % 2 === 0 ? "backend" : "reference",
      graph: b.build(),
      inputs,
      outputs: exported,
    } satisfies PieceRun;
  });
}

/** A split graph: its backend pieces compiled, its reference pieces interpreted, run in order. */
class SplitExecutable implements Executable {
  readonly #lastUse = new Map<Value, number>();

  constructor(
    readonly graph: Graph,
    readonly pieces: readonly (PieceRun & { readonly exe: Executable })[],
  ) {
    pieces.forEach((p, i) => {
      for (const v of p.inputs) this.#lastUse.set(v, i);
    });
    for (const v of graph.outputs) this.#lastUse.set(v, Number.POSITIVE_INFINITY);
  }

  async run(inputs: readonly TensorData[]): Promise<TensorData[]> {
    const env = new Map<Value, TensorData>();
    this.graph.inputs.forEach((v, i) => {
      env.set(v, inputs[i]!);
    });
    for (let i = 0; i < this.pieces.length; i++) {
      const p = this.pieces[i]!;
      const outs = await runExecutable(
        p.exe,
        p.graph,
        p.inputs.map((v) => env.get(v)!),
      );
      p.outputs.forEach((v, k) => {
        env.set(v, outs[k]!);
      });
      // Free what no later piece reads, so a long graph does not hold every intermediate.
      for (const v of p.inputs) if (this.#lastUse.get(v) === i) env.delete(v);
    }
    return this.graph.outputs.map((v) => env.get(v)!);
  }

  async dispose(): Promise<void> {
    await Promise.all(this.pieces.map((p) => p.exe.dispose?.()));
  }
}

/** A reference piece: the interpreter, behind the Executable interface. */
const interpreted = (graph: Graph): Executable => {
  const interpreter = new Interpreter(graph);
  return { run: (inputs) => interpreter.run(inputs) };
};

/**
 * `compiler` (the backend's, for `role`) behind a reference fallback: a graph the backend runs
 * whole goes to it unchanged; otherwise the graph is split (see `splitGraph`), the backend
 * compiles its pieces, the rest runs on the reference interpreter, and `report` hears how.
 */
export function fallbackCompiler(
  backend: Backend<any>,
  role: CompilerRole,
  compiler: Compiler,
  report: (r: FallbackReport) => void,
): Compiler {
  return async (graph) => {
    const reasons = new Map<AnyNode, string>();
    for (const node of graph.nodes) {
      const why = unsupportedReason(backend, node);
      if (why !== undefined) reasons.set(node, why);
    }
    if (reasons.size === 0) return compiler(graph, graph.inputMetas);
    const pieces = splitGraph(graph, (n) => !reasons.has(n));
    const built: (PieceRun & { exe: Executable })[] = [];
    try {
      for (const p of pieces) {
        const exe =
          p.runsOn === "backend"
            ? await compileGraph(compiler, p.graph, `backend '${backend.name}'`)
            : interpreted(p.graph);
        built.push({ ...p, exe });
      }
    } catch (e) {
      await Promise.allSettled(built.map((p) => p.exe.dispose?.()));
      throw e;
    }
    report({
      backend: backend.name,
      role,
      graph: graph.name,
      nodes: [...reasons].map(([n, reason]) => ({ node: n.name, op: n.op, reason })),
      pieces: pieces.map(({ runsOn, graph: g }) => ({ runsOn, graph: g })),
    });
    return new SplitExecutable(graph, built);
  };
}

/** One line per fallen-back op for a warning: `matmul (2 nodes: op 'matmul' is not in supportedOps)`. */
export function describeFallback(r: FallbackReport): string {
  const byOp = new Map<string, { count: number; reason: string }>();
  for (const n of r.nodes) {
    const key = `${n.op}|${n.reason}`;
    const seen = byOp.get(key);
    if (seen) seen.count++;
    else byOp.set(key, { count: 1, reason: n.reason });
  }
  const ops = [...byOp].map(([key, { count, reason }]) => `${key.split("|")[0]} x${count} (${reason})`);
  const onBackend = r.pieces.filter((p) => p.runsOn === "backend").length;
  return (
    `backend '${r.backend}' cannot run ${r.nodes.length} node(s) of the ${r.role} graph '${r.graph}': ${ops.join(", ")}; ` +
    `they run on the reference interpreter, in ${r.pieces.length - onBackend} piece(s) between ${onBackend} backend piece(s)`
  );
}

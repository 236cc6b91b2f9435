import { type Graph, nodeFlops } from "@aotjs/ir";
import { OnnxBackendError } from "./errors.js";

/** Time in one bucket (an ONNX op type, an IR op or an IR node), averaged over the profiled runs. */
export interface ProfileRow {
  /** The ONNX op type, the IR op, or the IR node's name; ORT-made nodes no IR node owns are `(<opType>)`. */
  readonly name: string;
  /** For IR nodes: the IR op. For ONNX op types and IR ops: the number of kernels per run. */
  readonly detail: string;
  /** Kernel milliseconds per run. */
  readonly ms: number;
  /** Fraction of all kernel time. */
  readonly share: number;
  /**
   * For IR nodes and IR ops that do arithmetic (`nodeFlops` > 0): the rate their kernels reached,
   * GFLOP/s. It shows which matmuls run far from the machine's GEMM rate (small batched ones).
   * A matmul folded into a transpose's kernel (`permute_3/MatmulTransposeFusion/`) has its FLOPs
   * counted on the permute's row, which carries its time.
   */
  readonly gflops?: number;
}

/** Where one compiled graph's time went on ONNX Runtime, from ORT's own profiler. */
export interface OnnxProfile {
  readonly graph: string;
  /** Runs averaged over (those after `skip` warm-up runs). */
  readonly runs: number;
  /** Median wall time of ORT's `model_run`, ms. */
  readonly runMs: number;
  /**
   * Median over the runs of each run's summed kernel times, ms (a median as `runMs` is, so one
   * slow run moves neither); `runMs - kernelMs` is ORT's own overhead between kernels.
   */
  readonly kernelMs: number;
  /** By ONNX op type as ORT ran it (after its fusions: FusedMatMul, Gemm, ReorderInput, ...). */
  readonly byOpType: readonly ProfileRow[];
  /** By IR op (`conv2dBackwardWeight`), each ONNX kernel attributed to the IR node it lowers. */
  readonly byIrOp: readonly ProfileRow[];
  /** By IR node, slowest first. */
  readonly byNode: readonly ProfileRow[];
}

interface TraceEvent {
  readonly cat?: string;
  readonly name?: string;
  readonly ts?: number;
  readonly dur?: number;
  readonly args?: { readonly op_name?: string };
}

const KERNEL = "_kernel_time";
const CONTROL_FLOW = new Set(["If", "Loop", "Scan"]);

/**
 * The IR node an ORT node name belongs to. The lowering names ONNX nodes `<ir>` or `<ir>/<k>`;
 * ORT's fusions append `/<Fusion>/` to the first fused node's name and its layout pass derives
 * names like `<ir>__maxpool_1_nchwc`. Names no IR node owns (ORT's reorders) return undefined.
 */
function irNodeOf(onnxName: string, ir: ReadonlyMap<string, string>): string | undefined {
  const head = onnxName.split("/")[0]!;
  if (ir.has(head)) return head;
  for (let cut = head.lastIndexOf("__"); cut > 0; cut = head.lastIndexOf("__", cut - 1)) {
    const candidate = head.slice(0, cut);
    if (ir.has(candidate)) return candidate;
  }
  return undefined;
}

function rows(
  totals: ReadonlyMap<string, { ms: number; detail: string }>,
  all: number,
  runs: number,
  flops?: ReadonlyMap<string, number>,
): ProfileRow[] {
  return [...totals]
    .map(([name, { ms, detail }]) => {
      const f = flops?.get(name) ?? 0;
      const perRun = ms / runs;
      return {
        name,
        detail,
        ms: perRun,
        share: all > 0 ? ms / all : 0,
        ...(f > 0 && perRun > 0 ? { gflops: f / perRun / 1e6 } : {}),
      };
    })
    .sort((a, b) => b.ms - a.ms);
}

/**
 * Each timed IR node's FLOPs, with those of a matmul or conv that got no kernel of its own moved to
 * the one neighbour that carries it: a matmul whose transpose the lowering or ORT folded into one
 * FusedMatMul, which is named after the permute (`permute_3/MatmulTransposeFusion/`). That
 * neighbour is the one permute among its users with kernel time, else (no such user) the one such
 * producer; with several, or none, the FLOPs stay unattributed.
 */
function workOfKernels(graph: Graph, timed: ReadonlySet<string>): Map<string, number> {
  const work = new Map(graph.nodes.map((nd) => [nd.name, nodeFlops(nd)]));
  const carriersAmong = (ms: readonly { readonly name: string; readonly op: string }[]) => [
    ...new Set(ms.filter((m) => m.op === "permute" && timed.has(m.name)).map((m) => m.name)),
  ];
  for (const nd of graph.nodes) {
    const f = work.get(nd.name)!;
    if (f === 0 || timed.has(nd.name) || nd.category !== "compute-heavy") continue;
    const users = carriersAmong(graph.users(nd.output));
    const producers = carriersAmong(nd.inputs.flatMap((v) => (v.producer ? [v.producer] : [])));
    const carrier =
      users.length === 1 ? users[0] : users.length === 0 && producers.length === 1 ? producers[0] : undefined;
    if (carrier === undefined) continue;
    work.set(carrier, work.get(carrier)! + f);
    work.set(nd.name, 0);
  }
  return work;
}

/**
 * Summarise ORT's profile (Chrome trace JSON) of one session. Runs are delimited by ORT's
 * `model_run` events; the first `skip` are warm-up (arena growth, first-touch) and left out.
 */
export function summarizeOrtProfile(graph: Graph, events: readonly TraceEvent[], skip = 0): OnnxProfile {
  if (!Array.isArray(events))
    throw new OnnxBackendError(`graph '${graph.name}': ORT's profile is not a JSON array`);
  const runs = events
    .filter((e) => e.cat === "Session" && e.name === "model_run")
    .sort((a, b) => (a.ts ?? 0) - (b.ts ?? 0));
  const kept = runs.slice(Math.min(skip, Math.max(0, runs.length - 1)));
  const from = kept[0]?.ts ?? Number.POSITIVE_INFINITY;
  const ir = new Map(graph.nodes.map((n) => [n.name, n.op as string]));
  const byOpType = new Map<string, { ms: number; detail: string }>();
  const byIrOp = new Map<string, { ms: number; detail: string }>();
  const byNode = new Map<string, { ms: number; detail: string }>();
  const counts = new Map<string, number>();
  let all = 0;
  const perRun = kept.map(() => 0);
  const add = (m: Map<string, { ms: number; detail: string }>, key: string, ms: number, detail: string) => {
    const row = m.get(key) ?? { ms: 0, detail };
    row.ms += ms;
    m.set(key, row);
  };
  for (const e of events) {
    // names-are-not-roles: an ORT profiler event's name, not a graph value's.
    if (e.cat !== "Node" || !e.name?.endsWith(KERNEL) || (e.ts ?? 0) < from) continue;
    const ms = (e.dur ?? 0) / 1000;
    const opType = e.args?.op_name ?? "?";
    // A control-flow node's time is its subgraph's, whose kernels ORT reports one by one too.
    if (CONTROL_FLOW.has(opType)) continue;
    const node = irNodeOf(e.name.slice(0, -KERNEL.length), ir);
    const irOp = node === undefined ? `(${opType})` : ir.get(node)!;
    all += ms;
    const run = kept.findIndex((r) => (e.ts ?? 0) <= (r.ts ?? 0) + (r.dur ?? 0));
    if (run >= 0) perRun[run] += ms;
    add(byOpType, opType, ms, "");
    add(byIrOp, irOp, ms, "");
    add(byNode, node ?? `(${opType})`, ms, node === undefined ? "ORT" : irOp);
    for (const key of [`t:${opType}`, `o:${irOp}`]) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const n = Math.max(1, kept.length);
  const kernelsPerRun = (key: string) => `${Math.round((counts.get(key) ?? 0) / n)} kernels`;
  for (const [k, v] of byOpType) v.detail = kernelsPerRun(`t:${k}`);
  for (const [k, v] of byIrOp) v.detail = kernelsPerRun(`o:${k}`);
  const flopsOfNode = workOfKernels(graph, new Set(byNode.keys()));
  // An IR op's rate counts only its nodes that got kernel time (see `ProfileRow.gflops`).
  const flopsOfOp = new Map<string, number>();
  for (const name of byNode.keys()) {
    const op = ir.get(name);
    if (op !== undefined) flopsOfOp.set(op, (flopsOfOp.get(op) ?? 0) + flopsOfNode.get(name)!);
  }
  const median = (xs: readonly number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return sorted.length ? sorted[Math.floor(sorted.length / 2)]! : 0;
  };
  return {
    graph: graph.name,
    runs: kept.length,
    runMs: median(kept.map((r) => (r.dur ?? 0) / 1000)),
    kernelMs: median(perRun),
    byOpType: rows(byOpType, all, n),
    byIrOp: rows(byIrOp, all, n, flopsOfOp),
    byNode: rows(byNode, all, n, flopsOfNode),
  };
}

/** A profile as text: a header line, then the top rows of each table (ms per run, share, and the rate where the row does arithmetic). */
export function formatProfile(p: OnnxProfile, { top = 12 }: { top?: number } = {}): string {
  const table = (title: string, rs: readonly ProfileRow[]) => {
    const shown = rs.slice(0, top);
    const width = Math.max(title.length, ...shown.map((r) => r.name.length));
    const lines = shown.map(
      (r) =>
        `  ${r.name.padEnd(width)}  ${r.ms.toFixed(2).padStart(9)} ms  ${(100 * r.share).toFixed(1).padStart(5)}%  ${r.detail}${r.gflops === undefined ? "" : `, ${r.gflops.toPrecision(3)} GFLOP/s`}`,
    );
    const rest = rs.length - shown.length;
    return [`  ${title}`, ...lines, ...(rest > 0 ? [`  ... ${rest} more`] : [])].join("\n");
  };
  return [
    `graph '${p.graph}': ${p.runMs.toFixed(2)} ms per run (median of ${p.runs}), kernels ${p.kernelMs.toFixed(2)} ms`,
    table("ONNX op type", p.byOpType),
    table("IR op", p.byIrOp),
    table("IR node", p.byNode),
  ].join("\n");
}

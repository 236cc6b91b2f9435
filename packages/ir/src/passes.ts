import { GraphBuilder } from "./builder.js";
import { IRError } from "./errors.js";
import { type AnyNode, Graph, type Node, type Value } from "./graph.js";
import { catalog, type OpCategory, type OpName } from "./ops/index.js";
import { dimEquals } from "./symbolic.js";
import { byteSize, type TensorMeta } from "./tensor-data.js";

/**
 * Rebuild `graph` node by node. `rewrite` gets each node with its inputs already mapped into the
 * new graph and returns the value that replaces the node's result, or `undefined` to copy the node
 * unchanged; `mapped` gives the new value of any earlier value of `graph`. Inputs and outputs keep
 * their names and roles. The base of every pass here and of decompositions elsewhere.
 */
export function rewriteGraph(
  graph: Graph,
  rewrite: (
    node: AnyNode,
    inputs: Value[],
    b: GraphBuilder,
    mapped: (v: Value) => Value,
  ) => Value | undefined,
  name = graph.name,
): Graph {
  const b = new GraphBuilder(name);
  const map = new Map<Value, Value>();
  const mapped = (v: Value) => {
    const m = map.get(v);
    if (!m) throw new IRError(`rewriteGraph '${graph.name}': value '${v.name}' is read before it is defined`);
    return m;
  };
  graph.inputs.forEach((v, i) => {
    map.set(v, b.input(v.name, v.meta, graph.signature.inputs[i]));
  });
  for (const node of graph.nodes) {
    const inputs = node.inputs.map(mapped);
    // Whatever replaces a node belongs to its checkpoint region, so regions survive rewrites.
    b.region = node.region;
    const replaced = rewrite(node, inputs, b, mapped);
    map.set(node.output, replaced ?? b.op(node.op, inputs, node.attrs as never, node.name));
  }
  b.region = undefined;
  b.output(
    graph.outputs.map((v) => map.get(v)!),
    graph.signature.outputs,
  );
  return b.build();
}

/** Dead-code elimination: drop nodes no output depends on. Inputs and outputs stay, so does the signature. */
export function dce(graph: Graph): Graph {
  const live = new Set<Value>(graph.outputs);
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i]!;
    if (live.has(node.output)) for (const v of node.inputs) live.add(v);
  }
  const kept = graph.nodes.filter((n) => live.has(n.output));
  return kept.length === graph.nodes.length
    ? graph
    : new Graph(graph.name, graph.inputs, kept, graph.outputs, graph.signature);
}

/**
 * Common-subexpression elimination: a node with the same op, inputs and attributes as an earlier
 * one is replaced by it. Every op is a pure function of its inputs (random ops take their seed
 * and offset as inputs), so this never changes results.
 */
export function cse(graph: Graph): Graph {
  const seen = new Map<string, Value>();
  const ids = new Map<Value, number>();
  const id = (v: Value) => {
    let n = ids.get(v);
    if (n === undefined) {
      n = ids.size;
      ids.set(v, n);
    }
    return n;
  };
  let changed = false;
  const out = rewriteGraph(graph, (node, inputs, b) => {
    // NaN equals NaN here, and -0 differs from 0 (JSON.stringify alone would write both as 0).
    // The checkpoint region is part of the key: merging a node of one region into another's
    // would make the second read the first's inner value, which the partitioner must then save.
    const key = JSON.stringify([node.op, inputs.map(id), node.attrs, node.region ?? 0], (_, v) =>
      Object.is(v, -0) ? "-0" : typeof v === "number" && !Number.isFinite(v) ? String(v) : v,
    );
    const hit = seen.get(key);
    if (hit) {
      changed = true;
      return hit;
    }
    const v = b.op(node.op, inputs, node.attrs as never, node.name);
    seen.set(key, v);
    return v;
  });
  return changed ? dce(out) : graph;
}

/**
 * A sum of zero-pads that tile one dim is the concatenation of what they pad:
 * `add(add(pad(a, [0,0,128]), pad(b, [0,0,64], [0,0,64])), pad(c, after [0,0,128]))` is
 * `concat([c, b, a], 2)`. Reverse mode writes this for every split tensor (each slice's gradient is
 * a pad; gptMini's fused q, k, v projection gets two adds over three pads per layer), where one
 * Concat moves a third of the bytes. Exact: each element adds zeros to one value (only a -0 may come
 * back as 0, as torch.cat would not make it).
 */
export function padSumsToConcat(graph: Graph): Graph {
  type Piece = { x: Value; dim: number; at: number };
  // Memoized: add trees share subtrees (add(s, s) chains), which a plain recursion revisits.
  const memo = new Map<Value, Piece[] | undefined>();
  const pieces = (v: Value): Piece[] | undefined => {
    if (!memo.has(v)) memo.set(v, piecesOf(v));
    return memo.get(v);
  };
  /** The zero-pad pieces summed into `v`, or undefined where `v` is not such a sum. */
  const piecesOf = (v: Value): Piece[] | undefined => {
    const n = v.producer;
    if (n?.op === "pad") {
      const { before, after, value } = n.attrs as { before: number[]; after: number[]; value: number };
      const padded = before.flatMap((b, d) => (b !== 0 || after[d] !== 0 ? [d] : []));
      if (value !== 0 || padded.length !== 1) return undefined;
      const [dim] = padded as [number];
      const width = n.inputs[0]!.meta.shape[dim];
      if (typeof width !== "number" || width < 1) return undefined;
      return [{ x: n.inputs[0]!, dim, at: before[dim]! }];
    }
    const sameShape = (x: Value) =>
      x.meta.shape.length === v.meta.shape.length &&
      x.meta.shape.every((d, i) => dimEquals(d, v.meta.shape[i]!));
    if (n?.op !== "add" || !n.inputs.every(sameShape)) return undefined;
    const l = pieces(n.inputs[0]!);
    const r = l && pieces(n.inputs[1]!);
    // Pieces at least 1 wide tile a dim of size d with at most d of them; more must overlap (and
    // add(s, s) chains would double the list at every level).
    const limit = l && v.meta.shape[l[0]!.dim];
    if (!l || !r || typeof limit !== "number" || l.length + r.length > limit) return undefined;
    return [...l, ...r];
  };
  const tiling = (v: Value) => {
    const found = pieces(v);
    if (!found || found.length < 2) return undefined;
    const dim = found[0]!.dim;
    if (found.some((p) => p.dim !== dim)) return undefined;
    const ps = [...found].sort((a, b) => a.at - b.at);
    let end = 0;
    for (const p of ps) {
      const size = p.x.meta.shape[dim];
      if (p.at !== end || typeof size !== "number") return undefined;
      end += size;
    }
    return end === v.meta.shape[dim] ? { inputs: ps.map((p) => p.x), dim } : undefined;
  };
  const plans = new Map<Node, { inputs: Value[]; dim: number }>();
  for (const n of graph.nodes) {
    const plan = n.op === "add" ? tiling(n.output) : undefined;
    if (plan) plans.set(n, plan);
  }
  if (plans.size === 0) return graph;
  const out = rewriteGraph(graph, (node, _inputs, b, mapped) => {
    const plan = plans.get(node);
    return plan && b.op("concat", plan.inputs.map(mapped), { dim: plan.dim });
  });
  return dce(out);
}

const COMPARISONS: ReadonlySet<string> = new Set(["eq", "ne", "lt", "le", "gt", "ge"]);

/**
 * Whether `v` is a `full` of `value`, compared with Object.is (so a `full` of -0 is not one of 0,
 * and NaN is one of NaN): a where's constant branch, as passes and lowerings match it.
 */
export const isFullOf = (v: Value | undefined, value: number): boolean => {
  const p = v?.producer as AnyNode | undefined;
  return p?.op === "full" && Object.is(p.attrs.value, value);
};

/**
 * A max pool's gradient masked by a comparison of the pool's input with a scalar is the gradient
 * masked before it is routed, by the same comparison of the pool's output:
 *   where(cmp(x, s), maxPool2dBackward(g, x), 0) = maxPool2dBackward(where(cmp(maxPool2d(x), s), g, 0), x).
 * Each window routes its gradient to an element equal to the window's max (or its NaN), so the
 * comparison answers alike at both ends, and a masked window routes zeros. ReLU's backward after
 * a pool over ReLU's output (every ResNet's stem) then runs on the pooled plane: a quarter of the
 * elements at stride 2. Exact: every element sums the same gradients in the same order, or is 0.
 * The new maxPool2d is the forward's own, for CSE to merge.
 */
export function maskPooledGradients(graph: Graph): Graph {
  const outputs = new Set(graph.outputs);
  const plans = new Map<Node, { cmp: Node; pooled: Node }>();
  for (const n of graph.nodes) {
    if (n.op !== "where") continue;
    const [c, routed, zero] = n.inputs as [Value, Value, Value];
    const pooled = routed.producer;
    const cmp = c.producer;
    if (
      pooled?.op !== "maxPool2dBackward" ||
      !cmp ||
      !COMPARISONS.has(cmp.op) ||
      zero.meta.shape.length > 0 ||
      !isFullOf(zero, 0)
    )
      continue;
    const x = pooled.inputs[1]!;
    const [l, r] = cmp.inputs as [Value, Value];
    const scalarAgainstX = (l === x && r.meta.shape.length === 0) || (r === x && l.meta.shape.length === 0);
    if (!scalarAgainstX || outputs.has(routed) || graph.users(routed).length !== 1) continue;
    plans.set(n, { cmp, pooled });
  }
  if (plans.size === 0) return graph;
  const out = rewriteGraph(graph, (node, _inputs, b, mapped) => {
    const plan = plans.get(node);
    if (!plan) return undefined;
    const { cmp, pooled } = plan;
    const x = pooled.inputs[1]!;
    const y = b.op("maxPool2d", [mapped(x)], pooled.attrs as never);
    const test = b.op(
      cmp.op,
      cmp.inputs.map((v) => (v === x ? y : mapped(v))),
      cmp.attrs as never,
    );
    const masked = b.op("where", [test, mapped(pooled.inputs[0]!), mapped(node.inputs[2]!)], {});
    return b.op("maxPool2dBackward", [masked, mapped(x)], pooled.attrs as never);
  });
  return dce(out);
}

/**
 * Order nodes so each comes after the nodes it reads (stable: keeps the given order where it can).
 * Throws on a cycle, naming the nodes on it.
 */
export function topologicalSort(nodes: readonly Node[]): Node[] {
  const produced = new Map(nodes.map((n) => [n.output, n]));
  const state = new Map<Node, "visiting" | "done">();
  const order: Node[] = [];
  // Depth-first with an explicit stack, so a long chain in reverse order can't overflow the call stack.
  for (const root of nodes) {
    if (state.has(root)) continue;
    const stack: { node: Node; next: number }[] = [{ node: root, next: 0 }];
    state.set(root, "visiting");
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.next < top.node.inputs.length) {
        const p = produced.get(top.node.inputs[top.next++]!);
        if (p === undefined || state.get(p) === "done") continue;
        if (state.get(p) === "visiting") {
          const path = stack.map((f) => f.node);
          const cycle = [...path.slice(path.indexOf(p)), p].map((m) => m.name);
          throw new IRError(`topologicalSort: cycle through ${cycle.join(" -> ")}`);
        }
        state.set(p, "visiting");
        stack.push({ node: p, next: 0 });
      } else {
        stack.pop();
        state.set(top.node, "done");
        order.push(top.node);
      }
    }
  }
  return order;
}

/** Counts of a graph: inputs, nodes, outputs, nodes per op and per category, bytes per value. */
export interface GraphStats {
  readonly numInputs: number;
  readonly numNodes: number;
  readonly numOutputs: number;
  readonly opCounts: Partial<Record<OpName, number>>;
  readonly categoryCounts: Partial<Record<OpCategory, number>>;
  /** Bytes of every value, inputs first, in graph order. */
  readonly valueBytes: readonly {
    readonly name: string;
    readonly meta: TensorMeta;
    readonly bytes: number;
  }[];
  readonly inputBytes: number;
  readonly nodeBytes: number;
  readonly outputBytes: number;
  /** inputBytes + nodeBytes: every value materialized at once, an upper bound on peak memory. */
  readonly totalBytes: number;
}

/** The counts of `graph`. */
export function graphStats(graph: Graph): GraphStats {
  const opCounts: Partial<Record<OpName, number>> = {};
  const categoryCounts: Partial<Record<OpCategory, number>> = {};
  for (const n of graph.nodes) {
    opCounts[n.op] = (opCounts[n.op] ?? 0) + 1;
    const c = catalog[n.op].category;
    categoryCounts[c] = (categoryCounts[c] ?? 0) + 1;
  }
  const valueBytes = graph.values.map((v) => ({ name: v.name, meta: v.meta, bytes: byteSize(v.meta) }));
  const sum = (vs: readonly Value[]) => vs.reduce((a, v) => a + byteSize(v.meta), 0);
  const inputBytes = sum(graph.inputs);
  const nodeBytes = sum(graph.nodes.map((n) => n.output));
  return {
    numInputs: graph.inputs.length,
    numNodes: graph.nodes.length,
    numOutputs: graph.outputs.length,
    opCounts,
    categoryCounts,
    valueBytes,
    inputBytes,
    nodeBytes,
    outputBytes: sum(graph.outputs),
    totalBytes: inputBytes + nodeBytes,
  };
}

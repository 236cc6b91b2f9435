import { AutogradError } from "@aotjs/autograd";
import { checkSignature, formatMeta, Graph, type OpAttrs, type OpName } from "@aotjs/ir";
import { type DispatchHandler, dispatch, Tensor, where, withMode } from "@aotjs/tensor";
import { trace } from "@aotjs/tracer";
import { replayGraph } from "./replay.js";

/** A decomposition: the op rewritten with Tensor operations (which dispatch other ops). */
export type Decomposition<K extends OpName> = (inputs: readonly Tensor[], attrs: OpAttrs<K>) => Tensor;
/** Per op, a rewrite into smaller ops (written against the Tensor API). */
export type DecompositionTable = { readonly [K in OpName]?: Decomposition<K> };

/**
 * Default rewrites of ops a backend may lack into more basic ones. Each must only produce ops
 * that are "more basic" than itself, so rewriting terminates.
 */
export const defaultDecompositions: DecompositionTable = {
  rsqrt: ([x]) => x!.sqrt().reciprocal(),
  reciprocal: ([x]) => dispatch("div", [dispatch("full", [], { shape: [], value: 1, dtype: x!.dtype }), x!]),
  sigmoid: ([x]) => x!.neg().exp().add(1).reciprocal(),
  relu: ([x]) => x!.maximum(0),
  sign: ([x]) => where(x!.gt(0), 1, where(x!.lt(0), -1, x!.mul(0))).to(x!.dtype),
  logicalNot: ([x]) => x!.eq(0),
  mean: ([x], { dims, keepdim }) =>
    dispatch("sum", [x!], { dims, keepdim }).div(dims.reduce((n, d) => n * x!.shape[d]!, 1)),
  amin: ([x], { dims, keepdim }) => dispatch("amax", [x!.neg()], { dims, keepdim }).neg(),
  squeeze: ([x], { dims }) => x!.reshape(x!.shape.filter((_, i) => !dims.includes(i))),
  unsqueeze: ([x], { dims }) => {
    // dims are positions in the output: 1s go there, the input's dims fill the rest in order.
    const rest = [...x!.shape];
    return x!.reshape(
      Array.from({ length: rest.length + dims.length }, (_, i) => (dims.includes(i) ? 1 : rest.shift()!)),
    );
  },
  sub: ([a, b]) => dispatch("add", [a!, b!.neg()]),
  // The composites, in core ops; subtracting the max keeps exp from overflowing.
  batchNorm: ([x, w, b], { eps }) => {
    const dims = x!.shape.map((_, i) => i).filter((i) => i !== 1);
    const channel = x!.shape.map((d, i) => (i === 1 ? d : 1));
    const centered = x!.sub(dispatch("mean", [x!], { dims, keepdim: true }));
    const variance = dispatch("mean", [centered.mul(centered)], { dims, keepdim: true });
    // Scale per channel first: one full-size multiply instead of two.
    const scale = variance.add(eps).rsqrt().mul(w!.reshape(channel));
    return centered.mul(scale).add(b!.reshape(channel));
  },
  layerNorm: ([x, w, b], { normalizedRank, eps }) => {
    const dims = Array.from({ length: normalizedRank }, (_, i) => x!.ndim - normalizedRank + i);
    const centered = x!.sub(dispatch("mean", [x!], { dims, keepdim: true }));
    const variance = dispatch("mean", [centered.mul(centered)], { dims, keepdim: true });
    return centered.mul(variance.add(eps).rsqrt()).mul(w!).add(b!);
  },
  softmax: ([x], { dim }) => {
    const e = x!.sub(dispatch("amax", [x!], { dims: [dim], keepdim: true })).exp();
    return e.div(dispatch("sum", [e], { dims: [dim], keepdim: true }));
  },
  logSoftmax: ([x], { dim }) => {
    const shifted = x!.sub(dispatch("amax", [x!], { dims: [dim], keepdim: true }));
    return shifted.sub(dispatch("sum", [shifted.exp()], { dims: [dim], keepdim: true }).log());
  },
};

/**
 * Rewrite `graph` until only `supportedOps` remain, using `table` entries over the defaults.
 * Works by replaying the graph under the tracer with a mode that expands unsupported ops as they
 * are dispatched, so decompositions may use any Tensor method and nest freely.
 */
export function decompose(
  graph: Graph,
  supportedOps: Iterable<OpName>,
  table: DecompositionTable = {},
): Graph {
  const supported = new Set(supportedOps);
  const rules: DecompositionTable = { ...defaultDecompositions, ...table };
  if (graph.nodes.every((n) => supported.has(n.op))) return graph;
  const depth = { now: 0 };
  const mode: DispatchHandler = {
    name: "decompose",
    op(call, next) {
      if (supported.has(call.op)) return next(call);
      const rule = rules[call.op] as Decomposition<OpName> | undefined;
      if (!rule) {
        throw new AutogradError(
          `decompose: op '${call.op}' is not supported by the target and has no decomposition; pass one in the table`,
        );
      }
      if (++depth.now > 64) throw new AutogradError(`decompose: '${call.op}' keeps decomposing into itself`);
      try {
        return rule(call.inputs, call.attrs);
      } finally {
        depth.now--;
      }
    },
  };
  const replay = replayGraph(graph);
  const result = trace(
    (...inputs: Tensor[]) => withMode(mode, () => replay(...inputs)),
    graph.inputs.map((v) => Tensor.fake(v.meta)),
    {
      name: graph.name,
      inputNames: graph.inputs.map((v) => v.name),
      inputRoles: graph.signature.inputs,
    },
  );
  if (result.constants.length) {
    // The tracer would make each captured tensor a new graph input, changing the graph's signature.
    const names = result.constants.map((c) => `${c.name}: ${formatMeta(c.value)}`).join(", ");
    throw new AutogradError(
      `decompose '${graph.name}': a decomposition captured a tensor constant (${names}); build constants with ops or scalars`,
    );
  }
  // Same inputs and outputs, so the same signature (the trace only knows them as user outputs).
  const g = result.graph;
  const decomposed = new Graph(g.name, g.inputs, g.nodes, g.outputs, graph.signature);
  checkSignature(decomposed);
  return decomposed;
}

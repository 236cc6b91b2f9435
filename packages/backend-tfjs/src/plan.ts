import { type AnyNode, type Graph, type Node, numel, type OpName, type Value } from "@aotjs/ir";
import type { BackendTraits } from "./lower/index.js";

/**
 * Which nodes run as TF.js steps, which are fused, which are evaluated on the host, and which are
 * dead. Pure graph analysis: nothing here touches TF.js.
 */

/** A step's kernel comes from the node's own lowering, or a fused matmul (+ bias add, + relu). */
export type StepKind =
  | { readonly kind: "node" }
  | {
      readonly kind: "matmul";
      readonly matmul: Node<"matmul">;
      readonly transposeA: boolean;
      readonly transposeB: boolean;
      /** The nodes folded into this step, for error messages. */
      readonly absorbed: readonly Node[];
      readonly bias: boolean;
      readonly relu: boolean;
    };

export interface PlannedStep {
  /** The node whose output the step produces (for a fused step, the last node fused). */
  readonly node: AnyNode;
  /** The values the kernel reads, in kernel order (a fused step reads its sources directly). */
  readonly inputs: readonly Value[];
  readonly kind: StepKind;
}

export interface Plan {
  readonly steps: readonly PlannedStep[];
  /** Integer scalars computed exactly (BigInt) on the host: the random ops' seeds and offsets. */
  readonly hostNodes: readonly AnyNode[];
  readonly hostValues: ReadonlySet<Value>;
}

/** Inputs the random ops read as host integers (their kernels say the same). */
export const HOST_INPUTS: { readonly [K in OpName]?: readonly number[] } = {
  uniform: [0, 1],
  bernoulli: [0, 1],
};

/** Ops the host evaluator runs on one-element integer values (what RNG offset arithmetic uses). */
const HOST_OPS = new Set<OpName>([
  "full",
  "add",
  "sub",
  "mul",
  "neg",
  "cast",
  "reshape",
  "squeeze",
  "unsqueeze",
  "expand",
]);

const isIntMeta = (v: Value) => v.meta.dtype === "int32" || v.meta.dtype === "int64";

function hostPlan(graph: Graph): { hostNodes: AnyNode[]; hostValues: Set<Value> } {
  const memo = new Map<Value, boolean>();
  const hostable = (v: Value): boolean => {
    let r = memo.get(v);
    if (r !== undefined) return r;
    r = isIntMeta(v) && numel(v.meta.shape) === 1;
    const p = v.producer;
    if (r && p) r = HOST_OPS.has(p.op) && p.inputs.every(hostable);
    memo.set(v, r);
    return r;
  };
  const hostValues = new Set<Value>();
  const add = (v: Value) => {
    if (hostValues.has(v) || !hostable(v)) return;
    hostValues.add(v);
    v.producer?.inputs.forEach(add);
  };
  for (const node of graph.nodes) {
    for (const i of HOST_INPUTS[node.op] ?? []) add(node.inputs[i]!);
  }
  const hostNodes = graph.nodes.filter((n) => hostValues.has(n.output));
  return { hostNodes, hostValues };
}

const swapsLastTwo = (n: AnyNode) => {
  if (n.op !== "permute") return false;
  const dims = n.attrs.dims;
  const r = dims.length;
  return r >= 2 && dims.every((d, i) => (i < r - 2 ? d === i : d === (i === r - 2 ? r - 1 : r - 2)));
};

/**
 * matmul fusions, decided at the matmul and emitted at the last node they cover (so every input,
 * a bias computed after the matmul included, exists by then):
 * - a permute of the last two dims folds into TF.js's transpose flag, where the backend runs
 *   transposed products at full speed (not wasm: see BackendTraits);
 * - `add(matmul, bias)` with a [n] bias, when the add is the product's only user, and a relu that is
 *   the add's (or the product's) only user, become one tf.fused.matMul.
 */
function matmulFusion(graph: Graph, m: Node<"matmul">, traits: BackendTraits, outputs: ReadonlySet<Value>) {
  const only = (v: Value): AnyNode | undefined => {
    const users = graph.users(v);
    return users.length === 1 && !outputs.has(v) ? (users[0] as AnyNode) : undefined;
  };
  const fold = (v: Value): [Value, boolean] => {
    const p = v.producer as AnyNode | undefined;
    return traits.fastTransposedMatMul && p && swapsLastTwo(p) ? [p.inputs[0]!, true] : [v, false];
  };
  const [a, transposeA] = fold(m.inputs[0]!);
  const [b, transposeB] = fold(m.inputs[1]!);
  const inputs = [a, b];
  const absorbed: Node[] = [];
  let last: AnyNode = m as AnyNode;
  let bias = false;
  let relu = false;
  if (m.meta.dtype === "float32") {
    const n = m.meta.shape.at(-1)!;
    const user = only(m.output);
    if (user?.op === "add" && user.inputs[0] !== user.inputs[1]) {
      const other = user.inputs[0] === m.output ? user.inputs[1]! : user.inputs[0]!;
      if (
        other.meta.shape.length === 1 &&
        other.meta.shape[0] === n &&
        user.meta.shape.join() === m.meta.shape.join()
      ) {
        inputs.push(other);
        absorbed.push(last);
        last = user;
        bias = true;
      }
    }
    const next = only(last.output);
    if (next?.op === "relu") {
      absorbed.push(last);
      last = next;
      relu = true;
    }
  }
  if (!transposeA && !transposeB && !bias && !relu) return undefined;
  return {
    last,
    step: {
      node: last,
      inputs,
      kind: { kind: "matmul" as const, matmul: m, transposeA, transposeB, absorbed, bias, relu },
    },
  };
}

export function planGraph(graph: Graph, traits: BackendTraits): Plan {
  const outputs = new Set(graph.outputs);
  const { hostNodes, hostValues } = hostPlan(graph);
  const fusedAt = new Map<AnyNode, PlannedStep>();
  const skip = new Set<AnyNode>();
  const emitted: PlannedStep[] = [];
  for (const node of graph.nodes) {
    if (node.op === "matmul" && !skip.has(node)) {
      const f = matmulFusion(graph, node, traits, outputs);
      if (f) {
        for (const n of f.step.kind.absorbed) skip.add(n as AnyNode);
        fusedAt.set(f.last, f.step);
      }
    }
    const fused = fusedAt.get(node);
    if (fused) emitted.push(fused);
    else if (!skip.has(node)) emitted.push({ node, inputs: node.inputs, kind: { kind: "node" } });
  }
  // Dead-step elimination: a step runs when a graph output or a live step reads its value on device.
  const inputs = new Set(graph.inputs);
  const live = new Set<Value>();
  const need = (v: Value) => {
    if (!inputs.has(v) && !hostValues.has(v)) live.add(v);
  };
  graph.outputs.forEach(need);
  const steps: PlannedStep[] = [];
  for (let i = emitted.length - 1; i >= 0; i--) {
    const step = emitted[i]!;
    if (!live.has(step.node.output)) continue;
    steps.push(step);
    step.inputs.forEach(need);
  }
  return { steps: steps.reverse(), hostNodes, hostValues };
}

import { formatMeta, type Graph, GraphBuilder, type InputMutation, IRError, type Value } from "@aotjs/ir";

/** Raised when a joint graph can't be split as asked; the message names the value at fault. */
export class PartitionError extends IRError {
  override name = "PartitionError";
}

export interface PartitionOptions {
  /** How many of the joint graph's outputs are forward outputs; the rest are gradients. */
  readonly numForwardOutputs: number;
  /**
   * Which joint inputs are tangents (the incoming gradients). Default: names starting with
   * `tangents`, as `jointGraph` names them. Every other input (primals, constants) is a forward input.
   */
  readonly isTangent?: (input: Value, index: number) => boolean;
}

export interface PartitionResult {
  /** Inputs: the joint's non-tangent inputs. Outputs: the forward outputs, then the saved values. */
  readonly forward: Graph;
  /** Inputs: the saved values (same names), then the tangents. Outputs: the gradients. */
  readonly backward: Graph;
  /** Values of the joint graph passed from forward to backward, in joint-graph order. */
  readonly savedValues: readonly Value[];
  readonly numForwardOutputs: number;
}

export const defaultIsTangent = (input: Value): boolean => input.name.startsWith("tangents");

/**
 * Facts about a joint graph both partitioners share. Values are numbered inputs first, then node
 * results, so a number's order is a topological order.
 */
export interface JointAnalysis {
  readonly graph: Graph;
  readonly values: readonly Value[];
  readonly index: ReadonlyMap<Value, number>;
  /** Distinct consumers of each value, as value numbers. */
  readonly users: readonly (readonly number[])[];
  readonly numInputs: number;
  readonly forwardInputs: readonly Value[];
  readonly tangents: readonly Value[];
  readonly forwardOutputs: readonly Value[];
  readonly backwardOutputs: readonly Value[];
  /** A tangent or anything computed from one: must run in the backward graph. */
  readonly tangentDependent: Uint8Array;
  /** Forward inputs and the nodes the forward outputs need: what the forward graph must run. */
  readonly forwardRequired: Uint8Array;
  /**
   * Nodes with no inputs (`full`, `arange`: how scalars enter a graph). PyTorch keeps these as
   * literals inside the ops that use them, so they are redone wherever needed, never saved.
   */
  readonly isLiteral: Uint8Array;
}

export function analyzeJoint(graph: Graph, options: PartitionOptions): JointAnalysis {
  const { numForwardOutputs } = options;
  if (
    !Number.isInteger(numForwardOutputs) ||
    numForwardOutputs < 0 ||
    numForwardOutputs > graph.outputs.length
  ) {
    throw new PartitionError(
      `partition '${graph.name}': numForwardOutputs must be an integer in [0, ${graph.outputs.length}], got ${numForwardOutputs}`,
    );
  }
  const isTangent = options.isTangent ?? defaultIsTangent;
  const values = graph.values;
  const index = new Map<Value, number>();
  values.forEach((v, i) => {
    index.set(v, i);
  });
  const n = values.length;
  const numInputs = graph.inputs.length;

  const users: number[][] = values.map(() => []);
  const tangentDependent = new Uint8Array(n);
  const isLiteral = new Uint8Array(n);
  const forwardInputs: Value[] = [];
  const tangents: Value[] = [];
  graph.inputs.forEach((v, i) => {
    if (isTangent(v, i)) {
      tangentDependent[i] = 1;
      tangents.push(v);
    } else forwardInputs.push(v);
  });
  graph.nodes.forEach((node, k) => {
    const i = numInputs + k;
    if (node.inputs.length === 0) isLiteral[i] = 1;
    for (const v of node.inputs) {
      const j = index.get(v)!;
      const list = users[j]!;
      if (list[list.length - 1] !== i) list.push(i);
      tangentDependent[i]! |= tangentDependent[j]!;
    }
  });

  const forwardOutputs = graph.outputs.slice(0, numForwardOutputs);
  const backwardOutputs = graph.outputs.slice(numForwardOutputs);
  forwardOutputs.forEach((v, i) => {
    if (tangentDependent[index.get(v)!]) {
      throw new PartitionError(
        `partition '${graph.name}': forward output ${i} '${v}' depends on a tangent; is numForwardOutputs (${numForwardOutputs}) right?`,
      );
    }
  });

  const forwardRequired = new Uint8Array(n);
  graph.inputs.forEach((_, i) => {
    if (!tangentDependent[i]) forwardRequired[i] = 1;
  });
  const stack = forwardOutputs.map((v) => index.get(v)!);
  while (stack.length > 0) {
    const i = stack.pop()!;
    if (forwardRequired[i]) continue;
    forwardRequired[i] = 1;
    for (const v of values[i]!.producer!.inputs) stack.push(index.get(v)!);
  }

  return {
    graph,
    values,
    index,
    users,
    numInputs,
    forwardInputs,
    tangents,
    forwardOutputs,
    backwardOutputs,
    tangentDependent,
    forwardRequired,
    isLiteral,
  };
}

/**
 * The subgraph that computes `outputs` from `inputs` (any values of the joint, not only its
 * placeholders), as PyTorch's `_extract_graph_with_inputs_outputs`: a node is kept when everything
 * it reads is available and some output needs it. Node names are kept, so the pieces read like the
 * joint graph. Returns the graph and which of `inputs` it actually reads.
 */
export function extractGraph(
  a: JointAnalysis,
  name: string,
  inputs: readonly Value[],
  outputs: readonly Value[],
  mutations: readonly InputMutation[] = [],
): { graph: Graph; used: Set<Value> } {
  const { values, index, numInputs } = a;
  const n = values.length;
  const isInput = new Uint8Array(n);
  for (const v of inputs) isInput[index.get(v)!] = 1;
  // 1 = computable from `inputs`; graph inputs not in `inputs` stay 0.
  const available = isInput.slice();
  for (let i = numInputs; i < n; i++) {
    if (available[i]) continue;
    let ok = 1;
    for (const v of values[i]!.producer!.inputs) {
      if (!available[index.get(v)!]) {
        ok = 0;
        break;
      }
    }
    available[i] = ok;
  }
  const live = new Uint8Array(n);
  const stack: number[] = [];
  outputs.forEach((v, k) => {
    const i = index.get(v)!;
    if (!available[i]) {
      throw new PartitionError(
        `${name}: output ${k} '${v.name}' (${formatMeta(v.meta)}) needs '${missingInput(a, i, available)}', which the ${name} graph does not receive`,
      );
    }
    stack.push(i);
  });
  while (stack.length > 0) {
    const i = stack.pop()!;
    if (live[i]) continue;
    live[i] = 1;
    if (isInput[i]) continue;
    for (const v of values[i]!.producer!.inputs) stack.push(index.get(v)!);
  }

  const b = new GraphBuilder(name);
  const map = new Map<Value, Value>();
  for (const v of inputs) map.set(v, b.input(v.name, v.meta));
  for (let i = numInputs; i < n; i++) {
    if (!live[i] || isInput[i]) continue;
    const node = values[i]!.producer!;
    map.set(
      node.output,
      b.opNamed(
        node.op,
        node.inputs.map((v) => map.get(v)!),
        node.attrs,
        node.name,
      ),
    );
  }
  b.output(outputs.map((v) => map.get(v)!));
  for (const m of mutations) b.mutation(map.get(inputs[m.input]!)!, m.output);
  return { graph: b.build(), used: new Set(inputs.filter((v) => live[index.get(v)!])) };
}

/** The first graph input, among the ancestors of value `i`, that is not available. */
function missingInput(a: JointAnalysis, i: number, available: Uint8Array): Value {
  let v = a.values[i]!;
  while (v.producer) v = v.producer.inputs.find((u) => !available[a.index.get(u)!])!;
  return v;
}

/**
 * Forward and backward graphs for a chosen set of saved values. Saved values the backward graph
 * turns out not to read are dropped, as PyTorch does, so callers may over-approximate.
 */
export function assemblePartition(
  a: JointAnalysis,
  saved: readonly Value[],
): Omit<PartitionResult, "savedValues"> & {
  saved: Value[];
} {
  const order = [...new Set(saved)].sort((x, y) => a.index.get(x)! - a.index.get(y)!);
  for (const v of order) {
    if (a.tangentDependent[a.index.get(v)!]) {
      throw new PartitionError(
        `partition '${a.graph.name}': cannot save '${v.name}': it depends on a tangent`,
      );
    }
  }
  const first = extractGraph(a, "backward", [...order, ...a.tangents], a.backwardOutputs);
  const used = order.filter((v) => first.used.has(v));
  const backward =
    used.length === order.length
      ? first.graph
      : extractGraph(a, "backward", [...used, ...a.tangents], a.backwardOutputs).graph;

  // Mutations index the joint's inputs; the forward graph drops the tangents from between them.
  const forwardIndex = new Map(a.forwardInputs.map((v, i) => [v, i]));
  const mutations = a.graph.mutations.map((m) => {
    const input = a.graph.inputs[m.input]!;
    const at = forwardIndex.get(input);
    if (at === undefined || m.output >= a.forwardOutputs.length) {
      throw new PartitionError(
        `partition '${a.graph.name}': mutation of '${input.name}' by output ${m.output} must pair a forward input with a forward output`,
      );
    }
    return { input: at, output: m.output };
  });
  const forward = extractGraph(
    a,
    "forward",
    a.forwardInputs,
    [...a.forwardOutputs, ...used],
    mutations,
  ).graph;
  return { forward, backward, saved: used, numForwardOutputs: a.forwardOutputs.length };
}

import {
  describeOutputRole,
  formatMeta,
  type Graph,
  GraphBuilder,
  type InputRole,
  IRError,
  isForwardOutputRole,
  type OutputRole,
  type Value,
} from "@aotjs/ir";

/** Raised when a joint graph can't be split as asked; the message names the value at fault. */
export class PartitionError extends IRError {
  override name = "PartitionError";
}

/**
 * What a partitioner reads is the joint graph's signature: its `tangent` inputs are the incoming
 * gradients (every other input is a forward input), its `user_output` and `mutation` outputs the
 * forward outputs, its `gradient` outputs the backward's.
 */
export interface PartitionOptions {
  /**
   * How many of the joint graph's outputs are forward outputs, when the caller knows it
   * (`jointGraphInfo(...).numForwardOutputs`): checked against the signature.
   */
  readonly numForwardOutputs?: number;
}

/**
 * The two graphs, each with its signature. The forward takes the joint's non-tangent inputs (same
 * roles) and returns the forward outputs (same roles; a mutation's input renumbered among the
 * forward's inputs), then the saved values (`saved`). The backward takes the saved values (each
 * `saved` with the forward output it is) and the tangents, and returns the gradients.
 */
export interface PartitionResult {
  readonly forward: Graph;
  readonly backward: Graph;
  /**
   * The values passed from forward to backward, in graph order: values of the graph the partition
   * ran on (min-cut runs on the joint after DCE and CSE, which keep names).
   */
  readonly savedValues: readonly Value[];
  readonly numForwardOutputs: number;
}

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

/**
 * The facts every partitioner needs about a joint graph: which nodes are forward, which
 * backward, what each output is, what may be recomputed. Shared so partitioners agree on them.
 */
export function analyzeJoint(graph: Graph, options: PartitionOptions = {}): JointAnalysis {
  const roles = graph.signature.outputs;
  const forwardOutputs: Value[] = [];
  const backwardOutputs: Value[] = [];
  roles.forEach((role, k) => {
    const v = graph.outputs[k]!;
    if (isForwardOutputRole(role)) {
      if (backwardOutputs.length)
        throw new PartitionError(
          `partition '${graph.name}': output ${k} '${v.name}' (${describeOutputRole(role)}) comes after a gradient; a joint graph returns its forward outputs first`,
        );
      forwardOutputs.push(v);
    } else if (role.kind === "gradient") backwardOutputs.push(v);
    else
      throw new PartitionError(
        `partition '${graph.name}': output ${k} '${v.name}' is ${describeOutputRole(role)}; a joint graph returns user outputs, mutations and gradients`,
      );
  });
  const { numForwardOutputs } = options;
  if (numForwardOutputs !== undefined && numForwardOutputs !== forwardOutputs.length) {
    throw new PartitionError(
      `partition '${graph.name}': numForwardOutputs is ${numForwardOutputs}, but the signature has ${forwardOutputs.length} forward outputs (user outputs and mutations) and ${backwardOutputs.length} gradients`,
    );
  }
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
    if (graph.signature.inputs[i]!.kind === "tangent") {
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

  forwardOutputs.forEach((v, i) => {
    if (tangentDependent[index.get(v)!]) {
      throw new PartitionError(
        `partition '${graph.name}': forward output ${i} '${v}' (${describeOutputRole(roles[i]!)}) depends on a tangent`,
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
 * joint graph. `roles` are the new graph's (default: user inputs and outputs). Returns the graph
 * and which of `inputs` it actually reads.
 */
export function extractGraph(
  a: JointAnalysis,
  name: string,
  inputs: readonly Value[],
  outputs: readonly Value[],
  roles: { readonly inputs?: readonly InputRole[]; readonly outputs?: readonly OutputRole[] } = {},
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
  inputs.forEach((v, i) => {
    map.set(v, b.input(v.name, v.meta, roles.inputs?.[i]));
  });
  for (let i = numInputs; i < n; i++) {
    if (!live[i] || isInput[i]) continue;
    const node = values[i]!.producer!;
    // The pieces keep the joint's checkpoint regions, for whoever draws or inspects them.
    b.region = node.region;
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
  b.region = undefined;
  b.output(
    outputs.map((v) => map.get(v)!),
    roles.outputs,
  );
  return { graph: b.build(), used: new Set(inputs.filter((v) => live[index.get(v)!])) };
}

/** The first graph input, among the ancestors of value `i`, that is not available. */
function missingInput(a: JointAnalysis, i: number, available: Uint8Array): Value {
  let v = a.values[i]!;
  while (v.producer) v = v.producer.inputs.find((u) => !available[a.index.get(u)!])!;
  return v;
}

/**
 * Forward and backward graphs for a chosen set of saved values, with their signatures. Saved
 * values the backward graph turns out not to read are dropped, as PyTorch does, so callers may
 * over-approximate.
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
  const { signature } = a.graph;
  const roleOf = (v: Value) => signature.inputs[a.graph.inputs.indexOf(v)]!;
  const numForward = a.forwardOutputs.length;
  const backwardRoles = (kept: readonly Value[]) => ({
    inputs: [
      ...kept.map((_, j): InputRole => ({ kind: "saved", forwardOutput: numForward + j })),
      ...a.tangents.map(roleOf),
    ],
    outputs: signature.outputs.slice(numForward),
  });
  const first = extractGraph(
    a,
    "backward",
    [...order, ...a.tangents],
    a.backwardOutputs,
    backwardRoles(order),
  );
  const used = order.filter((v) => first.used.has(v));
  const backward =
    used.length === order.length
      ? first.graph
      : extractGraph(a, "backward", [...used, ...a.tangents], a.backwardOutputs, backwardRoles(used)).graph;

  // A mutation indexes the joint's inputs; the forward graph drops the tangents from between them.
  const forwardIndex = new Map(a.forwardInputs.map((v, i) => [v, i]));
  const forwardRoles = signature.outputs.slice(0, numForward).map((role): OutputRole => {
    if (role.kind !== "mutation") return role;
    const input = a.graph.inputs[role.input]!;
    const at = forwardIndex.get(input);
    if (at === undefined) {
      throw new PartitionError(
        `partition '${a.graph.name}': a forward output is the new value of '${input.name}', a tangent`,
      );
    }
    return { kind: "mutation", input: at };
  });
  const forward = extractGraph(a, "forward", a.forwardInputs, [...a.forwardOutputs, ...used], {
    inputs: a.forwardInputs.map(roleOf),
    outputs: [...forwardRoles, ...used.map((): OutputRole => ({ kind: "saved" }))],
  }).graph;
  return { forward, backward, saved: used, numForwardOutputs: numForward };
}

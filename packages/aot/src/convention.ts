import {
  allocate,
  describeInputRole,
  formatMeta,
  type Graph,
  inputRoleKey,
  isPrimalRole,
  TensorData,
} from "@aotjs/ir";
import type { Captured } from "./capture.js";
import { AotError } from "./executable.js";

/** Where one input of the forward (or inference) graph comes from at each call. */
export type InputSource =
  | { readonly kind: "leaf"; readonly leaf: number }
  | { readonly kind: "rng_seed" }
  | { readonly kind: "rng_offset" }
  | { readonly kind: "constant"; readonly value: TensorData };

/** Where one input of the backward graph comes from: a forward output, or an output's incoming gradient. */
export type BackwardSource =
  | { readonly kind: "saved"; readonly forwardOutput: number }
  | { readonly kind: "tangent"; readonly differentiable: number };

/**
 * How to call a captured function's graphs, computed once from their signatures (nothing here
 * slices outputs by counts or reads a name). Leaves are the distinct tensors of a call's
 * flattened arguments, in order.
 */
export interface CallingConvention {
  /** One per forward graph input. */
  readonly inputs: readonly InputSource[];
  /** `userOutputs[k]` is the forward output that is user output k. */
  readonly userOutputs: readonly number[];
  /** Forward outputs holding the new value of a leaf the function updated in place. */
  readonly mutations: readonly { readonly leaf: number; readonly output: number }[];
  readonly updatedLeaves: ReadonlySet<number>;
  /** Random counters one call consumes; undefined when the function draws none. */
  readonly rngConsumed?: number;
  /** Absent for an inference graph. */
  readonly backward?: {
    /** The user outputs that take a tangent, in the order of the backward's tangent inputs. */
    readonly differentiable: readonly number[];
    /** One per backward graph input. */
    readonly inputs: readonly BackwardSource[];
    /**
     * One per backward output: the leaf it is the gradient of, and whether backprop from the
     * outputs reaches that leaf (when not, the gradient is zeros the graph made up, and eager
     * autograd leaves `.grad` alone).
     */
    readonly gradients: readonly { readonly leaf: number; readonly used: boolean }[];
  };
}

/** Looks up the leaf (call argument) a graph role stands for, or throws naming the graph and input. */
type LeafOf = (graph: Graph, role: Parameters<typeof inputRoleKey>[0], what: string) => number;

function leafLookup(captured: Captured): LeafOf {
  const leafByRole = new Map(captured.leafRoles.map((r, leaf) => [inputRoleKey(r), leaf]));
  return (graph, role, what) => {
    const leaf = leafByRole.get(inputRoleKey(role));
    if (leaf === undefined)
      throw new AotError(
        `graph '${graph.name}': ${what} is the ${describeInputRole(role)}, which no argument is`,
      );
    return leaf;
  };
}

/** The source of a graph input a call feeds (a leaf, the RNG state, a constant), or undefined. */
function callInput(captured: Captured, leafOf: LeafOf, graph: Graph, i: number): InputSource | undefined {
  const role = graph.signature.inputs[i]!;
  if (isPrimalRole(role))
    return { kind: "leaf", leaf: leafOf(graph, role, `input ${i} '${graph.inputs[i]!.name}'`) };
  if (role.kind === "rng_seed" || role.kind === "rng_offset") return { kind: role.kind };
  const constant = role.kind === "constant" ? captured.constants[role.index] : undefined;
  return constant ? { kind: "constant", value: constant.value } : undefined;
}

const cannotFeed = (graph: Graph, i: number) =>
  new AotError(
    `graph '${graph.name}': input ${i} '${graph.inputs[i]!.name}' is the ${describeInputRole(graph.signature.inputs[i]!)}, which a call cannot feed`,
  );

/** `userOutputs[k]`: the graph output that is user output k. */
function userOutputsOf(graph: Graph): number[] {
  const userOutputs: number[] = [];
  graph.signature.outputs.forEach((role, k) => {
    if (role.kind === "user_output") userOutputs[role.index] = k;
  });
  return userOutputs;
}

/** The graph's in-place updates: which leaf each updates, given where its inputs come from. */
function mutationsOf(graph: Graph, inputs: readonly JointSource[]): { leaf: number; output: number }[] {
  return graph.signature.outputs.flatMap((role, output) => {
    if (role.kind !== "mutation") return [];
    const source = inputs[role.input]!;
    if (source.kind !== "leaf")
      throw new AotError(`graph '${graph.name}': output ${output} updates an input that is not an argument`);
    return [{ leaf: source.leaf, output }];
  });
}

/** Per leaf that requires grad: whether backprop from the outputs reaches it (`Captured.gradUsed`). */
function usedByLeaf(captured: Captured): Map<number, boolean> {
  return new Map(
    captured.leafRequiresGrad
      .flatMap((r, leaf) => (r ? [leaf] : []))
      .map((leaf, j) => [leaf, captured.gradUsed[j]!]),
  );
}

/** The convention of `captured`'s graphs, from their signatures; throws an `AotError` on a role it can't feed. */
export function callingConvention(captured: Captured): CallingConvention {
  const { forward, backward } = captured;
  const leafOf = leafLookup(captured);
  const inputs = forward.signature.inputs.map(
    (_, i): InputSource => callInput(captured, leafOf, forward, i) ?? throwError(cannotFeed(forward, i)),
  );
  const mutations = mutationsOf(forward, inputs);
  const convention = {
    inputs,
    userOutputs: userOutputsOf(forward),
    mutations,
    updatedLeaves: new Set(mutations.map((m) => m.leaf)),
    ...(captured.rng ? { rngConsumed: captured.rng.consumed } : {}),
  };
  if (!backward) return convention;

  const used = usedByLeaf(captured);
  const differentiable: number[] = [];
  const backwardInputs = backward.signature.inputs.map((role, i): BackwardSource => {
    if (role.kind === "saved") return { kind: "saved", forwardOutput: role.forwardOutput };
    if (role.kind === "tangent") {
      differentiable.push(role.output);
      return { kind: "tangent", differentiable: differentiable.length - 1 };
    }
    throw new AotError(
      `graph '${backward.name}': input ${i} '${backward.inputs[i]!.name}' is the ${describeInputRole(role)}; a backward graph takes saved values and tangents`,
    );
  });
  const gradients = backward.signature.outputs.map((role, j) => {
    if (role.kind !== "gradient")
      throw new AotError(`graph '${backward.name}': output ${j} is not a gradient`);
    const leaf = leafOf(backward, role.of, `output ${j} '${backward.outputs[j]!.name}'`);
    return { leaf, used: used.get(leaf) ?? false };
  });
  return { ...convention, backward: { differentiable, inputs: backwardInputs, gradients } };
}

const throwError = (e: Error): never => {
  throw e;
};

/** Where one input of the joint graph comes from: what a forward input does, or the loss's gradient, 1. */
export type JointSource = InputSource | { readonly kind: "tangent"; readonly value: TensorData };

/**
 * How `forwardBackward` calls the joint graph (forward and backward in one executable): the
 * forward's inputs plus the loss's gradient, fed as 1; its outputs are the user outputs, the
 * in-place updates and the gradients, each found by its role.
 */
export interface JointConvention {
  readonly inputs: readonly JointSource[];
  readonly userOutputs: readonly number[];
  readonly mutations: readonly { readonly leaf: number; readonly output: number }[];
  /** The user output that takes the gradient: the loss. */
  readonly loss: number;
  /** One per gradient output: its output index, its leaf, and whether backprop reaches it. */
  readonly gradients: readonly { readonly output: number; readonly leaf: number; readonly used: boolean }[];
}

/**
 * The joint graph's convention; throws an `AotError` (before anything is compiled) unless exactly
 * one output takes a gradient and it is a 0-d float, what `loss.backward()` would accept.
 */
export function jointConvention(captured: Captured, who: string): JointConvention {
  const joint = captured.joint;
  if (!joint)
    throw new AotError(
      `${who}: no input requires grad, or grad mode is off: there is nothing to differentiate`,
    );
  const userOutputs = userOutputsOf(joint);
  const tangents = joint.signature.inputs.flatMap((role) => (role.kind === "tangent" ? [role.output] : []));
  const differentiable = tangents.map((k) => joint.outputs[userOutputs[k]!]!.meta);
  if (differentiable.length !== 1 || differentiable[0]!.shape.length !== 0) {
    const got = differentiable.length ? differentiable.map(formatMeta).join(", ") : "none";
    throw new AotError(
      `${who}: the function must return exactly one differentiable tensor, a 0-d loss (what loss.backward() takes); its differentiable outputs: ${got}`,
    );
  }
  const leafOf = leafLookup(captured);
  const inputs = joint.signature.inputs.map((role, i): JointSource => {
    if (role.kind !== "tangent")
      return callInput(captured, leafOf, joint, i) ?? throwError(cannotFeed(joint, i));
    const one = allocate(joint.inputs[i]!.meta.dtype, 1);
    one[0] = 1 as never;
    return { kind: "tangent", value: new TensorData(joint.inputs[i]!.meta.dtype, [], one) };
  });
  const mutations = mutationsOf(joint, inputs);
  const used = usedByLeaf(captured);
  const gradients = joint.signature.outputs.flatMap((role, output) => {
    if (role.kind !== "gradient") return [];
    const leaf = leafOf(joint, role.of, `output ${output} '${joint.outputs[output]!.name}'`);
    return [{ output, leaf, used: used.get(leaf) ?? false }];
  });
  return { inputs, userOutputs, mutations, loss: tangents[0]!, gradients };
}

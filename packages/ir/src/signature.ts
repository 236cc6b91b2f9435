import { IRError } from "./errors.js";
import type { Graph } from "./graph.js";
import { formatMeta, sameMeta } from "./tensor-data.js";

/**
 * What one graph input is, as data (PyTorch's AOT input descriptors, in a flat form). Producers
 * set roles; every consumer reads them here and never from a value's name.
 *
 * - `user_input`: the tensor at flattened position `index` of the user's arguments.
 * - `parameter` / `buffer`: module state, by its state-dict path (`layer1.0.conv1.weight`).
 * - `tangent`: the incoming gradient of user output `output` (its flattened result position).
 * - `rng_seed` / `rng_offset`: the default generator's state, for random ops.
 * - `constant`: a tensor the traced function captured; `index` is its position in the trace's
 *   constants list, which holds its value.
 * - `saved`: in a backward graph, the value the forward graph returns as its output `forwardOutput`.
 */
export type InputRole =
  | { readonly kind: "user_input"; readonly index: number }
  | { readonly kind: "parameter"; readonly path: string }
  | { readonly kind: "buffer"; readonly path: string }
  | { readonly kind: "tangent"; readonly output: number }
  | { readonly kind: "rng_seed" }
  | { readonly kind: "rng_offset" }
  | { readonly kind: "constant"; readonly index: number }
  | { readonly kind: "saved"; readonly forwardOutput: number };

/** The inputs a gradient can be taken with respect to, and a function can update in place. */
export type PrimalRole = Extract<InputRole, { readonly kind: "user_input" | "parameter" | "buffer" }>;

/**
 * What one graph output is.
 *
 * - `user_output`: the tensor at flattened position `index` of the function's result.
 * - `mutation`: the new value of this graph's input `input`, which the function updated in place
 *   (a runtime writes it back).
 * - `saved`: a forward value the backward graph reads.
 * - `gradient`: the gradient of the primal `of`. It names the primal by role, not by position, so
 *   it means the same in a joint graph (where the primal is an input) and in a backward graph
 *   (where it is not).
 */
export type OutputRole =
  | { readonly kind: "user_output"; readonly index: number }
  | { readonly kind: "mutation"; readonly input: number }
  | { readonly kind: "saved" }
  | { readonly kind: "gradient"; readonly of: PrimalRole };

/** One role per graph input and per graph output, in order: the graph's calling convention. */
export interface GraphSignature {
  readonly inputs: readonly InputRole[];
  readonly outputs: readonly OutputRole[];
}

/** The kind of an input role (user_input, parameter, buffer, tangent, ...). */
export type InputRoleKind = InputRole["kind"];
/** The kind of an output role (user_output, mutation, saved, gradient). */
export type OutputRoleKind = OutputRole["kind"];
/** Every input role kind. */
export const inputRoleKinds: readonly InputRoleKind[] = [
  "user_input",
  "parameter",
  "buffer",
  "tangent",
  "rng_seed",
  "rng_offset",
  "constant",
  "saved",
];
/** Every output role kind. */
export const outputRoleKinds: readonly OutputRoleKind[] = ["user_output", "mutation", "saved", "gradient"];

/**
 * The names traced inputs get unless the caller picks others: `primals_1..n`, `tangents_1..m`,
 * PyTorch's spelling. Built here only; nothing reads a role back out of a name.
 */
export const primalName = (position: number): string => `primals_${position + 1}`;
/** The conventional name of the tangent input at `position`: `tangents_1`, ... */
export const tangentName = (position: number): string => `tangents_${position + 1}`;

/** Whether an input role is a forward input (user input, parameter, buffer, constant, RNG). */
export const isPrimalRole = (role: InputRole): role is PrimalRole =>
  role.kind === "user_input" || role.kind === "parameter" || role.kind === "buffer";

/** Outputs the forward half of a joint graph returns: everything but gradients. */
export const isForwardOutputRole = (role: OutputRole): boolean =>
  role.kind === "user_output" || role.kind === "mutation";

/** A string equal for equal roles: for maps, and for "no two inputs with one role". */
export function inputRoleKey(role: InputRole): string {
  switch (role.kind) {
    case "user_input":
    case "constant":
      return `${role.kind}:${role.index}`;
    case "parameter":
    case "buffer":
      return `${role.kind}:${role.path}`;
    case "tangent":
      return `tangent:${role.output}`;
    case "saved":
      return `saved:${role.forwardOutput}`;
    case "rng_seed":
    case "rng_offset":
      return role.kind;
  }
}

/** `user input 0`, `parameter fc.weight`, `tangent of output 0`, ...: the printer's and errors' words. */
export function describeInputRole(role: InputRole): string {
  switch (role.kind) {
    case "user_input":
      return `user input ${role.index}`;
    case "parameter":
    case "buffer":
      return `${role.kind} ${role.path}`;
    case "tangent":
      return `tangent of output ${role.output}`;
    case "rng_seed":
      return "rng seed";
    case "rng_offset":
      return "rng offset";
    case "constant":
      return `constant ${role.index}`;
    case "saved":
      return `saved: forward output ${role.forwardOutput}`;
  }
}

/** An output role for people: `user output 0`, `gradient of weight`, ... */
export function describeOutputRole(role: OutputRole): string {
  switch (role.kind) {
    case "user_output":
      return `user output ${role.index}`;
    case "mutation":
      return `mutation of input ${role.input}`;
    case "saved":
      return "saved";
    case "gradient":
      return `gradient of ${describeInputRole(role.of)}`;
  }
}

/** Every input a user input and every output a user output, in order: a plain graph's signature. */
export function defaultSignature(numInputs: number, numOutputs: number): GraphSignature {
  return {
    inputs: Array.from({ length: numInputs }, (_, index) => ({ kind: "user_input", index })),
    outputs: Array.from({ length: numOutputs }, (_, index) => ({ kind: "user_output", index })),
  };
}

/** Whether `signature` says no more than a plain graph's would (then the printer shows no roles). */
export function isDefaultSignature(signature: GraphSignature): boolean {
  return (
    signature.inputs.every((r, i) => r.kind === "user_input" && r.index === i) &&
    signature.outputs.every((r, i) => r.kind === "user_output" && r.index === i)
  );
}

const freezeInput = (r: InputRole): InputRole => Object.freeze({ ...r });
const freezeOutput = (r: OutputRole): OutputRole =>
  Object.freeze(r.kind === "gradient" ? { kind: "gradient", of: freezeInput(r.of) as PrimalRole } : { ...r });

/** A deep-frozen copy: graphs are immutable, and so are their signatures. */
export function freezeSignature(signature: GraphSignature): GraphSignature {
  return Object.freeze({
    inputs: Object.freeze(signature.inputs.map(freezeInput)),
    outputs: Object.freeze(signature.outputs.map(freezeOutput)),
  });
}

const kindOf = (x: unknown) => (x === null ? "null" : Array.isArray(x) ? "an array" : typeof x);

function readIndex(o: Record<string, unknown>, field: string, path: string): number {
  const v = o[field];
  if (!Number.isSafeInteger(v) || (v as number) < 0)
    throw new IRError(
      `'${field}' must be a non-negative integer, got ${JSON.stringify(v)}`,
      `${path}.${field}`,
    );
  return v as number;
}

function readFields(x: unknown, kinds: readonly string[], path: string): Record<string, unknown> {
  if (typeof x !== "object" || x === null || Array.isArray(x))
    throw new IRError(`a role must be an object, got ${kindOf(x)}`, path);
  const o = x as Record<string, unknown>;
  if (!kinds.includes(o.kind as string))
    throw new IRError(
      `unknown role kind ${JSON.stringify(o.kind)} (expected one of ${kinds.join(", ")})`,
      `${path}.kind`,
    );
  return o;
}

function expectOnly(o: Record<string, unknown>, fields: readonly string[], path: string): void {
  for (const key of Object.keys(o))
    if (key !== "kind" && !fields.includes(key))
      throw new IRError(`unknown field '${key}' for a ${String(o.kind)} role`, `${path}.${key}`);
}

/**
 * Check an untrusted value (from JSON, or an untyped caller) is an input role and copy it. Errors
 * name the JSON path, when given, and the field at fault.
 */
export function readInputRole(x: unknown, path = "role"): InputRole {
  const o = readFields(x, inputRoleKinds, path);
  const kind = o.kind as InputRoleKind;
  switch (kind) {
    case "user_input":
    case "constant":
      expectOnly(o, ["index"], path);
      return { kind, index: readIndex(o, "index", path) };
    case "parameter":
    case "buffer": {
      expectOnly(o, ["path"], path);
      if (typeof o.path !== "string" || o.path === "")
        throw new IRError(`'path' must be a non-empty string, got ${JSON.stringify(o.path)}`, `${path}.path`);
      return { kind, path: o.path };
    }
    case "tangent":
      expectOnly(o, ["output"], path);
      return { kind, output: readIndex(o, "output", path) };
    case "saved":
      expectOnly(o, ["forwardOutput"], path);
      return { kind, forwardOutput: readIndex(o, "forwardOutput", path) };
    case "rng_seed":
    case "rng_offset":
      expectOnly(o, [], path);
      return { kind };
  }
}

/** Parses an output role from JSON; throws, naming `path`, on a malformed one. */
export function readOutputRole(x: unknown, path = "role"): OutputRole {
  const o = readFields(x, outputRoleKinds, path);
  const kind = o.kind as OutputRoleKind;
  switch (kind) {
    case "user_output":
      expectOnly(o, ["index"], path);
      return { kind, index: readIndex(o, "index", path) };
    case "mutation":
      expectOnly(o, ["input"], path);
      return { kind, input: readIndex(o, "input", path) };
    case "saved":
      expectOnly(o, [], path);
      return { kind };
    case "gradient": {
      expectOnly(o, ["of"], path);
      const of = readInputRole(o.of, `${path}.of`);
      if (!isPrimalRole(of))
        throw new IRError(
          `a gradient is of a user input, parameter or buffer, not of a ${of.kind}`,
          `${path}.of.kind`,
        );
      return { kind, of };
    }
  }
}

/**
 * Check `graph.signature` against the graph: one role per input and output; no two inputs with
 * one role; user outputs numbered 0..n-1 once each; a mutation names an input (a user input,
 * parameter or buffer) of this graph, at most once, with a new value of the input's meta; a
 * gradient has its primal's meta and a tangent its output's, when the graph has them. Throws an
 * `IRError` that names the input or output at fault. With `root` (a JSON document's `$`), the
 * error's path points at the role in the document.
 */
export function checkSignature(graph: Graph, root?: string): void {
  const { inputs, outputs, signature } = graph;
  const where = `graph '${graph.name}' signature`;
  type At = { input: number } | { output: number } | undefined;
  function fail(message: string, at?: At): never {
    const path =
      root === undefined || at === undefined
        ? root
        : "input" in at
          ? `${root}.inputs[${at.input}].role`
          : `${root}.outputs[${at.output}].role`;
    throw new IRError(`${where}: ${message}`, path);
  }
  if (signature.inputs.length !== inputs.length)
    fail(`${signature.inputs.length} input roles for ${inputs.length} inputs`);
  if (signature.outputs.length !== outputs.length)
    fail(`${signature.outputs.length} output roles for ${outputs.length} outputs`);
  // Roles built in code are typed, but a graph may come from an untyped caller.
  function readRole<T>(read: () => T, at: At): T {
    try {
      return read();
    } catch (e) {
      if (e instanceof IRError) fail(e.message, at);
      throw e;
    }
  }
  const inputName = (i: number) => `input ${i} '${inputs[i]!.name}'`;
  const outputName = (k: number) => `output ${k} '${outputs[k]!.name}'`;

  const inputByKey = new Map<string, number>();
  signature.inputs.forEach((role, i) => {
    const key = inputRoleKey(readRole(() => readInputRole(role, "role"), { input: i }));
    const before = inputByKey.get(key);
    if (before !== undefined)
      fail(`${inputName(i)} and ${inputName(before)} are both the ${describeInputRole(role)}`, { input: i });
    inputByKey.set(key, i);
  });

  const userOutputs = new Map<number, number>();
  const mutated = new Map<number, number>();
  const gradients = new Map<string, number>();
  signature.outputs.forEach((role, k) => {
    readRole(() => readOutputRole(role, "role"), { output: k });
    const value = outputs[k]!;
    switch (role.kind) {
      case "user_output": {
        const before = userOutputs.get(role.index);
        if (before !== undefined)
          fail(`${outputName(k)} and ${outputName(before)} are both user output ${role.index}`, {
            output: k,
          });
        userOutputs.set(role.index, k);
        break;
      }
      case "mutation": {
        const input = inputs[role.input];
        if (!input)
          fail(
            `${outputName(k)} is a mutation of input ${role.input}, out of range (${inputs.length} inputs)`,
            { output: k },
          );
        const inputRole = signature.inputs[role.input]!;
        if (!isPrimalRole(inputRole))
          fail(
            `${outputName(k)} is a mutation of ${inputName(role.input)}, a ${describeInputRole(inputRole)}; only user inputs, parameters and buffers are updated in place`,
            { output: k },
          );
        const before = mutated.get(role.input);
        if (before !== undefined)
          fail(`${inputName(role.input)} is mutated twice, by ${outputName(before)} and ${outputName(k)}`, {
            output: k,
          });
        mutated.set(role.input, k);
        if (!sameMeta(input!.meta, value.meta))
          fail(
            `${outputName(k)} is the new value of ${inputName(role.input)}, but is ${formatMeta(value.meta)} where the input is ${formatMeta(input!.meta)}`,
            { output: k },
          );
        break;
      }
      case "gradient": {
        const key = inputRoleKey(role.of);
        const before = gradients.get(key);
        if (before !== undefined)
          fail(
            `${outputName(k)} and ${outputName(before)} are both the gradient of ${describeInputRole(role.of)}`,
            { output: k },
          );
        gradients.set(key, k);
        const primal = inputByKey.get(key);
        if (primal !== undefined && !sameMeta(inputs[primal]!.meta, value.meta))
          fail(
            `${outputName(k)} is the gradient of ${inputName(primal)}, but is ${formatMeta(value.meta)} where the input is ${formatMeta(inputs[primal]!.meta)}`,
            { output: k },
          );
        break;
      }
      case "saved":
        break;
    }
  });
  for (let index = 0; index < userOutputs.size; index++) {
    if (!userOutputs.has(index)) {
      const numbers = [...userOutputs.keys()].sort((a, b) => a - b).join(", ");
      fail(`user outputs must be numbered 0..${userOutputs.size - 1}, got ${numbers}`, {
        output: [...userOutputs.values()].find(
          (k) => (signature.outputs[k] as { index: number }).index >= userOutputs.size,
        )!,
      });
    }
  }
  // In a joint graph the output a tangent belongs to is here too; in a backward graph it is not.
  if (userOutputs.size > 0) {
    signature.inputs.forEach((role, i) => {
      if (role.kind !== "tangent") return;
      const k = userOutputs.get(role.output);
      if (k === undefined)
        fail(`${inputName(i)} is the tangent of output ${role.output}, which the graph does not return`, {
          input: i,
        });
      else if (!sameMeta(inputs[i]!.meta, outputs[k]!.meta))
        fail(
          `${inputName(i)} is the tangent of ${outputName(k)}, but is ${formatMeta(inputs[i]!.meta)} where the output is ${formatMeta(outputs[k]!.meta)}`,
          { input: i },
        );
    });
  }
}

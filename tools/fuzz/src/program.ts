// A fuzz program is data: a list of nodes (inputs and ops), each op naming earlier nodes by
// index, plus the outputs. It is JSON as it is (a failing program can be saved and replayed) and
// is turned into a function by the interpreter in `interpret.ts`, never by eval.
import { Rng } from "./rng.js";

/** "float" is the program's float dtype: float32 or float64, chosen per run. */
export type VDType = "float" | "int32" | "int64" | "bool";

export interface Meta {
  readonly shape: readonly number[];
  readonly dtype: VDType;
}

export type Json = number | string | boolean | null | readonly Json[] | { readonly [k: string]: Json };
export type Attrs = { readonly [k: string]: Json | undefined };

/**
 * How an input's values are made: a seeded distribution, explicit values (a shrunk program's cut),
 * or "alias": the caller passes the same tensor object as the input node in `args[0]` again.
 */
export type InputInit =
  | { readonly kind: "normal" | "positive" | "int" | "bool"; readonly seed: number }
  | { readonly kind: "values"; readonly values: readonly number[] }
  | { readonly kind: "alias" };

export interface InputSpec {
  readonly shape: readonly number[];
  readonly dtype: VDType;
  readonly requiresGrad: boolean;
  readonly init: InputInit;
}

/** An input node (`op: "input"`, the input in `input`) or an op over earlier nodes. */
export interface ProgramNode {
  readonly op: string;
  readonly args: readonly number[];
  readonly attrs: Attrs;
  readonly input?: InputSpec;
}

/** An output is a node index (repeats allowed: the same tensor returned twice) or a JS number. */
export type OutputSpec = number | { readonly literal: number };

export interface Program {
  /** Seeds the default generator before each run (dropout masks). */
  readonly seed: number;
  readonly nodes: readonly ProgramNode[];
  readonly outputs: readonly OutputSpec[];
  /** The partitioner the ORT and TF.js modes use (the nop modes run both). */
  readonly backendPartition: "default" | "mincut";
}

export const isInput = (n: ProgramNode): n is ProgramNode & { input: InputSpec } => n.op === "input";

export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/** NumPy broadcasting, or undefined when the shapes don't broadcast. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** PyTorch's dim wrapping: a 0-d tensor takes dim 0 and -1 as if it had one dim. */
export function wrapDim(dim: number, rank: number): number | undefined {
  const r = Math.max(rank, 1);
  if (!Number.isInteger(dim) || dim < -r || dim >= r) return undefined;
  return dim < 0 ? dim + r : dim;
}

const dtypeOrder: Record<VDType, number> = { bool: 0, int32: 1, int64: 2, float: 3 };
const category = (d: VDType) => (d === "bool" ? 0 : d === "float" ? 2 : 1);

/** The wider of two dtypes (same rank of operands). */
export function promoteDTypes(a: VDType, b: VDType): VDType {
  return dtypeOrder[a] >= dtypeOrder[b] ? a : b;
}

/**
 * PyTorch's result dtype for tensor operands: dimensioned tensors decide, and a 0-d tensor only
 * when it lifts the category (int32[3] + int64[] is int32; int32[3] + float[] is float).
 */
export function resultDType(...metas: readonly Meta[]): VDType {
  const group = (ms: readonly Meta[]) =>
    ms.length ? ms.map((m) => m.dtype).reduce(promoteDTypes) : undefined;
  const dims = group(metas.filter((m) => m.shape.length > 0));
  const zeroDim = group(metas.filter((m) => m.shape.length === 0));
  if (dims === undefined) return zeroDim!;
  return zeroDim !== undefined && category(zeroDim) > category(dims) ? zeroDim : dims;
}

/** The input tensors' values as numbers (float values already rounded to float32). */
export function inputValues(spec: InputSpec): number[] {
  const n = numel(spec.shape);
  const init = spec.init;
  if (init.kind === "values") return [...init.values];
  if (init.kind === "alias") throw new RangeError("inputValues: an alias has its source's values");
  const rng = new Rng(init.seed);
  return Array.from({ length: n }, () => {
    switch (init.kind) {
      case "normal": {
        // Uniform in +-[0.1, 2]: no value near a kink at 0, all within float32's easy range.
        const v = 0.1 + 1.9 * rng.next();
        return Math.fround(rng.bool() ? v : -v);
      }
      case "positive":
        return Math.fround(0.25 + 1.75 * rng.next());
      case "int":
        return rng.int(-5, 5);
      default:
        return rng.bool() ? 1 : 0;
    }
  });
}

const dtypeName: Record<VDType, string> = { float: "f", int32: "i32", int64: "i64", bool: "bool" };
export const formatMeta = (m: Meta): string => `${dtypeName[m.dtype]}[${m.shape.join(", ")}]`;

/** Node names in listings: `x<i>` for inputs, `v<i>` for ops. */
export const nodeName = (p: Program, i: number): string => `${isInput(p.nodes[i]!) ? "x" : "v"}${i}`;

/** Deletes node `removed`; refs to it go to `replacement` (an earlier node), later refs shift down. */
export function removeNode(p: Program, removed: number, replacement: number): Program {
  if (replacement >= removed)
    throw new RangeError("removeNode: the replacement must come before the removed node");
  const fix = (r: number) => (r === removed ? replacement : r > removed ? r - 1 : r);
  return {
    ...p,
    nodes: p.nodes
      .filter((_, i) => i !== removed)
      .map((n) => (isInput(n) ? n : { ...n, args: n.args.map(fix) })),
    outputs: p.outputs.map((o) => (typeof o === "number" ? fix(o) : o)),
  };
}

/**
 * Drops every node neither an output nor an in-place update of an input reaches (an update is an
 * effect the caller sees through the input, even when nothing reads it). Unused inputs go too.
 */
export function deadCodeEliminate(p: Program): Program {
  const live = new Set<number>();
  const visit = (r: number) => {
    if (live.has(r)) return;
    live.add(r);
    p.nodes[r]!.args.forEach(visit);
  };
  p.outputs.forEach((o) => {
    if (typeof o === "number") visit(o);
  });
  p.nodes.forEach((n, i) => {
    if (n.op.startsWith("mutate_")) visit(i);
  });
  const map = new Map<number, number>();
  p.nodes.forEach((_, i) => {
    if (live.has(i)) map.set(i, map.size);
  });
  return {
    ...p,
    nodes: p.nodes.flatMap((n, i) => (live.has(i) ? [{ ...n, args: n.args.map((r) => map.get(r)!) }] : [])),
    outputs: p.outputs.map((o) => (typeof o === "number" ? map.get(o)! : o)),
  };
}

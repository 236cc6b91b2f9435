// Turns a program (data) into a function over eager tensors, makes its inputs, and checks it: the
// static rules (PyTorch's shapes and dtypes) and the domain rules (values away from kinks).
import { TensorData } from "@aotjs/ir";
import { noGrad, type Tensor, tensor } from "@aotjs/tensor";
import { maxAbs, numbers } from "./ops/helpers.js";
import { opDef, type RunContext } from "./ops/index.js";
import { inputValues, isInput, type Meta, type Program, type VDType } from "./program.js";

/** Larger intermediate values make float32 comparisons meaningless (and exp overflows). */
export const MAX_ABS = 1e4;

export type ProgramFn = (...inputs: Tensor[]) => (Tensor | number)[];

/** Called for every op node as it runs: its index, its arguments as they were read, its result. */
export type NodeHook = (index: number, args: readonly Tensor[], out: Tensor) => void;

const realDType = (d: VDType, float: RunContext["float"]) => (d === "float" ? float : d);

/** The program as a function of its input nodes, in order. Ops run on the public Tensor API only. */
export function buildFunction(p: Program, ctx: RunContext, hook?: NodeHook): ProgramFn {
  return (...inputs: Tensor[]) => {
    const values: Tensor[] = [];
    let next = 0;
    p.nodes.forEach((node, i) => {
      if (isInput(node)) {
        values.push(inputs[next++]!);
        return;
      }
      const def = opDef(node.op);
      if (!def) throw new RangeError(`fuzz program: node ${i} has an unknown op '${node.op}'`);
      const args = node.args.map((r) => values[r]!);
      // Snapshot arguments for the hook before an in-place op changes them.
      const seen = hook ? args.map((a) => a.detach()) : args;
      const out = def.apply(args, node.attrs, ctx);
      values.push(out);
      hook?.(i, seen, out);
    });
    return p.outputs.map((o) => (typeof o === "number" ? values[o]! : o.literal));
  };
}

/**
 * Fresh input tensors for one run (float inputs in the run's float dtype; values fixed by the
 * program). An alias input is its source's tensor object itself.
 */
export function makeInputs(p: Program, ctx: RunContext): Tensor[] {
  const byNode = new Map<number, Tensor>();
  return p.nodes.flatMap((node, i) => {
    if (!isInput(node)) return [];
    const { input } = node;
    if (input.init.kind === "alias") {
      const source = byNode.get(node.args[0]!)!;
      byNode.set(i, source);
      return [source];
    }
    const dtype = realDType(input.dtype, ctx.float);
    const values = inputValues(input);
    const data = TensorData.zeros(dtype, input.shape);
    values.forEach((v, k) => {
      data.data[k] = (dtype === "int64" ? BigInt(v) : v) as never;
    });
    const t = tensor(data.data, { shape: input.shape });
    if (input.requiresGrad) t.requiresGrad = true;
    byNode.set(i, t);
    return [t];
  });
}

/** Every node's meta under the fuzzer's (PyTorch's) rules, or the first node that breaks them. */
export function inferMetas(p: Program): Meta[] | { node: number; reason: string } {
  const metas: Meta[] = [];
  for (let i = 0; i < p.nodes.length; i++) {
    const node = p.nodes[i]!;
    if (isInput(node)) {
      if (node.input.init.kind === "alias") {
        const source = p.nodes[node.args[0]!];
        const spec = source?.input;
        if (!(node.args[0]! < i) || !spec || spec.init.kind === "alias")
          return { node: i, reason: "an alias must name an earlier, non-alias input" };
        if (
          spec.dtype !== node.input.dtype ||
          spec.requiresGrad !== node.input.requiresGrad ||
          spec.shape.join() !== node.input.shape.join()
        )
          return { node: i, reason: "an alias must have its source's meta and requiresGrad" };
      } else if (node.args.length) return { node: i, reason: "an input node reads nothing" };
      metas.push({ shape: node.input.shape, dtype: node.input.dtype });
      continue;
    }
    const def = opDef(node.op);
    if (!def) return { node: i, reason: `unknown op '${node.op}'` };
    if (node.args.some((r) => !(r >= 0 && r < i))) return { node: i, reason: "an argument refers forward" };
    if (node.op.startsWith("mutate_")) {
      const target = p.nodes[node.args[0]!]!;
      if (!isInput(target) || target.input.requiresGrad)
        return { node: i, reason: "in-place updates target inputs that don't require grad" };
    }
    const result = def.infer(
      node.args.map((r) => metas[r]!),
      node.attrs,
    );
    if (typeof result === "string") return { node: i, reason: result };
    metas.push(result);
  }
  if (p.outputs.some((o) => typeof o === "number" && !(o >= 0 && o < p.nodes.length)))
    return { node: p.nodes.length, reason: "an output refers to no node" };
  return metas;
}

/**
 * Runs the program in float64 eager (its values are the reference's) and returns why its values
 * come too close to a kink, a pole, a tie, overflow or NaN somewhere; undefined when they don't.
 * Throws what the program throws.
 */
export function domainViolation(p: Program, inputs: readonly Tensor[], calls = 1): string | undefined {
  let violation: string | undefined;
  const hook: NodeHook = (i, args, out) => {
    if (violation) return;
    const node = p.nodes[i]!;
    const def = opDef(node.op)!;
    noGrad(() => {
      if (args.some((a) => numbers(a).some(Number.isNaN))) violation = `node ${i} (${node.op}) reads NaN`;
      violation ??= def.domain?.(args, node.attrs);
      if (violation) {
        violation = `node ${i} (${node.op}): ${violation}`;
        return;
      }
      const values = numbers(out);
      const mayBeNaN = def.mayBeNaN?.(
        args.map((a) => ({ shape: a.shape, dtype: a.dtype === "float64" ? "float" : (a.dtype as VDType) })),
        node.attrs,
      );
      if (values.some((v) => Number.isNaN(v)) && !mayBeNaN) violation = `node ${i} (${node.op}) gives NaN`;
      else if (values.some((v) => !Number.isNaN(v) && !(Math.abs(v) <= MAX_ABS)))
        violation = `node ${i} (${node.op}) gives values above ${MAX_ABS} (${maxAbs(out).toExponential(2)})`;
    });
  };
  const fn = buildFunction(p, { float: "float64" }, hook);
  for (let c = 0; c < calls && !violation; c++) noGrad(() => fn(...inputs));
  return violation;
}

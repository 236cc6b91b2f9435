// The random program generator: grows a DAG one op at a time, running each candidate op eagerly
// in float64 on the values so far, so it keeps only ops whose shapes are valid (PyTorch's rules)
// and whose values stay away from kinks, poles and ties.
import { defaultGenerator, manualSeed, noGrad, type Tensor } from "@aotjs/tensor";
import { MAX_ABS, makeInputs } from "./interpret.js";
import { numbers } from "./ops/helpers.js";
import { type FuzzOp, type GenContext, type GenValue, opDef, opTable } from "./ops/index.js";
import {
  deadCodeEliminate,
  type InputSpec,
  type Meta,
  numel,
  type OutputSpec,
  type Program,
  type ProgramNode,
  type VDType,
} from "./program.js";
import { Rng } from "./rng.js";

export interface GenerateOptions {
  /** Ops per program, before dead code is dropped. Default 3 and 15. */
  readonly minOps?: number;
  readonly maxOps?: number;
  /** Only these ops (default: every op in the table). */
  readonly ops?: readonly FuzzOp[];
}

/** Values larger than this are not worth their kernel time in a fuzz run. */
const MAX_NUMEL = 512;

interface Slot {
  meta: Meta;
  value: Tensor | undefined;
  requiresGrad: boolean;
  input?: InputSpec;
}

const realDType = (d: VDType) => (d === "float" ? "float64" : d);

/** The program for `seed`: the same seed always gives the same program. */
export function generateProgram(seed: number, options: GenerateOptions = {}): Program {
  // Generation draws dropout masks from the default generator; the caller's state is put back.
  const saved = { seed: defaultGenerator.seed, offset: defaultGenerator.offset };
  try {
    return grow(seed, options);
  } finally {
    manualSeed(saved.seed).offset = saved.offset;
  }
}

function grow(seed: number, options: GenerateOptions): Program {
  const rng = new Rng(seed);
  // Dropout draws its masks here as the runs will (they seed the default generator with this too),
  // so the domain checks see the runs' values.
  const programSeed = rng.seed();
  manualSeed(programSeed);
  const nodes: ProgramNode[] = [];
  const slots: Slot[] = [];
  const weights = Object.fromEntries(
    (options.ops ?? (Object.keys(opTable) as FuzzOp[])).map((op) => [op, opTable[op].weight]),
  ) as Record<FuzzOp, number>;

  const randomShape = (): number[] => {
    const rank = Number(rng.weighted({ 0: 0.1, 1: 0.25, 2: 0.35, 3: 0.2, 4: 0.1 }));
    const shape = Array.from({ length: rank }, () => (rng.bool(0.3) ? 1 : rng.int(2, 5)));
    if (rank > 0 && rng.bool(0.04)) shape[rng.int(0, rank - 1)] = 0;
    return shape;
  };

  const addInput = (
    shape: readonly number[],
    dtype: VDType,
    kind?: "normal" | "positive",
    requiresGrad = dtype === "float" && rng.bool(0.7),
  ): GenValue => {
    const init =
      dtype === "float"
        ? { kind: kind ?? "normal", seed: rng.seed() }
        : { kind: dtype === "bool" ? "bool" : "int", seed: rng.seed() };
    const input: InputSpec = {
      shape: [...shape],
      dtype,
      requiresGrad,
      init: init as InputSpec["init"],
    };
    const node: ProgramNode = { op: "input", args: [], attrs: {}, input };
    const [value] = makeInputs(
      { seed: 0, nodes: [node], outputs: [], backendPartition: "default" },
      { float: "float64" },
    );
    value!.requiresGrad = false;
    nodes.push(node);
    slots.push({ meta: { shape: input.shape, dtype }, value, requiresGrad: input.requiresGrad, input });
    return view(slots.length - 1);
  };

  const view = (ref: number): GenValue => {
    const s = slots[ref]!;
    return {
      ref,
      meta: s.meta,
      value: s.value!,
      requiresGrad: s.requiresGrad,
      ...(s.input ? { input: s.input } : {}),
    };
  };

  const ctx: GenContext = {
    rng,
    get values() {
      return slots.flatMap((s, i) => (s.value ? [view(i)] : []));
    },
    pick(accept) {
      const candidates = slots.flatMap((s, i) => (s.value && accept(view(i)) ? [i] : []));
      if (candidates.length === 0) return undefined;
      // sqrt biases toward recent values: programs get deep, not just wide.
      return view(candidates[Math.floor(Math.sqrt(rng.next()) * candidates.length)]!);
    },
    newInput: addInput,
    randomShape,
    broadcastableShape(shape) {
      if (rng.bool(0.1)) return [];
      const kept = shape.slice(rng.int(0, shape.length)).map((d) => (rng.bool(0.3) ? 1 : d));
      return rng.bool(0.1) && kept.length < 4 ? [rng.int(2, 3), ...kept] : kept;
    },
  };

  // A few inputs to start from; now and then a buffer (no grad) for in-place updates to target.
  for (let i = rng.int(1, 3); i > 0; i--)
    addInput(randomShape(), rng.bool(0.85) ? "float" : rng.pick(["int64", "int32", "bool"] as const));
  if (rng.bool(0.3)) addInput(randomShape(), rng.bool(0.8) ? "float" : "int64", "normal", false);
  // Now and then the caller passes one tensor as two arguments (an update through one shows through the other).
  if (rng.bool(0.12)) {
    // Mostly a buffer: updates in place, the interesting case, need an input that doesn't require grad.
    const buffers = nodes.flatMap((n, i) => (n.input && !n.input.requiresGrad ? [i] : []));
    const source = rng.pick(
      buffers.length && rng.bool(0.8) ? buffers : nodes.flatMap((n, i) => (n.input ? [i] : [])),
    );
    const input: InputSpec = { ...nodes[source]!.input!, init: { kind: "alias" } };
    nodes.push({ op: "input", args: [source], attrs: {}, input });
    slots.push({ ...slots[source]!, input });
  }
  const rootOf = (ref: number) => (nodes[ref]!.input?.init.kind === "alias" ? nodes[ref]!.args[0]! : ref);

  const target = rng.int(options.minOps ?? 3, options.maxOps ?? 15);
  let ops = 0;
  let crashed: number | undefined;
  for (let attempt = 0; ops < target && attempt < target * 20 && crashed === undefined; attempt++) {
    const name = rng.weighted(weights);
    const def = opDef(name)!;
    const mark = nodes.length;
    const rngOffset = defaultGenerator.offset;
    const rollback = () => {
      nodes.length = mark;
      slots.length = mark;
      defaultGenerator.offset = rngOffset;
    };
    const proposal = def.gen(ctx);
    if (!proposal) {
      rollback();
      continue;
    }
    const argSlots = proposal.args.map((r) => slots[r]!);
    const meta = def.infer(
      argSlots.map((s) => s.meta),
      proposal.attrs,
    );
    if (typeof meta === "string" || numel(meta.shape) > MAX_NUMEL || meta.shape.length > 5) {
      rollback();
      continue;
    }
    const node: ProgramNode = { op: name, args: [...proposal.args], attrs: proposal.attrs };
    let out: Tensor;
    try {
      // On copies: a rejected in-place update must not change the values later ops see.
      out = noGrad(() =>
        def.apply(
          argSlots.map((s) => s.value!.detach()),
          proposal.attrs,
          { float: "float64" },
        ),
      );
    } catch {
      // The rules say this op is valid (as in PyTorch) but eager refuses it: keep it as an
      // output, so the run reports what eager says, and stop here.
      nodes.push(node);
      slots.push({ meta, value: undefined, requiresGrad: false });
      crashed = nodes.length - 1;
      break;
    }
    const args = argSlots.map((s) => s.value!);
    if (
      noGrad(() => def.domain?.(args, proposal.attrs)) ||
      badValues(
        out,
        def.mayBeNaN?.(
          argSlots.map((s) => s.meta),
          proposal.attrs,
        ) ?? false,
      )
    ) {
      rollback();
      continue;
    }
    if (out.dtype !== (meta.dtype === "float" ? "float64" : realDType(meta.dtype)))
      throw new RangeError(`fuzz generator: ${name} gave ${out.dtype}, its rule says ${meta.dtype}`);
    nodes.push(node);
    const nan = numbers(out).some(Number.isNaN);
    slots.push({
      meta,
      // A NaN result (a mean over nothing) is an output, never another op's input.
      value: nan ? undefined : out,
      requiresGrad: meta.dtype === "float" && name !== "detach" && argSlots.some((s) => s.requiresGrad),
    });
    if (name.startsWith("mutate_")) {
      const root = rootOf(proposal.args[0]!);
      slots.forEach((slot, i) => {
        if (slot.input && rootOf(i) === root) slot.value = out;
      });
    }
    ops++;
  }

  const outputs = chooseOutputs(rng, nodes, slots, crashed);
  return deadCodeEliminate({
    seed: programSeed,
    nodes,
    outputs,
    backendPartition: rng.bool() ? "default" : "mincut",
  });
}

function badValues(out: Tensor, mayBeNaN: boolean): boolean {
  return numbers(out).some((v) => (Number.isNaN(v) ? !mayBeNaN : !(Math.abs(v) <= MAX_ABS)));
}

/** The sinks (values no op reads), at most 4, the last op always; sometimes one twice, rarely a JS number. */
function chooseOutputs(
  rng: Rng,
  nodes: readonly ProgramNode[],
  slots: readonly Slot[],
  crashed?: number,
): OutputSpec[] {
  if (crashed !== undefined) return [crashed];
  const read = new Set(nodes.flatMap((n) => n.args));
  const ops = nodes.flatMap((n, i) => (n.op === "input" ? [] : [i]));
  const last = ops[ops.length - 1];
  if (last === undefined) return [0];
  const sinks = ops.filter((i) => i !== last && !read.has(i) && !nodes[i]!.op.startsWith("mutate_"));
  const outputs: OutputSpec[] = [...rng.shuffle(sinks).slice(0, 3), last];
  if (rng.bool(0.2)) {
    const differentiable = outputs.filter((o) => typeof o === "number" && slots[o]!.requiresGrad);
    outputs.push(rng.pick(differentiable.length ? differentiable : outputs));
  }
  if (rng.bool(0.03)) outputs.push({ literal: 3 });
  return rng.shuffle(outputs);
}

import { formatMeta, isFloating, type TensorMeta } from "@aotjs/ir";
import {
  accumulateGrad,
  type DispatchHandler,
  type GradFn,
  isGradEnabled,
  markGradPending,
  noGrad,
  type OpCall,
  onesLike,
  type Tensor,
  zerosLike,
} from "@aotjs/tensor";
import { currentRegion, withRegion } from "@aotjs/tracer";
import { AutogradError } from "./errors.js";
import { derivativeRules, notDifferentiable } from "./rules/index.js";

export { AutogradError } from "./errors.js";

// ---- the tape ----
/** Gradients, one per input or output of a tape node; `null` for none (zero). */
export type GradList = readonly (Tensor | null)[];
/** A tape node's backward: gradients of its outputs in, gradients of its inputs out (sync or async). */
export type BackwardFn = (gradOutputs: GradList) => GradList | Promise<GradList>;

/** Where a tensor's gradient goes: the node output that made it, or the leaf itself. */
type Edge = { readonly node: TapeNode; readonly index: number } | { readonly leaf: Tensor };

/** One recorded op (or custom function): how to turn output gradients into input gradients. */
export class TapeNode implements GradFn {
  #backward: BackwardFn | undefined;
  /**
   * The checkpoint region the op ran in while tracing (see `withRegion` in @aotjs/tracer): its
   * derivative rule is traced inside the same region, so the partitioner counts the values the
   * rule computes from the region's values (masks, `1 - y * y`) as the region's too.
   */
  region?: number;
  constructor(
    readonly name: string,
    readonly nextEdges: readonly (Edge | null)[],
    readonly inputMetas: readonly TensorMeta[],
    readonly outputMetas: readonly TensorMeta[],
    backward: BackwardFn,
  ) {
    this.#backward = backward;
  }
  get released(): boolean {
    return this.#backward === undefined;
  }
  /** Runs the node's backward once (or again with `retain`), then frees it unless retained. */
  run(gradOutputs: GradList, retain: boolean): GradList | Promise<GradList> {
    const fn = this.#backward;
    if (!fn) {
      throw new AutogradError(
        `${this.name}: trying to backward through the graph a second time, after its saved tensors were freed; ` +
          "pass { retainGraph: true } to the first backward() if you need to backward twice",
      );
    }
    if (!retain) this.#backward = undefined;
    return fn(gradOutputs);
  }
  /** Free what the backward closure holds (saved tensors); a later run is an error. */
  release(): void {
    this.#backward = undefined;
  }
}

const outputIndex = new WeakMap<Tensor, number>();

function edgeOf(t: Tensor): Edge | null {
  if (t.gradFn instanceof TapeNode) return { node: t.gradFn, index: outputIndex.get(t) ?? 0 };
  return t.requiresGrad ? { leaf: t } : null;
}

const backwardName = (op: string) => `${op[0]!.toUpperCase()}${op.slice(1)}Backward`;

/**
 * Attach a custom node to the tape: `outputs` were computed from `inputs` outside the tape (say,
 * by a compiled graph), and `backward` maps output gradients to input gradients, sync or async.
 * This is how `@aotjs/aot` runs compiled forward and backward graphs inside eager autograd.
 */
export function recordCustomNode(
  name: string,
  inputs: readonly Tensor[],
  outputs: readonly Tensor[],
  backward: BackwardFn,
): void {
  if (!isGradEnabled()) return;
  const edges = inputs.map(edgeOf);
  if (!edges.some((e) => e !== null)) return;
  const node = new TapeNode(
    name,
    edges,
    inputs.map((t) => t.meta),
    outputs.map((t) => t.meta),
    backward,
  );
  outputs.forEach((t, i) => {
    if (!isFloating(t.dtype)) return;
    t.requiresGrad = true;
    t.gradFn = node;
    outputIndex.set(t, i);
  });
}

/** What a tape node's rule reads: the op's inputs and output. */
export interface SavedTensors {
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
}

/**
 * How an eager `checkpoint()` region takes over what tape nodes save (PyTorch's saved-tensor
 * hooks): `seen` numbers every op dispatched while the region runs, recorded or not, so a rerun
 * can find the same op again; `pack` replaces keeping the op's tensors by a way to get them back.
 */
export interface SavedTensorHooks {
  /** Called for every op dispatched inside the region; returns its index in dispatch order. */
  seen(call: OpCall, out: Tensor): number;
  /** Called where a tape node would keep its tensors; returns how to get them back in backward. */
  pack(index: number, call: OpCall): () => SavedTensors;
}

let savedTensorHooks: SavedTensorHooks | undefined;

/** Run `fn` with `hooks` deciding what tape nodes save; restored however `fn` ends. */
export function withSavedTensorHooks<T>(hooks: SavedTensorHooks | undefined, fn: () => T): T {
  const previous = savedTensorHooks;
  savedTensorHooks = hooks;
  try {
    return fn();
  } finally {
    savedTensorHooks = previous;
  }
}

export const activeSavedTensorHooks = (): SavedTensorHooks | undefined => savedTensorHooks;

/** The dispatcher layer: records a tape node per differentiable op while an input requires grad. */
export const autogradLayer: DispatchHandler = {
  name: "autograd",
  op(call: OpCall, next) {
    const out = next(call);
    const hooks = savedTensorHooks;
    const index = hooks ? hooks.seen(call, out) : -1;
    if (!isGradEnabled() || !isFloating(out.dtype)) return out;
    const rule = derivativeRules[call.op];
    if (rule === notDifferentiable) return out;
    const edges = call.inputs.map(edgeOf);
    if (!edges.some((e) => e !== null)) return out;
    let unpack: () => SavedTensors;
    if (hooks) unpack = hooks.pack(index, call);
    else {
      // Snapshots (detached aliases) so a later in-place update of an input can't change what
      // the rule sees; tensors never share mutable storage, so this costs no copy.
      const saved = { inputs: call.inputs.map((t) => t.detach()), output: out.detach() };
      unpack = () => saved;
    }
    const needsGrad = edges.map((e) => e !== null);
    // Read out of `call` now: the rule's closure must not keep `call.inputs` alive (a checkpoint
    // region's whole point is to let them go).
    const attrs = call.attrs;
    const node = new TapeNode(
      backwardName(call.op),
      edges,
      call.inputs.map((t) => t.meta),
      [out.meta],
      ([g]) => {
        if (!g) return edges.map(() => null);
        const { inputs, output } = unpack();
        return (rule as (g: Tensor, ctx: unknown) => GradList)(g, {
          inputs,
          output,
          attrs,
          needsGrad,
        });
      },
    );
    const region = currentRegion();
    if (region !== undefined) node.region = region;
    out.requiresGrad = true;
    out.gradFn = node;
    return out;
  },
  mutate(target, value, next) {
    if (isGradEnabled() && target.requiresGrad && target.isLeaf) {
      throw new AutogradError(
        `in-place update of a leaf tensor that requires grad (${formatMeta(target)}); do it inside noGrad(), as optimizers do`,
      );
    }
    next(target, value);
    if (!isGradEnabled()) return;
    if (value.gradFn) {
      target.gradFn = value.gradFn;
      outputIndex.set(target, outputIndex.get(value) ?? 0);
      target.requiresGrad = true;
    } else if (value.requiresGrad) {
      // The new value is a leaf that requires grad (`copy_(leaf)`): link to it through an identity
      // node, as torch's CopyBackwards, so the gradient reaches the leaf, not the target.
      const identity: BackwardFn = ([g]) => [g ?? null];
      target.gradFn = new TapeNode("CopyBackward", [{ leaf: value }], [value.meta], [target.meta], identity);
      outputIndex.set(target, 0);
      target.requiresGrad = true;
    } else if (!target.isLeaf) {
      target.gradFn = null;
      target.requiresGrad = value.requiresGrad;
    }
  },
};

// ---- running the tape backward ----
interface BackwardRequest {
  readonly roots: readonly Tensor[];
  readonly rootGrads: readonly Tensor[];
  readonly retainGraph: boolean;
  /** Tensors whose gradients to return (torch.autograd.grad); leaves are accumulated into `.grad` when absent. */
  readonly inputs?: readonly Tensor[];
  /** Told, before any node runs, which nodes and leaves this pass reaches. */
  readonly onPlan?: (nodes: ReadonlySet<TapeNode>, leaves: ReadonlySet<Tensor>) => void;
}

/** Nodes of backward passes that are still running (awaiting a compiled graph's backward). */
const runningNodes = new WeakSet<TapeNode>();

function checkGrad(node: TapeNode, i: number, g: Tensor): void {
  const m = node.inputMetas[i]!;
  if (g.dtype !== m.dtype || g.shape.length !== m.shape.length || g.shape.some((d, j) => d !== m.shape[j])) {
    throw new AutogradError(
      `${node.name}: the gradient of input ${i} is ${formatMeta(g)} but the input is ${formatMeta(m)}`,
    );
  }
}

/**
 * The engine, as a generator that yields the promises of async nodes: driven synchronously for
 * tracing (where every node is an op rule) and asynchronously by `backward()`.
 */
function* engine(
  req: BackwardRequest,
  ran: TapeNode[] = [],
): Generator<Promise<GradList>, Map<Tensor, Tensor>, GradList> {
  const rootEdges = req.roots.map((t, i) => {
    const e = edgeOf(t);
    if (!e)
      throw new AutogradError(
        `backward: output ${i} (${formatMeta(t)}) does not require grad and has no gradFn`,
      );
    return e;
  });
  // Dependency counts over the nodes reachable from the roots.
  const deps = new Map<TapeNode, number>();
  // A root repeated (a value returned twice) is one node: walking it twice would count its
  // children's dependencies twice, and they would never become ready.
  const seen = new Set<TapeNode>(rootEdges.flatMap((e) => ("node" in e ? [e.node] : [])));
  const stack: TapeNode[] = [...seen];
  while (stack.length) {
    const node = stack.pop()!;
    for (const e of node.nextEdges) {
      if (!e || !("node" in e)) continue;
      deps.set(e.node, (deps.get(e.node) ?? 0) + 1);
      if (!seen.has(e.node)) {
        seen.add(e.node);
        stack.push(e.node);
      }
    }
  }
  if ([...seen].some((n) => runningNodes.has(n))) {
    throw new AutogradError(
      "backward: a backward() through this graph is still running: await loss.backward() before starting another",
    );
  }
  if (req.onPlan) {
    const leaves = new Set<Tensor>();
    const visit = (e: Edge | null | undefined) => {
      if (e && "leaf" in e) leaves.add(e.leaf);
    };
    rootEdges.forEach(visit);
    for (const n of seen) n.nextEdges.forEach(visit);
    req.onPlan(seen, leaves);
  }
  const buffers = new Map<TapeNode, (Tensor | null)[]>();
  const leafGrads = new Map<Tensor, Tensor>();
  const wanted = req.inputs ? new Map(req.inputs.map((t) => [t, edgeOf(t)])) : undefined;
  const captured = new Map<Tensor, Tensor>();
  const add = (a: Tensor | null | undefined, b: Tensor) => (a ? a.add(b) : b);
  const send = (e: Edge, g: Tensor) => {
    if ("leaf" in e) leafGrads.set(e.leaf, add(leafGrads.get(e.leaf), g));
    else {
      const buf = buffers.get(e.node) ?? e.node.outputMetas.map(() => null);
      buf[e.index] = add(buf[e.index], g);
      buffers.set(e.node, buf);
    }
  };
  rootEdges.forEach((e, i) => {
    send(e, req.rootGrads[i]!);
  });

  const ready = [...seen].filter((n) => !deps.get(n));
  while (ready.length) {
    const node = ready.pop()!;
    const gradOutputs = buffers.get(node) ?? node.outputMetas.map(() => null);
    buffers.delete(node);
    if (wanted) {
      for (const [t, e] of wanted)
        if (e && "node" in e && e.node === node && gradOutputs[e.index])
          captured.set(t, gradOutputs[e.index]!);
    }
    let grads = withRegion(node.region, () => node.run(gradOutputs, req.retainGraph));
    ran.push(node);
    if (grads instanceof Promise) grads = yield grads;
    node.nextEdges.forEach((e, i) => {
      if (!e) return;
      const g = grads[i];
      if (g) {
        checkGrad(node, i, g);
        send(e, g);
      }
      if ("node" in e) {
        const left = deps.get(e.node)! - 1;
        deps.set(e.node, left);
        if (left === 0) ready.push(e.node);
      }
    });
  }
  if (!wanted) return leafGrads;
  for (const [t, e] of wanted) if (e && "leaf" in e && leafGrads.has(t)) captured.set(t, leafGrads.get(t)!);
  return captured;
}

/**
 * Synchronous run. Nodes are released only once the whole pass succeeded, so refusing an async
 * node half-way leaves the tape intact for a later `await backward()`.
 */
function runSync(req: BackwardRequest): Map<Tensor, Tensor> {
  const ran: TapeNode[] = [];
  const it = noGrad(() => engine({ ...req, retainGraph: true }, ran));
  // The generator body runs lazily in next(); keep grad mode off around each step.
  const step = noGrad(() => it.next());
  if (!step.done) {
    // Nobody will await the async node's work: keep its failure from becoming unhandled.
    step.value.catch(() => {});
    throw new AutogradError(
      "backward: an async tape node (a compiled function) cannot be differentiated synchronously; use await backward()",
    );
  }
  if (!req.retainGraph) for (const node of ran) node.release();
  return step.value;
}

async function runAsync(req: BackwardRequest): Promise<Map<Tensor, Tensor>> {
  const it = engine(req);
  let step = noGrad(() => it.next());
  while (!step.done) {
    const grads = await step.value;
    step = noGrad(() => it.next(grads));
  }
  return step.value;
}

function defaultRootGrad(t: Tensor, given: Tensor | undefined, who: string): Tensor {
  if (given) {
    if (given.dtype !== t.dtype || given.shape.join() !== t.shape.join()) {
      throw new AutogradError(
        `${who}: gradient ${formatMeta(given)} does not match the output ${formatMeta(t)}`,
      );
    }
    return given;
  }
  if (t.numel() !== 1)
    throw new AutogradError(
      `${who}: grad can be implicitly created only for one-element outputs, got ${formatMeta(t)}; pass a gradient`,
    );
  return onesLike(t);
}

function accumulate(leafGrads: Map<Tensor, Tensor>): void {
  noGrad(() => {
    for (const [leaf, g] of leafGrads) accumulateGrad(leaf, (old) => (old ? old.add(g) : g));
  });
}

/**
 * `tensor.backward()`: accumulates into the `.grad` of every leaf that requires grad. With only
 * op rules on the tape it finishes before it returns (the promise is already settled), so eager
 * code never sees a half-done backward. With a compiled graph's async backward on the tape, the
 * leaves it reaches are marked pending until it finishes: reading or writing their `.grad` (an
 * optimizer step, zeroGrad), or starting another backward through the same graph, throws an error
 * that says to await it.
 */
export function backward(
  t: Tensor,
  gradient?: Tensor,
  options: { retainGraph?: boolean } = {},
): Promise<void> {
  let plan: { nodes: ReadonlySet<TapeNode>; leaves: ReadonlySet<Tensor> } | undefined;
  let it: Generator<Promise<GradList>, Map<Tensor, Tensor>, GradList>;
  let step: IteratorResult<Promise<GradList>, Map<Tensor, Tensor>>;
  try {
    it = engine({
      roots: [t],
      rootGrads: [defaultRootGrad(t, gradient, "backward")],
      retainGraph: options.retainGraph ?? false,
      onPlan: (nodes, leaves) => {
        plan = { nodes, leaves };
      },
    });
    step = noGrad(() => it.next());
  } catch (e) {
    return Promise.reject(e);
  }
  if (step.done) {
    accumulate(step.value);
    return Promise.resolve();
  }
  const { nodes, leaves } = plan!;
  for (const n of nodes) runningNodes.add(n);
  for (const leaf of leaves) markGradPending(leaf, 1);
  return (async () => {
    try {
      while (!step.done) {
        const grads: GradList = await step.value;
        step = noGrad(() => it.next(grads));
      }
    } finally {
      for (const n of nodes) runningNodes.delete(n);
      for (const leaf of leaves) markGradPending(leaf, -1);
    }
    accumulate(step.value);
  })();
}

/** Synchronous `backward`, for code that knows every node on the tape is an op rule. */
export function backwardSync(t: Tensor, gradient?: Tensor, options: { retainGraph?: boolean } = {}): void {
  accumulate(
    runSync({
      roots: [t],
      rootGrads: [defaultRootGrad(t, gradient, "backward")],
      retainGraph: options.retainGraph ?? false,
    }),
  );
}

/** Options of `grad`/`gradAsync`: the output gradients, retaining the graph, unused inputs. */
export interface GradOptions {
  readonly gradOutputs?: readonly (Tensor | undefined)[];
  readonly retainGraph?: boolean;
  /** Return zeros instead of throwing for an input the outputs do not depend on. */
  readonly allowUnused?: boolean;
}

function gradRequest(outputs: readonly Tensor[], inputs: readonly Tensor[], o: GradOptions): BackwardRequest {
  return {
    roots: outputs,
    rootGrads: outputs.map((t, i) => defaultRootGrad(t, o.gradOutputs?.[i], "grad")),
    retainGraph: o.retainGraph ?? false,
    inputs,
  };
}

function collect(captured: Map<Tensor, Tensor>, inputs: readonly Tensor[], o: GradOptions): Tensor[] {
  return inputs.map((t, i) => {
    const g = captured.get(t);
    if (g) return g;
    if (!o.allowUnused)
      throw new AutogradError(
        `grad: input ${i} (${formatMeta(t)}) is not used by the outputs; pass { allowUnused: true }`,
      );
    return noGrad(() => zerosLike(t));
  });
}

/** torch.autograd.grad, synchronous: gradients of `outputs` with respect to `inputs`; nothing is accumulated. */
export function gradSync(
  outputs: readonly Tensor[],
  inputs: readonly Tensor[],
  options: GradOptions = {},
): Tensor[] {
  return collect(runSync(gradRequest(outputs, inputs, options)), inputs, options);
}

/**
 * `gradSync`, also telling which inputs the backward pass reached: `used[i]` is false when the
 * outputs don't reach input i (its gradient is made-up zeros, and eager `backward()` would leave
 * its `.grad` alone). A reached input counts as used even if its gradient does not depend on the
 * output gradients (sign's zeros).
 */
export function gradSyncWithUsage(
  outputs: readonly Tensor[],
  inputs: readonly Tensor[],
  options: GradOptions = {},
): { grads: Tensor[]; used: boolean[] } {
  const captured = runSync(gradRequest(outputs, inputs, options));
  return { grads: collect(captured, inputs, options), used: inputs.map((t) => captured.has(t)) };
}

/** `grad` that awaits compiled (async) nodes on the tape: the gradients of `outputs` with respect to `inputs`. */
export async function gradAsync(
  outputs: readonly Tensor[],
  inputs: readonly Tensor[],
  options: GradOptions = {},
): Promise<Tensor[]> {
  return collect(await runAsync(gradRequest(outputs, inputs, options)), inputs, options);
}

export { enableGrad, isGradEnabled, noGrad, setGradEnabled } from "@aotjs/tensor";

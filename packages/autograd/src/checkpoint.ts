import type { OpName } from "@aotjs/ir";
import { defaultGenerator, isGradEnabled, noGrad, Tensor } from "@aotjs/tensor";
import { isTracing, newRegionId, withRegion } from "@aotjs/tracer";
import {
  activeSavedTensorHooks,
  type SavedTensorHooks,
  type SavedTensors,
  withSavedTensorHooks,
} from "./engine.js";
import { AutogradError } from "./errors.js";

/**
 * torch.utils.checkpoint: `checkpoint(fn, ...args)` returns `fn(...args)` but does not keep the
 * tensors `fn`'s ops would save for the backward; the backward recomputes them.
 *
 * - Eagerly it works as PyTorch's non-reentrant checkpoint: `fn` runs once with the tape
 *   recording (so gradients reach its arguments and whatever it captures, parameters included),
 *   but each tape node keeps a way to get its tensors back instead of the tensors. The first
 *   node of the region that runs backward reruns `fn` (no tape, the random generator rewound to
 *   where the first run started, so dropout draws the same mask) and hands every node its
 *   tensors; each is let go once its node has used it. Gradients equal those without checkpoint.
 * - While tracing (`aotFunction`, `aotModule`, `jointGraph`) nothing is rerun: the nodes traced
 *   inside `fn`, and those its derivative rules add, carry one checkpoint region id
 *   (`Node.region`), and the partitioners (min-cut and `memoryBudgetPartition`) save none of the
 *   region's inner values: the backward graph recomputes them from the region's inputs. Values
 *   the code after the region reads (its outputs) may still be saved, as in PyTorch.
 *
 * A region nested in another is part of the outer one. Tensors among `args` are snapshotted;
 * tensors `fn` captures are read again when it reruns, so don't update them in place before the
 * backward (PyTorch has the same rule).
 */
export function checkpoint<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R {
  if (typeof fn !== "function")
    throw new AutogradError(`checkpoint: the first argument must be a function, got ${typeof fn}`);
  if (isTracing()) return withRegion(newRegionId(), () => fn(...args));
  // No tape to thin out, or an enclosing region already recomputes all of this one.
  if (!isGradEnabled() || activeSavedTensorHooks()) return fn(...args);
  return new EagerRegion(fn, args).run();
}

/** One eager run of a checkpointed function and what its backward needs to rerun it. */
class EagerRegion<A extends unknown[], R> {
  /** Op names in dispatch order, to check that the rerun does the same work. */
  readonly #ops: OpName[] = [];
  /** Dispatch indices of the ops whose tape nodes will ask for their tensors. */
  readonly #wanted = new Set<number>();
  readonly #args: A;
  #cache: Map<number, SavedTensors> | undefined;
  #seed = 0;
  #offset = 0;

  constructor(
    readonly fn: (...args: A) => R,
    readonly args: A,
  ) {
    // Detached aliases for the rerun: the values of this call, even if an argument is updated
    // in place later, and no tape back to the caller's tensors.
    this.#args = args.map((a) => (a instanceof Tensor ? a.detach() : a)) as A;
  }

  run(): R {
    this.#seed = defaultGenerator.seed;
    this.#offset = defaultGenerator.offset;
    const hooks: SavedTensorHooks = {
      seen: (call) => this.#ops.push(call.op) - 1,
      pack: (index) => {
        this.#wanted.add(index);
        return () => this.#unpack(index);
      },
    };
    return withSavedTensorHooks(hooks, () => this.fn(...this.args));
  }

  #unpack(index: number): SavedTensors {
    if (!this.#cache?.has(index)) this.#cache = this.#recompute();
    const saved = this.#cache.get(index)!;
    // Let it go once used; a second backward (retainGraph) reruns the region again.
    this.#cache.delete(index);
    if (this.#cache.size === 0) this.#cache = undefined;
    return saved;
  }

  #recompute(): Map<number, SavedTensors> {
    const cache = new Map<number, SavedTensors>();
    let count = 0;
    const recorder: SavedTensorHooks = {
      seen: (call, out) => {
        const index = count++;
        const expected = this.#ops[index];
        if (call.op !== expected)
          throw new AutogradError(
            `checkpoint: the rerun of '${this.fn.name || "fn"}' in the backward dispatched ${call.op} as op ${index}, where the first run dispatched ${expected ?? "nothing"}; a checkpointed function must do the same work each time it runs`,
          );
        if (this.#wanted.has(index))
          cache.set(index, { inputs: call.inputs.map((t) => t.detach()), output: out.detach() });
        return index;
      },
      pack: () => {
        throw new AutogradError("checkpoint: internal error: the rerun recorded a tape node");
      },
    };
    // Rewind the generator so random ops draw what they drew the first time, then put it back.
    const seed = defaultGenerator.seed;
    const offset = defaultGenerator.offset;
    if (this.#seed !== seed) defaultGenerator.manualSeed(this.#seed);
    defaultGenerator.offset = this.#offset;
    try {
      noGrad(() => withSavedTensorHooks(recorder, () => this.fn(...this.#args)));
    } finally {
      if (defaultGenerator.seed !== seed) defaultGenerator.manualSeed(seed);
      defaultGenerator.offset = offset;
    }
    if (count !== this.#ops.length)
      throw new AutogradError(
        `checkpoint: the rerun of '${this.fn.name || "fn"}' in the backward dispatched ${count} ops, the first run ${this.#ops.length}; a checkpointed function must do the same work each time it runs`,
      );
    return cache;
  }
}

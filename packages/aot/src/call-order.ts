import type { Tensor } from "@aotjs/tensor";

/**
 * Compiled calls run concurrently, but eager code would run them one after another: a call that
 * updates a tensor in place (a buffer, BatchNorm's running stats) must read it after every
 * earlier call wrote it back, and write it only after every earlier call read it. Each tensor a
 * call touches keeps the promise of its last pending write and the reads pending since then; a
 * call that touches no tensor another call updates waits for nothing, so unrelated calls overlap.
 */
interface TensorTurns {
  /** Settles when the last call that updates this tensor has written it back (or failed). */
  write: Promise<void> | undefined;
  /** Calls that read this tensor after that write and have not read it yet. */
  readonly reads: Set<Promise<void>>;
}

const turns = new WeakMap<Tensor, TensorTurns>();

export interface CallTurn {
  /** Settles when this call may read its inputs; undefined when it need not wait. */
  readonly ready: Promise<void> | undefined;
  /** This call has read (snapshotted) its inputs. */
  inputsRead(): void;
  /** This call has written back its updates, or failed; idempotent, and implies `inputsRead`. */
  finished(): void;
}

/**
 * Take this call's place in line, synchronously and in call order, for `leaves`; `updated` holds
 * the indices of the leaves the call updates in place.
 */
export function takeTurn(leaves: readonly Tensor[], updated: ReadonlySet<number>): CallTurn {
  const touched = new Map<Tensor, boolean>();
  leaves.forEach((t, i) => {
    touched.set(t, touched.get(t) === true || updated.has(i));
  });
  let markRead!: () => void;
  const read = new Promise<void>((r) => {
    markRead = r;
  });
  let markWritten: (() => void) | undefined;
  const written = updated.size
    ? new Promise<void>((r) => {
        markWritten = r;
      })
    : undefined;
  const waits: Promise<void>[] = [];
  for (const [t, updates] of touched) {
    const prior = turns.get(t);
    if (prior?.write) waits.push(prior.write);
    if (updates) {
      if (prior) waits.push(...prior.reads);
      turns.set(t, { write: written, reads: new Set() });
    } else if (prior) prior.reads.add(read);
    else turns.set(t, { write: undefined, reads: new Set([read]) });
  }

  let readDone = false;
  let writeDone = false;
  const inputsRead = () => {
    if (readDone) return;
    readDone = true;
    markRead();
    // Forget settled reads so a tensor read by every call (a parameter) holds no growing set.
    for (const [t, updates] of touched) {
      const state = turns.get(t);
      if (updates || !state) continue;
      state.reads.delete(read);
      if (!state.write && state.reads.size === 0) turns.delete(t);
    }
  };
  const finished = () => {
    inputsRead();
    if (writeDone) return;
    writeDone = true;
    markWritten?.();
    for (const [t, updates] of touched) {
      const state = turns.get(t);
      if (!updates || !state || state.write !== written) continue;
      state.write = undefined;
      if (state.reads.size === 0) turns.delete(t);
    }
  };
  return {
    ready: waits.length ? Promise.all(waits).then(() => undefined) : undefined,
    inputsRead,
    finished,
  };
}

import type { Tensor } from "@aotjs/tensor";

/**
 * Compiled calls run concurrently, but eager code would run them one after another: a call that
 * updates a tensor in place (a buffer, BatchNorm's running stats) must read it after every
 * earlier call wrote it back, and write it only after every earlier call read it. Each tensor
 * keeps the turn of its last updating call: the promise of that call's write-back, and a count of
 * the calls that read the tensor since (a later updating call waits until they have read it). A
 * call that touches no tensor another call updates waits for nothing, so unrelated calls overlap.
 */
class Turn {
  /** Calls reading the tensor after `write` that have not read it yet. */
  readers = 0;
  #readersDone: (() => void) | undefined;
  constructor(
    /** Settles when the updating call that opened this turn has written back (or failed); undefined once it has. */
    public write: Promise<void> | undefined,
  ) {}
  /** Settles once `readers` drops to 0. */
  readersDone(): Promise<void> {
    return this.readers === 0
      ? Promise.resolve()
      : new Promise((resolve) => {
          const before = this.#readersDone;
          this.#readersDone = () => {
            before?.();
            resolve();
          };
        });
  }
  readDone(): void {
    if (--this.readers === 0) this.#readersDone?.();
  }
}

const turns = new WeakMap<Tensor, Turn>();

export interface CallTurn {
  /** Settles when this call may read its inputs; undefined when it need not wait. */
  readonly ready: Promise<void> | undefined;
  /** This call has read (snapshotted) its inputs. Idempotent. */
  inputsRead(): void;
  /** This call has written back its updates, or failed; idempotent, and implies `inputsRead`. */
  finished(): void;
}

/**
 * Take this call's place in line, synchronously and in call order, for `leaves`; `updated` holds
 * the indices of the leaves the call updates in place.
 */
export function takeTurn(leaves: readonly Tensor[], updated: ReadonlySet<number>): CallTurn {
  let markWritten: (() => void) | undefined;
  const written = updated.size
    ? new Promise<void>((resolve) => {
        markWritten = resolve;
      })
    : undefined;
  const waits: Promise<void>[] = [];
  const updatedTensors = new Set<Tensor>();
  const opened: Turn[] = [];
  for (const i of updated) {
    const t = leaves[i]!;
    if (updatedTensors.has(t)) continue;
    updatedTensors.add(t);
    const prior = turns.get(t);
    if (prior?.write) waits.push(prior.write);
    if (prior?.readers) waits.push(prior.readersDone());
    const turn = new Turn(written);
    turns.set(t, turn);
    opened.push(turn);
  }
  const reading: Turn[] = [];
  for (const t of leaves) {
    if (updatedTensors.has(t)) continue;
    let turn = turns.get(t);
    if (!turn) {
      turn = new Turn(undefined);
      turns.set(t, turn);
    } else if (turn.write) waits.push(turn.write);
    turn.readers++;
    reading.push(turn);
  }

  let readDone = false;
  let writeDone = false;
  const inputsRead = () => {
    if (readDone) return;
    readDone = true;
    for (const turn of reading) turn.readDone();
  };
  const finished = () => {
    inputsRead();
    if (writeDone) return;
    writeDone = true;
    markWritten?.();
    // Later calls need not wait on a settled write.
    for (const turn of opened) turn.write = undefined;
  };
  return {
    ready: waits.length ? Promise.all(waits).then(() => undefined) : undefined,
    inputsRead,
    finished,
  };
}

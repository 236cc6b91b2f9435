// A progress bar for the training examples (cli-progress): step, loss, elapsed and remaining time.
import { Presets, SingleBar } from "cli-progress";

export interface TrainingBarOptions {
  /** Where the bar goes. Default stdout, where the examples print everything else. */
  readonly stream?: NodeJS.WritableStream;
  /**
   * When the stream is not a terminal (CI logs, a pipe), a line every this many ms, plus one at
   * the start and one at the end. Default 10 s, so a log gets a few lines, not one per step.
   */
  readonly nonTtyEveryMs?: number;
}

export interface TrainingBar {
  /** Steps done so far and the latest loss. */
  update(steps: number, loss: number): void;
  /** Draws the final state and ends the line; call it even when training throws (it owns a timer). */
  stop(): void;
}

/** On a terminal the bar redraws in place; elsewhere it prints a full line now and then. */
export function trainingBar(totalSteps: number, options: TrainingBarOptions = {}): TrainingBar {
  const stream = options.stream ?? process.stdout;
  const tty = (stream as { isTTY?: boolean }).isTTY === true;
  const bar = new SingleBar(
    {
      format: "step {value}/{total} {bar} loss {loss} | {duration_formatted} elapsed, eta {eta_formatted}",
      stream,
      // Without this cli-progress prints nothing at all off a terminal; with it, one line per
      // `notTTYSchedule` ms instead of a redraw per update.
      noTTYOutput: true,
      notTTYSchedule: options.nonTtyEveryMs ?? 10_000,
      // Off a terminal every line already ends with a newline; the one `stop` adds would be blank.
      clearOnComplete: !tty,
      barsize: 24,
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  bar.start(totalSteps, 0, { loss: "-" });
  return {
    update: (steps, loss) => bar.update(steps, { loss: loss.toFixed(3) }),
    stop: () => bar.stop(),
  };
}

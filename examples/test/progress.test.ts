import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { trainingBar } from "../src/progress.js";

/** A stream that is not a terminal (like CI's stdout), keeping what was written. */
function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join("") };
}

describe("trainingBar off a terminal", () => {
  it("prints a line at the start and one at the end, not one per step", () => {
    const out = capture();
    const bar = trainingBar(500, { stream: out.stream, nonTtyEveryMs: 60_000 });
    for (let step = 1; step <= 500; step++) bar.update(step, 3 / step);
    bar.stop();
    const lines = out.text().split("\n");
    expect(lines.at(-1)).toBe(""); // the text ends with a newline, and no blank line before it
    expect(lines.slice(0, -1)).toHaveLength(2);
    expect(lines[0]).toMatch(/^step 0\/500 .* loss - \|/);
    expect(lines[1]).toMatch(/^step 500\/500 .* loss 0\.006 \| \d+s elapsed/);
  });

  it("adds a line per interval while training runs, far fewer than one per step", async () => {
    const out = capture();
    const every = 40;
    const t0 = performance.now();
    const bar = trainingBar(40, { stream: out.stream, nonTtyEveryMs: every });
    for (let step = 1; step <= 40; step++) {
      await new Promise((r) => setTimeout(r, 5));
      bar.update(step, 1);
    }
    bar.stop();
    const elapsed = performance.now() - t0;
    const lines = out.text().trimEnd().split("\n");
    expect(lines.length).toBeGreaterThan(2);
    // Start, end, and at most one per interval (timers fire late, never early).
    expect(lines.length).toBeLessThanOrEqual(2 + Math.floor(elapsed / every));
    expect(lines.length).toBeLessThan(40);
    expect(lines.at(-1)).toMatch(/^step 40\/40 /);
  });
});

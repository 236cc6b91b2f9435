/**
 * Checkpoint regions while tracing: `checkpoint()` (in @aotjs/autograd) runs its function inside
 * `withRegion(id, ...)`, and the tracer stamps every node it records meanwhile with `id` (see
 * `Node.region` in @aotjs/ir), so partitioners know which values to recompute rather than save.
 * The state lives here, beside the tracer, because both autograd (which re-enters a region while
 * tracing the region's derivative rules) and graph replays (which keep a graph's regions) set it.
 */
let current: number | undefined;
let nextId = 1;

/** The region nodes traced now belong to, or undefined. */
export const currentRegion = (): number | undefined => current;

/** A region id not handed out before in this process. */
export const newRegionId = (): number => nextId++;

/**
 * Run `fn` with `region` current (undefined: outside any region); restored however `fn` ends.
 * An outer region wins over an inner one: the outer recomputes all of its inside anyway.
 */
export function withRegion<T>(region: number | undefined, fn: () => T): T {
  const previous = current;
  current = previous ?? region;
  try {
    return fn();
  } finally {
    current = previous;
  }
}

import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { FlowNetwork, PartitionError } from "../src/index.js";

type Edge = [from: number, to: number, capacity: number];

/** The minimum s-t cut by trying every vertex subset that holds s and not t. */
function bruteForceMinCut(n: number, edges: readonly Edge[], s: number, t: number): number {
  let best = Number.POSITIVE_INFINITY;
  for (let mask = 0; mask < 1 << n; mask++) {
    if (!(mask & (1 << s)) || mask & (1 << t)) continue;
    let cut = 0;
    for (const [u, v, c] of edges) if (mask & (1 << u) && !(mask & (1 << v))) cut += c;
    best = Math.min(best, cut);
  }
  return best;
}

const graphs = fc.integer({ min: 2, max: 8 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    edges: fc.array(
      fc.tuple(
        fc.integer({ min: 0, max: n - 1 }),
        fc.integer({ min: 0, max: n - 1 }),
        fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constant(Number.POSITIVE_INFINITY)),
      ),
      { maxLength: 24 },
    ),
  }),
);

describe("FlowNetwork (Dinic)", () => {
  test("max flow equals the brute-force min cut, and the residual gives a cut of that value", () => {
    fc.assert(
      fc.property(graphs, ({ n, edges }) => {
        const s = 0;
        const t = n - 1;
        const expected = bruteForceMinCut(n, edges, s, t);
        // An infinite min cut means an all-infinite path: the network reports it instead of looping.
        fc.pre(Number.isFinite(expected));
        const net = new FlowNetwork(n);
        for (const [u, v, c] of edges) net.addEdge(u, v, c);
        const flow = net.maxFlow(s, t);
        expect(flow).toBe(expected);
        const side = net.reachable();
        expect(side[s]).toBe(1);
        expect(side[t]).toBe(0);
        const cut = edges.reduce((sum, [u, v, c]) => sum + (side[u] && !side[v] ? c : 0), 0);
        expect(cut).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });

  test("an infinite path is an error, not a hang", () => {
    const net = new FlowNetwork(3);
    net.addEdge(0, 1, Number.POSITIVE_INFINITY);
    net.addEdge(1, 2, Number.POSITIVE_INFINITY);
    expect(() => net.maxFlow(0, 2)).toThrow(/infinite capacity/);
  });

  test("a chain deeper than the call stack", () => {
    const n = 200_000;
    const net = new FlowNetwork(n);
    for (let i = 0; i + 1 < n; i++) net.addEdge(i, i + 1, i === 123_456 ? 3 : 10);
    expect(net.maxFlow(0, n - 1)).toBe(3);
    const side = net.reachable();
    expect(side[123_456]).toBe(1);
    expect(side[123_457]).toBe(0);
  });

  test("rejects negative or NaN capacities", () => {
    const net = new FlowNetwork(2);
    expect(() => net.addEdge(0, 1, -1)).toThrow(PartitionError);
    expect(() => net.addEdge(0, 1, Number.NaN)).toThrow(PartitionError);
  });
});

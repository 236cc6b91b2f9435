import { PartitionError } from "./joint.js";

/**
 * A directed flow network solved with Dinic's algorithm. Vertices are dense integers; capacities
 * are non-negative numbers and may be `Infinity` (an edge the cut must never cross).
 *
 * Dinic rather than push-relabel: partition networks are DAGs of a few thousand vertices where a
 * handful of BFS phases with blocking flows finish the job, and the code stays short enough to
 * trust. The DFS is iterative because a joint graph can be a chain thousands of nodes deep, which
 * would overflow the call stack.
 */
export class FlowNetwork {
  readonly #numVertices: number;
  // Edge e and its residual twin e ^ 1 are stored side by side.
  #to: number[] = [];
  #cap: number[] = [];
  #next: number[] = [];
  readonly #head: Int32Array;
  // Set by maxFlow, read by reachable.
  #residual?: { to: Int32Array; next: Int32Array; cap: Float64Array };
  #source = -1;

  constructor(numVertices: number) {
    this.#numVertices = numVertices;
    this.#head = new Int32Array(numVertices).fill(-1);
  }

  get numVertices(): number {
    return this.#numVertices;
  }

  get numEdges(): number {
    return this.#to.length / 2;
  }

  /** A directed edge of the given capacity (Infinity: never cut). */
  addEdge(from: number, to: number, capacity: number): void {
    if (!(capacity >= 0))
      throw new PartitionError(`FlowNetwork: capacity of ${from} -> ${to} is ${capacity}`);
    this.#half(from, to, capacity);
    this.#half(to, from, 0);
  }

  #half(u: number, v: number, capacity: number): void {
    this.#to.push(v);
    this.#cap.push(capacity);
    this.#next.push(this.#head[u]!);
    this.#head[u] = this.#to.length - 1;
  }

  /**
   * Push the maximum flow from `source` to `sink` and return its value; afterwards `reachable`
   * gives the source side of a minimum cut. Works on a copy of the capacities, so the network
   * can be solved again (after adding edges, say).
   */
  maxFlow(source: number, sink: number): number {
    const n = this.#numVertices;
    const to = Int32Array.from(this.#to);
    const next = Int32Array.from(this.#next);
    const cap = Float64Array.from(this.#cap);
    const head = this.#head;
    const level = new Int32Array(n);
    const iter = new Int32Array(n);
    const queue = new Int32Array(n);
    // Path of edges from the source during one DFS.
    const path = new Int32Array(n);
    let total = 0;

    const bfs = (): boolean => {
      level.fill(-1);
      level[source] = 0;
      let qh = 0;
      let qt = 0;
      queue[qt++] = source;
      while (qh < qt) {
        const u = queue[qh++]!;
        for (let e = head[u]!; e !== -1; e = next[e]!) {
          const v = to[e]!;
          if (cap[e]! > 0 && level[v] === -1) {
            level[v] = level[u]! + 1;
            queue[qt++] = v;
          }
        }
      }
      return level[sink] !== -1;
    };

    while (bfs()) {
      iter.set(head);
      let depth = 0;
      let u = source;
      for (;;) {
        if (u === sink) {
          let bottleneck = Number.POSITIVE_INFINITY;
          for (let i = 0; i < depth; i++) bottleneck = Math.min(bottleneck, cap[path[i]!]!);
          if (bottleneck === Number.POSITIVE_INFINITY) {
            throw new PartitionError("FlowNetwork: a path of infinite capacity joins source and sink");
          }
          let retreat = depth;
          for (let i = depth - 1; i >= 0; i--) {
            const e = path[i]!;
            cap[e] = cap[e]! - bottleneck;
            cap[e ^ 1] = cap[e ^ 1]! + bottleneck;
            if (cap[e] === 0) retreat = i;
          }
          total += bottleneck;
          // Resume from the tail of the first saturated edge: everything before it still has capacity.
          depth = retreat;
          u = depth === 0 ? source : to[path[depth - 1]!]!;
          continue;
        }
        let e = iter[u]!;
        while (e !== -1 && !(cap[e]! > 0 && level[to[e]!] === level[u]! + 1)) e = next[e]!;
        iter[u] = e;
        if (e !== -1) {
          path[depth++] = e;
          u = to[e]!;
          continue;
        }
        // Dead end: no augmenting path goes through u in this phase.
        level[u] = -1;
        if (depth === 0) break;
        depth--;
        const back = path[depth]!;
        u = depth === 0 ? source : to[path[depth - 1]!]!;
        iter[u] = next[back]!;
      }
    }
    this.#residual = { to, next, cap };
    this.#source = source;
    return total;
  }

  /** After `maxFlow`: which vertices the source still reaches in the residual network. */
  reachable(): Uint8Array {
    const r = this.#residual;
    if (!r) throw new PartitionError("FlowNetwork: call maxFlow before reachable");
    const seen = new Uint8Array(this.#numVertices);
    const stack = [this.#source];
    seen[this.#source] = 1;
    while (stack.length > 0) {
      const u = stack.pop()!;
      for (let e = this.#head[u]!; e !== -1; e = r.next[e]!) {
        const v = r.to[e]!;
        if (r.cap[e]! > 0 && !seen[v]) {
          seen[v] = 1;
          stack.push(v);
        }
      }
    }
    return seen;
  }
}

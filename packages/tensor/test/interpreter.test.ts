// The graph interpreter on graphs built with the IR's GraphBuilder. Oracle throughout: the same
// expression computed eagerly with Tensor methods.
import {
  type AnyNode,
  type Graph,
  GraphBuilder,
  MARKER_SETS,
  meta,
  symbolize,
  TensorData,
  Value,
} from "@aotjs/ir";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  Interpreter,
  interpret,
  kernels,
  manualSeed,
  randn,
  Tensor,
  TensorError,
  tensor,
} from "../src/index.js";

const arr = (d: TensorData) => new Tensor(d).toArray();

/**
 * x: f32[2,3], w: f32[3,4], b: f32[4] ->
 *   r = relu(x @ w + b); s = sum(r, dim 1); `dead = cos(x)` is never read.
 * Outputs [s, r]: r is both an output and read by a later node.
 */
function mlpGraph(): Graph {
  const g = new GraphBuilder("mlp");
  const x = g.input("x", meta([2, 3]));
  const w = g.input("w", meta([3, 4]));
  const b = g.input("b", meta([4]));
  const mm = g.op("matmul", [x, w]);
  g.op("cos", [x], undefined, "dead");
  const y = g.op("add", [mm, b]);
  const r = g.op("relu", [y]);
  const e = g.op("exp", [b]);
  const s = g.op("sum", [g.op("mul", [r, e])], { dims: [1] });
  g.output([s, r]);
  return g.build();
}

manualSeed(11);
const X = randn([2, 3]);
const W = randn([3, 4]);
const B = randn([4]);
const inputs = [X, W, B].map((t) => t.toData());
const eager = () => {
  const r = X.matmul(W).add(B).relu();
  return [r.mul(B.exp()).sum({ dim: 1 }), r];
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe("results equal the eager computation", () => {
  it("on a small MLP-like graph with an unused node", () => {
    const out = interpret(mlpGraph(), inputs);
    const [s, r] = eager();
    expect(out).toHaveLength(2);
    expect(arr(out[0]!)).toEqual(s!.toArray());
    expect(arr(out[1]!)).toEqual(r!.toArray());
    expect(out[0]!.shape).toEqual([2]);
  });

  it("with int64 reductions, comparisons and where", () => {
    const g = new GraphBuilder("ints");
    const a = g.input("a", meta([3], "int64"));
    const c = g.op("gt", [a, g.op("full", [], { shape: [], value: 1, dtype: "int64" })]);
    const w = g.op("where", [c, a, g.op("neg", [a])]);
    g.output([g.op("sum", [w], { dims: [0] }), c]);
    const A = tensor([0, 2, 5]);
    const [sum, cond] = interpret(g.build(), [A.toData()]);
    expect(arr(sum!)).toEqual(A.where(A.gt(1), A.neg()).sum().toArray());
    expect(arr(cond!)).toEqual([false, true, true]);
  });

  it("the Interpreter can be reused for several runs", () => {
    const it1 = new Interpreter(mlpGraph());
    const first = it1.run(inputs).map(arr);
    expect(it1.run(inputs).map(arr)).toEqual(first);
    const doubled = it1.run([X.mul(2), W, B].map((t) => t.toData())).map(arr);
    const r2 = X.mul(2).matmul(W).add(B).relu();
    expect(doubled[1]).toEqual(r2.toArray());
  });
});

describe("every value is freed after its last use", () => {
  // Oracle: last uses computed from graph.users; the live set is read off the interpreter's
  // value map by watching Map.prototype.set/delete during the run.
  it("only values still needed are live when each node runs", () => {
    const g = mlpGraph();
    type Event =
      | { kind: "set"; value: Value }
      | { kind: "delete"; value: Value }
      | { kind: "run"; node: AnyNode };
    const events: Event[] = [];
    const envs = new WeakSet<Map<unknown, unknown>>();
    const set = Map.prototype.set;
    const del = Map.prototype.delete;
    vi.spyOn(Map.prototype, "set").mockImplementation(function (this: Map<unknown, unknown>, k, v) {
      if (k instanceof Value && v instanceof TensorData) {
        envs.add(this);
        events.push({ kind: "set", value: k });
      }
      return set.call(this, k, v);
    });
    vi.spyOn(Map.prototype, "delete").mockImplementation(function (this: Map<unknown, unknown>, k) {
      if (envs.has(this) && k instanceof Value) events.push({ kind: "delete", value: k });
      return del.call(this, k);
    });
    class Recording extends Interpreter {
      override runNode(node: AnyNode, args: readonly TensorData[]): TensorData {
        events.push({ kind: "run", node });
        return super.runNode(node, args);
      }
    }
    new Recording(g).run(inputs);
    vi.restoreAllMocks();

    const index = new Map(g.nodes.map((n, i) => [n.output, i]));
    const lastUse = (v: Value): number => {
      if (g.outputs.includes(v)) return Number.POSITIVE_INFINITY;
      const users = g.users(v);
      return users.length ? index.get(users.at(-1)!.output)! : (index.get(v) ?? -1);
    };
    const live = new Set<Value>();
    let checked = 0;
    for (const e of events) {
      if (e.kind === "set") live.add(e.value);
      else if (e.kind === "delete") live.delete(e.value);
      else {
        const i = g.nodes.indexOf(e.node);
        const defined = [...g.inputs, ...g.nodes.slice(0, i).map((n) => n.output)];
        const expected = defined.filter((v) => lastUse(v) >= i);
        expect([...live].map((v) => v.name).sort(), `live values when '${e.node.name}' runs`).toEqual(
          expected.map((v) => v.name).sort(),
        );
        checked++;
      }
    }
    expect(checked).toBe(g.nodes.length);
    // At the end only the outputs are left.
    expect([...live].map((v) => v.name).sort()).toEqual(g.outputs.map((v) => v.name).sort());
  });
});

describe("overriding runNode", () => {
  it("swaps a kernel: relu becomes leaky relu", () => {
    class Leaky extends Interpreter {
      override runNode(node: AnyNode, args: readonly TensorData[]): TensorData {
        if (node.op !== "relu") return super.runNode(node, args);
        const x = args[0]! as TensorData<"float32">;
        return new TensorData(
          "float32",
          x.shape,
          x.data.map((v) => (v > 0 ? v : 0.1 * v)),
        );
      }
    }
    const [s, r] = new Leaky(mlpGraph()).run(inputs);
    const y = X.matmul(W).add(B);
    const leaky = y.where(y.gt(0), y.mul(0.1));
    expect(arr(r!)).toEqual(leaky.toArray());
    expect(arr(s!)).toEqual(leaky.mul(B.exp()).sum({ dim: 1 }).toArray());
    // The relu kernel was not used; the others were.
    const relu = vi.spyOn(kernels, "relu");
    const matmul = vi.spyOn(kernels, "matmul");
    new Leaky(mlpGraph()).run(inputs);
    expect(relu).not.toHaveBeenCalled();
    expect(matmul).toHaveBeenCalledTimes(1);
  });

  it("a result whose meta differs from the node's is reported", () => {
    class Wrong extends Interpreter {
      override runNode(node: AnyNode, args: readonly TensorData[]): TensorData {
        return node.op === "exp" ? TensorData.zeros("float64", [4]) : super.runNode(node, args);
      }
    }
    expect(() => new Wrong(mlpGraph()).run(inputs)).toThrow(
      /^interpret 'mlp': exp \(node 'exp'\) of \(x=\w+: f32\[4\]\) -> f32\[4\] produced f64\[4\], the graph says f32\[4\]$/,
    );
  });
});

describe("errors", () => {
  it("an input count mismatch names the graph and the inputs", () => {
    expect(() => interpret(mlpGraph(), inputs.slice(0, 1))).toThrow(TensorError);
    expect(() => interpret(mlpGraph(), inputs.slice(0, 1))).toThrow(
      /interpret 'mlp': expected 3 inputs \(x, w, b\), got 1/,
    );
  });

  it("an input meta mismatch names the graph, the input and both metas", () => {
    const wrongShape = [inputs[0]!, W.t().toData(), inputs[2]!];
    expect(() => interpret(mlpGraph(), wrongShape)).toThrow(
      /interpret 'mlp': input 1 'w' expects f32\[3,4\], got f32\[4,3\]/,
    );
    const wrongDtype = [inputs[0]!, inputs[1]!, B.double().toData()];
    expect(() => interpret(mlpGraph(), wrongDtype)).toThrow(/input 2 'b' expects f32\[4\], got f64\[4\]/);
  });

  it("an integer division by zero reports the node name and op", () => {
    const g = new GraphBuilder("intdiv");
    const a = g.input("a", meta([2], "int64"));
    const b = g.input("b", meta([2], "int64"));
    g.output([g.op("div", [a, b], undefined, "quot")]);
    const graph = g.build();
    expect(arr(interpret(graph, [tensor([7, -7]).toData(), tensor([2, 2]).toData()])[0]!)).toEqual([3, -3]);
    const run = () => interpret(graph, [tensor([7, 1]).toData(), tensor([2, 0]).toData()]);
    expect(run).toThrow(TensorError);
    expect(run).toThrow(
      /interpret 'intdiv': div \(node 'quot'\) of \(a=a: i64\[2\], b=b: i64\[2\]\) -> i64\[2\] failed: .*division by zero/,
    );
    // The kernel's own error is kept as the cause, not just its text.
    let caught: Error | undefined;
    try {
      run();
    } catch (e) {
      caught = e as Error;
    }
    expect(caught!.cause).toBeInstanceOf(TensorError);
    expect((caught!.cause as Error).message).toMatch(/^div: integer division by zero/);
  });
});

describe("outputs", () => {
  it("an output may be a graph input (returned as given)", () => {
    const g = new GraphBuilder("passthrough");
    const x = g.input("x", meta([3]));
    g.output([x, g.op("neg", [x]), x]);
    const xd = tensor([1, 2, 3], { dtype: "float32" }).toData();
    const [a, n, c] = interpret(g.build(), [xd]);
    expect(a).toBe(xd);
    expect(c).toBe(xd);
    expect(arr(n!)).toEqual([-1, -2, -3]);
  });

  it("values named like Object.prototype keys (__proto__, constructor)", () => {
    const g = new GraphBuilder("keys");
    const x = g.input("__proto__", meta([2]));
    const c = g.op("exp", [x], undefined, "constructor");
    g.output([g.op("add", [c, x], undefined, "__proto___"), c]);
    const X = tensor([0, 1], { dtype: "float32" });
    const [sum, e] = interpret(g.build(), [X.toData()]);
    expect(arr(sum!)).toEqual(X.exp().add(X).toArray());
    expect(arr(e!)).toEqual(X.exp().toArray());
  });

  it("a graph with no nodes returns its inputs", () => {
    const g = new GraphBuilder("identity");
    const x = g.input("x", meta([2], "bool"));
    g.output([x]);
    const xd = tensor([true, false]).toData();
    expect(interpret(g.build(), [xd])).toEqual([xd]);
  });

  it("a graph output used twice, and also read by a later node", () => {
    const g = new GraphBuilder("twice");
    const x = g.input("x", meta([2]));
    const e = g.op("exp", [x]);
    const s = g.op("add", [e, e]);
    g.output([e, s, e]);
    const X2 = tensor([0, 1], { dtype: "float32" });
    const [e1, sum, e2] = interpret(g.build(), [X2.toData()]);
    expect(e1).toBe(e2);
    expect(arr(e1!)).toEqual(X2.exp().toArray());
    expect(arr(sum!)).toEqual(X2.exp().add(X2.exp()).toArray());
  });
});

describe("symbolic graphs", () => {
  /** `mean(relu(x @ w), dim 0)` as a trace at batch size `b` would build it: mean as sum / b. */
  const buildAt = (b: number) => {
    const g = new GraphBuilder("mlp");
    const x = g.input("x", meta([b, 3]));
    const w = g.input("w", meta([3, 2]));
    const s = g.op("sum", [g.op("relu", [g.op("matmul", [x, w])])], { dims: [0] });
    g.output([g.op("div", [s, g.op("full", [], { shape: [], value: b })])]);
    return g.build();
  };
  const markers = MARKER_SETS.map((set) => new Map([["B", set[0]!]])) as [
    Map<string, number>,
    Map<string, number>,
  ];
  const symbolic = symbolize([buildAt(markers[0].get("B")!), buildAt(markers[1].get("B")!)], markers, [
    { name: "B", hint: 4, min: 1 },
  ]);

  it("one interpreter runs every batch size", () => {
    const interp = new Interpreter(symbolic);
    manualSeed(3);
    const w = randn([3, 2]);
    for (const b of [4, 7, 1, 7]) {
      const x = randn([b, 3]);
      const [out] = interp.run([x.toData(), w.toData()]);
      // Oracle: the same expression computed eagerly.
      const eager = x.matmul(w).relu().sum({ dim: 0 }).div(b);
      expect(arr(out!)).toEqual(eager.toArray());
    }
  });

  it("a failed guard names the symbol and the value", () => {
    const interp = new Interpreter(symbolic);
    expect(() =>
      interp.run([TensorData.zeros("float32", [0, 3]), TensorData.zeros("float32", [3, 2])]),
    ).toThrow("interpret 'mlp': graph 'mlp': guard B >= 1 failed: B = 0 (from input 0 'x' dim 0)");
  });
});

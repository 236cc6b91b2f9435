import { setWarningHandler, TensorData } from "@aotjs/ir";
import {
  interpret,
  kernels,
  manualSeed,
  nameTensor,
  ones,
  randn,
  Tensor,
  tensor,
  zeros,
} from "@aotjs/tensor";
import { afterEach, describe, expect, it, vi } from "vitest";
import { makeFx, TraceError, trace } from "../src/index.js";

const close = (a: Tensor, b: Tensor) => {
  expect(a.shape).toEqual(b.shape);
  const x = a.toArray() as number[];
  expect(x).toEqual(b.toArray());
};

afterEach(() => vi.restoreAllMocks());

describe("makeFx", () => {
  it("records one node per op, named after the op, with metas from the shape rules", () => {
    const g = makeFx((x: Tensor) => x.cos().cos(), { name: "forward", inputNames: ["primals_1"] })(
      randn([3]),
    );
    expect(g.code).toMatchInlineSnapshot(`
      "function forward(primals_1: f32[3]) {
        const cos: f32[3] = cos(primals_1);
        const cos_1: f32[3] = cos(cos);
        return [cos_1];
      }"
    `);
    g.lint();
  });

  it("does no arithmetic: no kernel runs while tracing", () => {
    const [x, w] = [randn([4, 5]), randn([5, 6])];
    const spies = Object.keys(kernels).map((op) =>
      vi.spyOn(kernels as unknown as Record<string, (...a: unknown[]) => unknown>, op),
    );
    const g = makeFx((a: Tensor, b: Tensor) =>
      a
        .matmul(b)
        .relu()
        .sum({ dim: 1 })
        .softmax(0)
        .add(randn([4])),
    )(x, w);
    expect(g.nodes.length).toBeGreaterThan(5);
    for (const s of spies) expect(s).not.toHaveBeenCalled();
  });

  // Oracle: eager execution of the same function on the same data.
  it("interpreting the graph equals running the function eagerly", () => {
    const f = (x: Tensor, y: Tensor) =>
      x.mul(y).add(2).exp().sum({ dim: -1, keepdim: true }).div(x.shape[1]!);
    const [x, y] = [randn([3, 4]), randn([4])];
    const g = makeFx(f)(x, y);
    const [out] = interpret(g, [x.toData(), y.toData()]);
    close(new Tensor(out!), f(x, y));
  });

  it("lets control flow branch on shapes, which are static", () => {
    const f = (x: Tensor) => (x.shape[0]! > 2 ? x.sin() : x.cos());
    expect(makeFx(f)(randn([3])).nodes[0]!.op).toBe("sin");
    expect(makeFx(f)(randn([2])).nodes[0]!.op).toBe("cos");
  });

  it("refuses data-dependent operations with an error naming them", () => {
    expect(() => makeFx((x: Tensor) => x.sum().item())(randn([3]))).toThrow(TraceError);
    expect(() => makeFx((x: Tensor) => x.sum().item())(randn([3]))).toThrow(/item\(\).*data-dependent/);
    expect(() => makeFx((x: Tensor) => x.toArray())(randn([3]))).toThrow(/toArray\(\)/);
    expect(() => makeFx((x: Tensor) => (+x.sum() > 0 ? x : x.neg()))(randn([3]))).toThrow(/data-dependent/);
  });

  it("rejects too few inputs", () => {
    expect(() => makeFx((x: Tensor, y: Tensor) => x.add(y))(randn([1]))).toThrow(
      /takes 2 argument\(s\) but 1/,
    );
  });

  it("rejects an async function", () => {
    expect(() => makeFx(async (x: Tensor) => x.cos())(randn([1]))).toThrow(/Promise/);
  });
});

/** Trace `fn`, then run the graph with its captured constants: what the graph computes, bit for bit. */
const runTraced = (fn: (x: Tensor) => Tensor, x: Tensor): TensorData => {
  const r = trace(fn, [x]);
  return interpret(r.graph, [x.toData(), ...r.constants.map((c) => c.value)])[0]!;
};

describe("captured constants", () => {
  it("embeds a captured tensor of one repeated value as a full node, copying nothing", () => {
    const big = zeros([1024, 1024]).add(3);
    const r = trace((x: Tensor) => x.add(big), [randn([1024, 1024])]);
    expect(r.constants).toEqual([]);
    expect(r.graph.nodes.map((n) => n.op)).toEqual(["full", "add"]);
    expect(JSON.stringify(r.graph.toJSON()).length).toBeLessThan(2000);
  });

  it("turns any other captured tensor into a named trailing input, passed by the caller", () => {
    const w = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { dtype: "float32" },
    );
    const r = trace((x: Tensor) => x.matmul(w), [randn([3, 2])]);
    expect(r.graph.inputs.map((v) => v.name)).toEqual(["arg_1", "_tensor_constant_0"]);
    expect(r.constants[0]!.value).toBe(w.toData());
    const x = randn([3, 2]);
    const [out] = interpret(r.graph, [x.toData(), ...r.constants.map((c) => c.value)]);
    close(new Tensor(out!), x.matmul(w));
  });

  // Oracle: PyTorch, where a parameter captured by a compiled function silently gets no gradient;
  // here it is captured the same way, with a warning naming the tensor and what to do instead.
  it("warns once about a captured tensor that requires grad, naming its meta and its reader", () => {
    const warnings: string[] = [];
    const previous = setWarningHandler((m) => warnings.push(m));
    try {
      const w = randn([2, 2], { requiresGrad: true });
      trace((x: Tensor) => x.matmul(w), [randn([3, 2])]);
      trace((x: Tensor) => x.matmul(w), [randn([3, 2])]);
      trace((x: Tensor) => x.matmul(randn([2, 2])), [randn([3, 2])]); // no grad: no warning
      expect(warnings).toEqual([
        "a tensor that requires grad (f32[2,2], read by matmul input 1) is not an argument of the traced function, " +
          "so it is captured as a constant and gets no gradient: pass it as an argument or use aotModule",
      ]);
    } finally {
      setWarningHandler(previous);
    }
  });

  it("an int64 constant beyond 2^53 is not rounded by embedding it as a full node", () => {
    const v = 2n ** 60n + 1n;
    const big = new Tensor(new TensorData("int64", [2], BigInt64Array.of(v, v)));
    const x = new Tensor(new TensorData("int64", [2], BigInt64Array.of(0n, 1n)));
    expect(Array.from(runTraced((a) => a.add(big), x).data as BigInt64Array)).toEqual([v, v + 1n]);
  });

  it("0 and -0 are different values: [0, -0] is not embedded as full(0)", () => {
    const signed = tensor([0, -0], { dtype: "float32" });
    const out = runTraced((a) => a.div(signed), ones([2]));
    expect(Array.from(out.data as Float32Array)).toEqual([
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ]);
  });

  it("an all -0 or all NaN constant still becomes one full node, keeping its value", () => {
    const r = trace((a: Tensor) => a.add(tensor([-0, -0], { dtype: "float32" })), [ones([2])]);
    expect(r.constants).toHaveLength(0);
    const nan = runTraced((a) => a.add(tensor([Number.NaN, Number.NaN])), ones([2]));
    expect(Array.from(nan.data as Float32Array).every(Number.isNaN)).toBe(true);
    const negZero = runTraced((a) => tensor([-0, -0], { dtype: "float32" }).div(a), ones([2]));
    expect(Array.from(negZero.data as Float32Array).every((v) => Object.is(v, -0))).toBe(true);
  });
});

describe("functionalization", () => {
  it("turns in-place updates of inputs into outputs and records which input each updates", () => {
    const f = (x: Tensor, buf: Tensor) => {
      buf.mul_(0.9).add_(x.mean({ dim: 0 }).mul(0.1));
      x.add_(1);
      return x.sum();
    };
    const [x, buf] = [randn([4, 3]), randn([3])];
    const r = trace(f, [x, buf], { inputNames: ["x", "buf"] });
    expect(r.graph.mutations).toEqual([
      { input: 0, output: 1 },
      { input: 1, output: 2 },
    ]);
    expect(r.graph.code).toContain("// buf is updated in place: its new value is output 2");
    // Oracle: run eagerly on copies and compare both the result and the updated inputs.
    const [ex, eb] = [x.clone(), buf.clone()];
    const expected = f(ex, eb);
    const outs = interpret(r.graph, [x.toData(), buf.toData()]).map((d) => new Tensor(d));
    close(outs[0]!, expected);
    close(outs[1]!, ex);
    close(outs[2]!, eb);
  });

  it("an update through copy_ and fill_ on an intermediate stays out-of-place", () => {
    const g = makeFx((x: Tensor) => {
      const y = x.mul(2);
      y.copy_(x.exp());
      y.fill_(1);
      return y.add(x);
    })(randn([2]));
    expect(g.mutations).toEqual([]);
    const x = randn([2]);
    const [out] = interpret(g, [x.toData()]);
    close(new Tensor(out!), x.add(1));
  });

  // Oracle: the name nn records for module members (nameTensor), which the messages must quote.
  it("names a captured tensor by the name recorded for it, in the warning and in the error", () => {
    const warnings: string[] = [];
    const previous = setWarningHandler((m) => warnings.push(m));
    try {
      const w = randn([2, 2], { requiresGrad: true });
      nameTensor(w, "fc.weight");
      trace((x: Tensor) => x.matmul(w), [randn([3, 2])]);
      expect(warnings[0]).toContain("('fc.weight' f32[2,2], read by matmul input 1)");
    } finally {
      setWarningHandler(previous);
    }
    const running = randn([2]);
    nameTensor(running, "bn.running_mean");
    nameTensor(running, "bn"); // a shorter name does not replace a longer one
    expect(() => makeFx((x: Tensor) => running.add_(x))(randn([2]))).toThrow(
      "in-place update of a tensor the traced function captured from outside its arguments ('bn.running_mean' f32[2])",
    );
  });

  it("refuses an in-place update of a captured tensor, which could not be returned", () => {
    const state = randn([2]);
    expect(() => makeFx((x: Tensor) => state.add_(x))(randn([2]))).toThrow(/captured from outside/);
  });
});

describe("random ops", () => {
  it("replays the traced random stream: seed and offset are embedded as constants", () => {
    manualSeed(7);
    const g = makeFx((x: Tensor) => x.add(randn([4])))(zeros([4]));
    expect(g.nodes.filter((n) => n.op === "uniform")).toHaveLength(2);
    manualSeed(7);
    const expected = randn([4]);
    const [out] = interpret(g, [zeros([4]).toData()]);
    close(new Tensor(out!), expected);
  });
});

describe("roles", () => {
  // Oracle: the roles written out by hand from what each input and output is.
  it("arguments are user inputs by flattened position; RNG inputs, constants and updates get their roles", () => {
    const w = tensor([[1, 2, 3]], { dtype: "float32" });
    const f = (p: { a: Tensor; b: Tensor }, x: Tensor) => {
      p.b.add_(1);
      return [x.matmul(w).add(randn([2, 3])), p.a.sum()];
    };
    const r = trace(f, [{ a: randn([2]), b: randn([2]) }, randn([2, 1])], { functionalizeRng: true });
    expect(r.graph.signature).toEqual({
      inputs: [
        { kind: "user_input", index: 0 },
        { kind: "user_input", index: 1 },
        { kind: "user_input", index: 2 },
        { kind: "constant", index: 0 },
        { kind: "rng_seed" },
        { kind: "rng_offset" },
      ],
      outputs: [
        { kind: "user_output", index: 0 },
        { kind: "user_output", index: 1 },
        { kind: "mutation", input: 1 },
      ],
    });
    expect(r.constants.map((c) => c.name)).toEqual(["_tensor_constant_0"]);
    r.graph.lint();
  });

  it("inputRoles names what each argument is; a parameter called tangents stays a parameter", () => {
    const r = trace((tangents: Tensor, x: Tensor) => x.mul(tangents), [randn([3]), randn([3])], {
      inputNames: ["tangents", "x"],
      inputRoles: [
        { kind: "parameter", path: "tangents" },
        { kind: "user_input", index: 0 },
      ],
    });
    expect(r.graph.signature.inputs).toEqual([
      { kind: "parameter", path: "tangents" },
      { kind: "user_input", index: 0 },
    ]);
    expect(r.graph.code).toContain("tangents: f32[3] /* parameter tangents */");
    expect(() => trace((x: Tensor) => x, [randn([3])], { inputRoles: [] })).toThrow(
      "trace 'traced': 0 input roles given for 1 tensor inputs",
    );
  });
});

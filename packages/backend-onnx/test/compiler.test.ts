// onnxCompiler as a Compiler: one session per graph, reused and released; no-copy inputs; errors
// that name the graph, node, op and shapes; run-time checks; flat memory over many calls.
import { GraphBuilder, meta, opNames, TensorData } from "@aotjs/ir";
import { interpret } from "@aotjs/tensor";
import * as ort from "onnxruntime-node";
import { describe, expect, test } from "vitest";
import { OnnxBackendError, OnnxExecutable, type OrtModule, onnxBackend, onnxCompiler } from "../src/node.js";

const f32 = (shape: number[], values?: number[]) =>
  new TensorData(
    "float32",
    shape,
    Float32Array.from(values ?? Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i / 7)),
  );
const i64 = (values: number[]) =>
  new TensorData("int64", [values.length], BigInt64Array.from(values.map(BigInt)));

/** x @ w + b, relu: a small dense layer. */
function denseGraph(batch = 4, n = 8, m = 3) {
  const b = new GraphBuilder("dense");
  const x = b.input("x", meta([batch, n]));
  const w = b.input("w", meta([n, m]));
  const bias = b.input("bias", meta([m]));
  b.output([b.op("relu", [b.op("add", [b.op("matmul", [x, w]), bias])])]);
  return b.build();
}

/** An ORT module that counts the sessions it creates and releases. */
function countingOrt() {
  const counts = { created: 0, released: 0, runs: 0 };
  const module: OrtModule = {
    Tensor: ort.Tensor,
    InferenceSession: {
      async create(model, options) {
        const session = await ort.InferenceSession.create(model, options);
        counts.created++;
        return new Proxy(session, {
          get(target, key) {
            if (key === "release")
              return async () => {
                counts.released++;
                return target.release();
              };
            if (key === "run")
              return (...args: Parameters<typeof target.run>) => {
                counts.runs++;
                return target.run(...args);
              };
            const v = Reflect.get(target, key);
            return typeof v === "function" ? v.bind(target) : v;
          },
        });
      },
    },
  };
  return { module, counts };
}

describe("sessions", () => {
  test("one session per compiled graph, reused by every run, released by dispose", async () => {
    const { module, counts } = countingOrt();
    const g = denseGraph();
    const exe = (await onnxCompiler({ ort: module })(g, g.inputMetas)) as OnnxExecutable;
    for (let i = 0; i < 5; i++) await exe.run([f32([4, 8]), f32([8, 3]), f32([3])]);
    expect(counts).toEqual({ created: 1, released: 0, runs: 5 });
    await exe.dispose();
    expect(counts.released).toBe(1);
    expect(exe.live).toBe(false);
    await exe.dispose(); // twice is fine
    expect(counts.released).toBe(1);
    await expect(exe.run([f32([4, 8]), f32([8, 3]), f32([3])])).rejects.toThrow(
      /graph 'dense': run\(\) after dispose\(\)/,
    );
  });

  test("dispose() during a run lets the run finish, then releases the session once", async () => {
    // Oracle: the TF.js executable's behaviour (the call in flight completes) and the reference
    // interpreter for its result.
    const { module, counts } = countingOrt();
    const g = denseGraph(256, 256, 256);
    const exe = (await onnxCompiler({ ort: module })(g, g.inputMetas)) as OnnxExecutable;
    const inputs = [f32([256, 256]), f32([256, 256]), f32([256])];
    const running = exe.run(inputs);
    const disposed = [exe.dispose(), exe.dispose()];
    expect(exe.live).toBe(false);
    await expect(exe.run(inputs)).rejects.toThrow(/run\(\) after dispose\(\)/);
    const [out] = await running;
    const [want] = interpret(g, inputs);
    const scale = Math.max(...Array.from(want!.data as Float32Array, Math.abs));
    const worst = Math.max(
      ...Array.from(out!.data as Float32Array, (v, i) => Math.abs(v - Number(want!.data[i]))),
    );
    expect(worst / scale).toBeLessThan(1e-5);
    await Promise.all(disposed);
    expect(counts).toMatchObject({ runs: 1, released: 1 });
  });

  test("aotFunction: dispose() right after calls, first and cached, lets them finish", async () => {
    // Oracle: eager x.sin().mul(2).
    const { aotFunction } = await import("@aotjs/aot");
    const { randn } = await import("@aotjs/tensor");
    const f = aotFunction((x: import("@aotjs/tensor").Tensor) => x.sin().mul(2), {
      fwCompiler: onnxCompiler(),
    });
    const x = randn([64]);
    const first = f(x);
    await f.dispose();
    const want = x.sin().mul(2).data() as Float32Array;
    const got = (await first).data() as Float32Array;
    expect(Math.max(...Array.from(got, (v, i) => Math.abs(v - want[i]!)))).toBeLessThan(1e-6);
    await f(x);
    const cached = [f(x), f(x)];
    await f.dispose();
    for (const out of await Promise.all(cached)) expect(out.shape).toEqual([64]);
  });

  test("inputs are wrapped without copying: ORT reads the TensorData's own buffer", async () => {
    const seen: unknown[] = [];
    const module: OrtModule = {
      InferenceSession: ort.InferenceSession,
      Tensor: function (this: unknown, type: never, data: never, dims: never) {
        seen.push(data);
        return new ort.Tensor(type, data, dims);
      } as unknown as typeof ort.Tensor,
    };
    const g = denseGraph();
    const exe = (await onnxCompiler({ ort: module })(g, g.inputMetas)) as OnnxExecutable;
    const inputs = [f32([4, 8]), f32([8, 3]), f32([3])];
    const [out] = await exe.run(inputs);
    expect(seen).toEqual(inputs.map((t) => t.data));
    inputs.forEach((t, i) => {
      expect(seen[i]).toBe(t.data);
    });
    expect(out!.data).toBeInstanceOf(Float32Array);
    await exe.dispose();
  });

  test("aotFunction's dispose releases both sessions", async () => {
    const { aotFunction } = await import("@aotjs/aot");
    const { randn } = await import("@aotjs/tensor");
    const { module, counts } = countingOrt();
    const c = onnxCompiler({ ort: module });
    const f = aotFunction((x: import("@aotjs/tensor").Tensor) => x.sin().mul(2), {
      fwCompiler: c,
      bwCompiler: c,
    });
    const y = await f(randn([5], { requiresGrad: true }));
    await y.sum().backward();
    expect(counts.created).toBe(2);
    await f.dispose();
    expect(counts.released).toBe(2);
  });

  test("memory stays flat over 1,000 calls (rss and external growth < 48 MB after warmup)", async () => {
    // Each call allocates ~0.5 MB of outputs; a leak of inputs, outputs or ORT values would grow by
    // about 500 MB over the calls. 48 MB leaves room for allocator and GC noise.
    const g = denseGraph(256, 256, 512);
    const exe = (await onnxCompiler()(g, g.inputMetas)) as OnnxExecutable;
    const inputs = [f32([256, 256]), f32([256, 512]), f32([512])];
    for (let i = 0; i < 100; i++) await exe.run(inputs);
    const before = process.memoryUsage();
    for (let i = 0; i < 1000; i++) await exe.run(inputs);
    const after = process.memoryUsage();
    const mb = (x: number) => x / 2 ** 20;
    expect(mb(after.rss - before.rss), "rss growth (MB)").toBeLessThan(48);
    expect(mb(after.external - before.external), "external growth (MB)").toBeLessThan(48);
    await exe.dispose();
  });
});

describe("float64 graphs keep float64 precision", () => {
  // Oracle: the reference interpreter in float64. ORT's MatMulScaleFusion folds a scalar factor
  // into FusedMatMul's alpha, a float32 attribute, which cost 3e-8 relative.
  const scaled = (order: "matmul then div" | "mul then matmul") => {
    const b = new GraphBuilder("scaled");
    const a = b.input("a", meta([4, 5], "float64"));
    const w = b.input("w", meta([5, 3], "float64"));
    const c = b.op("full", [], { shape: [], value: 1.04, dtype: "float64" });
    b.output([
      order === "matmul then div"
        ? b.op("div", [b.op("matmul", [a, w]), c])
        : b.op("matmul", [b.op("mul", [a, c]), w]),
    ]);
    return b.build();
  };
  // At "extended" (asked for; float64 graphs default to "basic") the fusion runs unless the
  // session disables it next to the default list (CSE), which checks how the names are joined,
  // and also when the caller's own list is empty.
  test.each([
    ["matmul then div", undefined, undefined],
    ["mul then matmul", undefined, undefined],
    ["matmul then div", "extended", undefined],
    ["mul then matmul", "extended", undefined],
    ["matmul then div", "extended", []],
  ] as const)(
    "%s by 1.04 within 1e-15 of the reference (level %s, disabledOptimizers %j)",
    async (order, level, disabled) => {
      const g = scaled(order);
      const inputs = [
        new TensorData(
          "float64",
          [4, 5],
          Float64Array.from({ length: 20 }, (_, i) => Math.sin(i + 1)),
        ),
        new TensorData(
          "float64",
          [5, 3],
          Float64Array.from({ length: 15 }, (_, i) => Math.cos(i + 1)),
        ),
      ];
      const exe = (await onnxCompiler({
        ...(level ? { graphOptimizationLevel: level } : {}),
        ...(disabled ? { disabledOptimizers: disabled } : {}),
      })(g, g.inputMetas)) as OnnxExecutable;
      const [got] = await exe.run(inputs);
      const [want] = interpret(g, inputs);
      const scale = Math.max(...Array.from(want!.data as Float64Array, Math.abs));
      const worst = Math.max(
        ...Array.from(got!.data as Float64Array, (v, i) => Math.abs(v - Number(want!.data[i]))),
      );
      expect(worst / scale).toBeLessThan(1e-15);
      await exe.dispose();
    },
  );
});

describe("float64 graphs are kept from float32-only fusions", () => {
  // Oracle: the reference interpreter. At ORT's "all" level, float64 x * sigmoid(x) (F.silu) is
  // fused into com.microsoft.QuickGelu, whose kernel is float32-only: the session failed to load.
  test.each(["float64", "float32"] as const)(
    "%s x * sigmoid(x) loads and matches the reference",
    async (dtype) => {
      const b = new GraphBuilder("silu");
      const x = b.input("x", meta([2, 3], dtype));
      b.output([b.op("mul", [x, b.op("sigmoid", [x])])]);
      const g = b.build();
      const values = Array.from({ length: 6 }, (_, i) => i / 2 - 1.3);
      const input = new TensorData(
        dtype,
        [2, 3],
        dtype === "float64" ? Float64Array.from(values) : Float32Array.from(values),
      );
      const exe = await onnxCompiler({ intraOpNumThreads: 1 })(g, g.inputMetas);
      const [got] = await exe.run([input]);
      const [want] = interpret(g, [input]);
      const tol = dtype === "float64" ? 1e-15 : 1e-6;
      Array.from(got!.data as Float64Array).forEach((v, i) => {
        expect(Math.abs(v - Number(want!.data[i]))).toBeLessThan(tol);
      });
      await exe.dispose();
    },
  );
});

describe("names that are Object.prototype keys", () => {
  // Oracle: the reference interpreter. `__proto__` is a valid IR name; feeds and results keyed by
  // it in plain objects would set a prototype instead of a property.
  test.each([
    ["__proto__", "y"],
    ["x", "__proto__"],
    ["constructor", "toString"],
  ])("input '%s' and node '%s', also returned as outputs, run on ORT", async (inputName, nodeName) => {
    const b = new GraphBuilder("keys");
    const x = b.input(inputName, meta([3]));
    const y = b.op("sin", [x], undefined, nodeName);
    b.output([b.op("mul", [y, x]), y, x]);
    const g = b.build();
    const inputs = [f32([3], [1, 2, 3])];
    const exe = (await onnxCompiler()(g, g.inputMetas)) as OnnxExecutable;
    const got = await exe.run(inputs);
    const want = interpret(g, inputs);
    expect(got.map((t) => Array.from(t.data as Float32Array))).toEqual(
      want.map((t) => Array.from(t.data as Float32Array)),
    );
    await exe.dispose();
  });
});

describe("errors name the graph, node, op and shapes", () => {
  test("a wrong input dtype, shape or count", async () => {
    const g = denseGraph();
    const exe = (await onnxCompiler()(g, g.inputMetas)) as OnnxExecutable;
    await expect(exe.run([f32([4, 8]), f32([8, 3])])).rejects.toThrow(
      /graph 'dense' takes 3 inputs \(x, w, bias\), got 2/,
    );
    await expect(exe.run([f32([4, 9]), f32([8, 3]), f32([3])])).rejects.toThrow(
      /graph 'dense': input 0 'x' expects f32\[4,8\], got f32\[4,9\] \(read by matmul 'matmul'\)/,
    );
    const bad = new TensorData("float64", [3], new Float64Array(3));
    await expect(exe.run([f32([4, 8]), f32([8, 3]), bad])).rejects.toThrow(
      /input 2 'bias' expects f32\[3\], got f64\[3\]/,
    );
    await expect(exe.run([f32([4, 8]), f32([8, 3]), {} as TensorData])).rejects.toThrow(
      /must be a TensorData/,
    );
    await exe.dispose();
  });

  test("integer division by zero is an error naming the node (the reference throws too), not a crash", async () => {
    const b = new GraphBuilder("intdiv");
    const x = b.input("a", meta([3], "int64"));
    const y = b.input("b", meta([3], "int64"));
    b.output([b.op("div", [x, y], undefined, "quotient")]);
    const g = b.build();
    const exe = (await onnxCompiler()(g, g.inputMetas)) as OnnxExecutable;
    expect(
      Array.from((await exe.run([i64([7, -7, 9]), i64([2, 2, -1])]))[0]!.data as BigInt64Array, Number),
    ).toEqual([3, -3, -9]);
    await expect(exe.run([i64([1, 2, 3]), i64([1, 0, 1])])).rejects.toThrow(
      /div \(node 'quotient'\) of \(a=a: i64\[3\], b=b: i64\[3\]\) -> i64\[3\] failed: integer division by zero/,
    );
    await exe.dispose();
  });

  test("an out-of-range gather index names the node", async () => {
    const b = new GraphBuilder("g");
    const x = b.input("x", meta([3]));
    const index = b.input("index", meta([2], "int64"));
    b.output([b.op("gather", [x, index], { dim: 0 }, "picked")]);
    const g = b.build();
    const exe = (await onnxCompiler()(g, g.inputMetas)) as OnnxExecutable;
    await expect(exe.run([f32([3]), i64([0, -1])])).rejects.toThrow(
      /gather \(node 'picked'\).*index is out of range for dim 0 of x \[3\]/,
    );
    await expect(exe.run([f32([3]), i64([0, 3])])).rejects.toThrow(/picked/);
    await exe.dispose();
  });

  test("casting NaN to an integer names the node", async () => {
    const b = new GraphBuilder("c");
    const x = b.input("x", meta([2]));
    b.output([b.op("cast", [x], { dtype: "int32" }, "to_int")]);
    const g = b.build();
    const exe = (await onnxCompiler()(g, g.inputMetas)) as OnnxExecutable;
    expect(Array.from((await exe.run([f32([2], [-2.7, 3.9])]))[0]!.data as Int32Array)).toEqual([-2, 3]);
    await expect(exe.run([f32([2], [Number.NaN, 1])])).rejects.toThrow(
      /cast \(node 'to_int'\).*cannot convert NaN/,
    );
    await exe.dispose();
  });

  test("a graph with no outputs is refused before ORT sees it; one with only in-place updates runs", async () => {
    // Oracle: the error's content; the aot runtime's write-back (eager: buf.add_(1) gives 1s).
    const b = new GraphBuilder("nothing");
    b.input("x", meta([2]));
    b.output([]);
    const g = b.build();
    await expect(onnxCompiler()(g, g.inputMetas)).rejects.toThrow(
      /graph 'nothing' has no outputs; an ONNX model needs at least one/,
    );
    const { aotFunction } = await import("@aotjs/aot");
    const { zeros } = await import("@aotjs/tensor");
    const bump = aotFunction(
      (buf: import("@aotjs/tensor").Tensor) => {
        buf.add_(1);
      },
      { fwCompiler: onnxCompiler() },
    );
    const buf = zeros([2]);
    expect(await bump(buf)).toBeUndefined();
    expect(Array.from(buf.data() as Float32Array)).toEqual([1, 1]);
    await bump.dispose();
  });

  test("lowering errors name the op and node: random ops pinned to opset 17, unsupported opsets", async () => {
    const b = new GraphBuilder("r");
    const seed = b.input("seed", meta([], "int64"));
    const offset = b.input("offset", meta([], "int64"));
    b.output([b.op("bernoulli", [seed, offset], { shape: [4], p: 0.5 }, "mask")]);
    const g = b.build();
    await expect(onnxCompiler({ opset: 17 })(g, g.inputMetas)).rejects.toThrow(
      /cannot lower bernoulli \(node 'mask'\) of \(seed=seed: i64\[\], offset=offset: i64\[\]\) -> bool\[4\] at opset 17: .*BitwiseXor/,
    );
    await expect(onnxCompiler({ opset: 12 })(g, g.inputMetas)).rejects.toThrow(OnnxBackendError);
    await expect(onnxCompiler({ opset: 12 })(g, g.inputMetas)).rejects.toThrow(/opset 12 is not supported/);
  });
});

test("the Backend object declares every catalog op as supported and makes compilers", async () => {
  expect(onnxBackend.name).toBe("onnx");
  expect([...onnxBackend.supportedOps].sort()).toEqual([...opNames].sort());
  const g = denseGraph();
  const exe = await onnxBackend.compiler({ intraOpNumThreads: 1 })(g, g.inputMetas);
  expect(exe).toBeInstanceOf(OnnxExecutable);
  await (exe as OnnxExecutable).dispose();
});

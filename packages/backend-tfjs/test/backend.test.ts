// Backend selection, the Backend object, the package's dependency contract and the seed example.
import { readFileSync } from "node:fs";
import { aotFunction } from "@aotjs/aot";
import { opNames } from "@aotjs/ir";
import { randn, type Tensor } from "@aotjs/tensor";
import { makeFx } from "@aotjs/tracer";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, test } from "vitest";
import { backendFailures, resolveBackend, supportedOps, tfjsBackend, tfjsCompiler } from "../src/index.js";

/** A one-op graph to compile: cos of f32[3], by the tracer. */
function tracedCos() {
  return makeFx((x: Tensor) => x.cos())(randn([3]));
}

describe("backend selection", () => {
  test("auto picks tensorflow (tfjs-node) when it loads, else wasm", async () => {
    const name = await resolveBackend("auto");
    // tfjs-node cannot be installed on these machines (its native library is downloaded from an
    // unreachable host), so here auto lands on wasm; with tfjs-node working it is tensorflow.
    expect(name).toBe(tf.findBackendFactory("tensorflow") ? "tensorflow" : "wasm");
  });

  test("a named backend that is not there is a clear error", async () => {
    if (!tf.findBackendFactory("tensorflow")) {
      await expect(resolveBackend("tensorflow")).rejects.toThrow(
        /the TF.js backend 'tensorflow' is not available: install @tensorflow\/tfjs-node \(an optional peer dependency/,
      );
    }
    await expect(resolveBackend("webgpu-nope")).rejects.toThrow(
      /the TF.js backend 'webgpu-nope' is not registered \(registered: .*cpu.*wasm/,
    );
  });

  test("a backend whose initialization fails is tried once; the failure is remembered and named", async () => {
    // Oracle: a factory counting its calls. TF.js itself would call it again on every setBackend.
    let starts = 0;
    tf.registerBackend("failing-init", async () => {
      starts++;
      throw new Error("could not fetch failing.wasm");
    });
    const compile = tfjsCompiler({ backend: "failing-init" });
    const graph = tracedCos();
    for (let i = 0; i < 3; i++) {
      await expect(resolveBackend("failing-init")).rejects.toThrow(
        /the TF.js backend 'failing-init' failed to initialize/,
      );
      await expect(compile(graph, graph.inputMetas)).rejects.toThrow(/'failing-init' failed to initialize/);
    }
    expect(starts).toBe(1);
    expect(backendFailures().get("failing-init")?.message).toMatch(/failed to initialize/);
    tf.removeBackend("failing-init");
  });

  test("the Backend object declares every catalog op", () => {
    expect(tfjsBackend.name).toBe("tfjs");
    expect(tfjsBackend.supportedOps).toBe(supportedOps);
    expect([...supportedOps].sort()).toEqual([...opNames].sort());
    expect(typeof tfjsBackend.compiler({ backend: "cpu" })).toBe("function");
  });

  test("wasm has no Conv2DBackpropFilter kernel (the conv weight gradient lowers around it)", () => {
    expect(tf.getKernel("Conv2DBackpropFilter", "wasm")).toBeUndefined();
    expect(tf.getKernel("Conv2D", "wasm")).toBeDefined();
  });
});

test("@tensorflow/tfjs-node is an optional peer dependency; tfjs-core and the two backends used are the dependencies", () => {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  expect(pkg.dependencies["@tensorflow/tfjs-node"]).toBeUndefined();
  expect(pkg.peerDependencies["@tensorflow/tfjs-node"]).toBeDefined();
  expect(pkg.peerDependenciesMeta["@tensorflow/tfjs-node"]).toEqual({ optional: true });
  // Not the umbrella @tensorflow/tfjs: its layers, converter, data and webgl are not used here.
  expect(
    Object.keys(pkg.dependencies)
      .filter((d) => d.startsWith("@tensorflow/"))
      .sort(),
  ).toEqual(["@tensorflow/tfjs-backend-cpu", "@tensorflow/tfjs-backend-wasm", "@tensorflow/tfjs-core"]);
});

describe.each(["auto", "cpu", "wasm"])("the seed example on %s", (backend) => {
  test("x.cos().cos() runs and backprops", async () => {
    const f = (x: Tensor) => x.cos().cos();
    const nf = aotFunction(f, {
      fwCompiler: tfjsCompiler({ backend }),
      bwCompiler: tfjsCompiler({ backend }),
    });
    const x = randn([3], { requiresGrad: true });
    const out = await nf(x);
    await out.sum().backward();
    const xs = x.toArray() as number[];
    expect(out.toArray()).toEqual(xs.map((v) => expect.closeTo(Math.cos(Math.cos(v)), 6)));
    // d/dx cos(cos(x)) = sin(cos(x)) sin(x)
    expect(x.grad!.toArray()).toEqual(xs.map((v) => expect.closeTo(Math.sin(Math.cos(v)) * Math.sin(v), 6)));

    // Eager before, eager after, backprop through the compiled function.
    const inp = randn([3], { requiresGrad: true });
    const y = await nf(inp.cos());
    await y.sin().sum().backward();
    const v = inp.toArray() as number[];
    // d/da sin(cos(cos(c))) with c = cos(a): cos(y) * sin(cos(c)) sin(c) * -sin(a), y = cos(cos(c))
    const expected = v.map((a) => {
      const c = Math.cos(a);
      return Math.cos(Math.cos(Math.cos(c))) * Math.sin(Math.cos(c)) * Math.sin(c) * -Math.sin(a);
    });
    expect(inp.grad!.toArray()).toEqual(expected.map((e) => expect.closeTo(e, 5)));
    await nf.dispose();
  });
});

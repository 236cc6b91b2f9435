// The ONNX model itself: messages built with onnx-buf, names kept, metadata, opsets, initializers,
// export to files and the artifacts manifest; the RNG reproduced bit for bit.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { aotExport } from "@aotjs/aot";
import { GraphBuilder, meta, TensorData } from "@aotjs/ir";
import { F, mlp } from "@aotjs/nn";
import { interpret, manualSeed, randn, type Tensor } from "@aotjs/tensor";
import { fromBinary } from "@bufbuild/protobuf";
import { ModelProtoSchema } from "onnx-buf";
import * as ort from "onnxruntime-node";
import { afterAll, describe, expect, test } from "vitest";
import {
  AOTJS_VERSION,
  exportOnnx,
  lowerGraph,
  type OnnxExecutable,
  onnxCompiler,
  sha256,
  toOnnxModel,
  writeArtifacts,
} from "../src/node.js";

const dir = mkdtempSync(join(tmpdir(), "aotjs-onnx-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cosGraph() {
  const b = new GraphBuilder("forward");
  const x = b.input("primals_1", meta([3]));
  const cos = b.op("cos", [x]);
  b.output([b.op("cos", [cos]), x, cos]);
  return b.build();
}

describe("toOnnxModel", () => {
  test("IR 8 / opset 17 by default, values keep their graph names, metadata records version and graph hash", () => {
    const g = cosGraph();
    const model = fromBinary(ModelProtoSchema, toOnnxModel(g));
    expect(model.irVersion).toBe(8n);
    expect(model.opsetImport.map((o) => [o.domain, o.version])).toEqual([["", 17n]]);
    expect(model.producerName).toBe("aotjs");
    expect(model.graph!.input.map((v) => v.name)).toEqual(["primals_1"]);
    // The input returned as an output goes through an Identity (ONNX outputs are node results).
    expect(model.graph!.output.map((v) => v.name)).toEqual(["cos_1", "primals_1__out1", "cos"]);
    expect(model.graph!.node.map((n) => [n.opType, n.name, n.output[0]])).toEqual([
      ["Cos", "cos", "cos"],
      ["Cos", "cos_1", "cos_1"],
      ["Identity", "primals_1__out1", "primals_1__out1"],
    ]);
    const props = Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value]));
    const expectedHash = createHash("sha256").update(JSON.stringify(g.toJSON())).digest("hex");
    expect(props).toMatchObject({
      "aotjs.version": AOTJS_VERSION,
      "aotjs.graph_sha256": expectedHash,
      "aotjs.graph_name": "forward",
    });
  });

  test("the pure-JS sha256 agrees with node:crypto", () => {
    for (const s of ["", "abc", "x".repeat(55), "y".repeat(56), "z".repeat(64), "é✓".repeat(1000)]) {
      expect(sha256(s)).toBe(createHash("sha256").update(s).digest("hex"));
    }
  });

  test("a graph with random ops is lowered at opset 18; higher opsets are honoured", () => {
    const b = new GraphBuilder("drop");
    const seed = b.input("rng_seed", meta([], "int64"));
    const offset = b.input("rng_offset", meta([], "int64"));
    b.output([b.op("uniform", [seed, offset], { shape: [2] })]);
    expect(lowerGraph(b.build()).opset).toBe(18);
    expect(lowerGraph(cosGraph(), { opset: 21 })).toMatchObject({ opset: 21, irVersion: 10 });
  });

  test("initializers turn graph inputs into stored weights", async () => {
    const b = new GraphBuilder("affine");
    const x = b.input("x", meta([2]));
    const w = b.input("w", meta([2]));
    b.output([b.op("mul", [x, w])]);
    const g = b.build();
    const weight = new TensorData("float32", [2], Float32Array.of(3, -1));
    const bytes = toOnnxModel(g, { initializers: { w: weight } });
    const model = fromBinary(ModelProtoSchema, bytes);
    expect(model.graph!.input.map((v) => v.name)).toEqual(["x"]);
    expect(model.graph!.initializer.map((t) => t.name)).toContain("w");
    const session = await ort.InferenceSession.create(bytes);
    const r = await session.run({ x: new ort.Tensor("float32", Float32Array.of(2, 5), [2]) });
    expect(Array.from(r[session.outputNames[0]!]!.data as Float32Array)).toEqual([6, -5]);
    await session.release();
    expect(() => toOnnxModel(g, { initializers: { v: weight } })).toThrow(/no input 'v'/);
    expect(() =>
      toOnnxModel(g, { initializers: { w: new TensorData("float32", [3], new Float32Array(3)) } }),
    ).toThrow(/initializer for input 'w' is f32\[3\], the graph says f32\[2\]/);
  });

  test("an initializer and an output named __proto__: the weight is stored, the output renamed", () => {
    // Oracle: the model's own lists. Object.fromEntries makes `__proto__` an own key, as export does.
    const b = new GraphBuilder("keys");
    const x = b.input("x", meta([2]));
    const w = b.input("__proto__", meta([2]));
    b.output([b.op("mul", [x, w], undefined, "__proto___")]);
    const g = b.build();
    const weight = new TensorData("float32", [2], Float32Array.of(3, -1));
    const lowered = lowerGraph(g, { initializers: Object.fromEntries([["__proto__", weight]]) });
    expect(lowered.inputNames).toEqual(["x"]);
    expect(lowered.model.graph!.initializer.map((t) => t.name)).toContain("__proto__");
    const out = new GraphBuilder("out");
    const y = out.input("y", meta([2]));
    out.output([out.op("neg", [y], undefined, "__proto__")]);
    const [name] = lowerGraph(out.build()).outputNames;
    expect(name).not.toBe("__proto__");
    expect(name).toMatch(/^__proto____out0/);
  });

  test("exportOnnx writes a model ORT loads", async () => {
    const path = join(dir, "cos.onnx");
    const bytes = await exportOnnx(cosGraph(), path);
    expect(new Uint8Array(readFileSync(path))).toEqual(bytes);
    const session = await ort.InferenceSession.create(path);
    expect(session.inputNames).toEqual(["primals_1"]);
    await session.release();
  });
});

describe("aotExport + writeArtifacts", () => {
  test("forward.onnx, backward.onnx and manifest.json describe a training step ORT can run", async () => {
    manualSeed(5);
    const net = mlp([4, 8, 2]);
    const x = randn([3, 4]);
    const y = randn([3, 2]);
    const exported = aotExport(net, [x, y], { call: (m, a, t) => F.mseLoss(m.forward(a!), t!) });
    const { signature } = exported;
    expect(signature.parameters).toEqual(["_0_weight", "_0_bias", "_2_weight", "_2_bias"]);
    expect(signature.inputs.filter((i) => i.kind === "parameter").map((i) => i.target)).toEqual([
      "0.weight",
      "0.bias",
      "2.weight",
      "2.bias",
    ]);
    expect(signature.userInputs).toEqual(["input_1", "input_2"]);
    expect(signature.userOutputs.length).toBe(1);
    expect(signature.backward!.outputs.map((o) => o.target)).toEqual([
      "0.weight",
      "0.bias",
      "2.weight",
      "2.bias",
    ]);
    const out = join(dir, "mlp");
    const byTarget = new Map(net.namedParameters());
    const weights = Object.fromEntries(
      signature.inputs.filter((i) => i.target).map((i) => [i.name, byTarget.get(i.target!)!.toData()]),
    );
    const manifest = await writeArtifacts(exported, out, { weights });
    const onDisk = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
    expect(onDisk).toEqual(JSON.parse(JSON.stringify(manifest)));
    expect(manifest.forward.sha256).toBe(
      createHash("sha256")
        .update(readFileSync(join(out, "forward.onnx")))
        .digest("hex"),
    );
    expect(manifest.weights!.tensors.map((t) => t.name)).toEqual(Object.keys(weights));
    // Each file's inputs and outputs carry their roles (oracle: the graphs' own signatures).
    expect(manifest.forward.inputs.map((i) => i.role)).toEqual(exported.forward.signature.inputs);
    expect(manifest.forward.inputs[0]!.role).toEqual({ kind: "parameter", path: "0.weight" });
    expect(manifest.forward.outputs.map((o) => o.role)).toEqual(exported.forward.signature.outputs);
    expect(manifest.backward!.inputs.map((i) => i.role)).toEqual(exported.backward!.signature.inputs);
    expect(manifest.backward!.outputs.map((o) => o.role.kind)).toEqual([
      "gradient",
      "gradient",
      "gradient",
      "gradient",
    ]);

    // Run the files with plain ORT and compare with the interpreter.
    const fw = await ort.InferenceSession.create(join(out, "forward.onnx"));
    const bw = await ort.InferenceSession.create(join(out, "backward.onnx"));
    const feeds: Record<string, ort.Tensor> = {};
    const inputs = exported.forward.inputs.map(
      (v) => (v.name === "input_1" ? x : v.name === "input_2" ? y : null)?.toData() ?? weights[v.name]!,
    );
    exported.forward.inputs.forEach((v, i) => {
      feeds[v.name] = new ort.Tensor(inputs[i]!.dtype, inputs[i]!.data as Float32Array, [
        ...inputs[i]!.shape,
      ]);
    });
    const fwOut = await fw.run(feeds);
    const expected = interpret(exported.forward, inputs);
    const loss = fwOut[manifest.forward.outputs[0]!.name]!.data[0] as number;
    expect(loss).toBeCloseTo(Number(expected[0]!.data[0]), 5);
    const bwFeeds: Record<string, ort.Tensor> = {};
    for (const b of signature.backward!.inputs) {
      bwFeeds[b.name] =
        b.kind === "saved"
          ? fwOut[manifest.forward.outputs[b.forwardOutput!]!.name]!
          : new ort.Tensor("float32", Float32Array.of(1), []);
    }
    const grads = await bw.run(bwFeeds);
    const expectedGrads = interpret(
      exported.backward!,
      signature.backward!.inputs.map((b) =>
        b.kind === "saved" ? expected[b.forwardOutput!]! : new TensorData("float32", [], Float32Array.of(1)),
      ),
    );
    manifest.backward!.outputs.forEach((o, i) => {
      const got = Array.from(grads[o.name]!.data as Float32Array);
      Array.from(expectedGrads[i]!.data as Float32Array).forEach((v, k) => {
        expect(got[k]).toBeCloseTo(v, 5);
      });
    });
    await fw.release();
    await bw.release();
  });

  test("an export with nothing requiring grad is a single inference graph; captured tensors become initializers", async () => {
    const w = randn([4, 2]);
    const exported = aotExport((x: Tensor) => x.matmul(w).relu(), [randn([3, 4])]);
    expect(exported.backward).toBeUndefined();
    expect(exported.constants.length).toBe(1);
    const manifest = await writeArtifacts(exported, join(dir, "inference"));
    expect(manifest.backward).toBeUndefined();
    // The captured weight is baked in: the only session input is the user's.
    expect(manifest.forward.inputs).toEqual([
      { name: "primals_1", dtype: "float32", shape: [3, 4], role: { kind: "user_input", index: 0 } },
    ]);
  });
});

describe("random ops reproduce the reference generator bit for bit", () => {
  const cases = [
    {
      op: "uniform",
      attrs: { shape: [1000], dtype: "float32", low: -1, high: 3 },
      seed: 42,
      offset: 1234567,
    },
    { op: "uniform", attrs: { shape: [257], dtype: "float64" }, seed: 2 ** 45 + 11, offset: 2 ** 40 },
    { op: "bernoulli", attrs: { shape: [40, 25], p: 0.3 }, seed: 9, offset: 2 ** 33 - 500 },
  ] as const;
  test.each(cases)("$op $attrs.shape seed $seed offset $offset", async ({ op, attrs, seed, offset }) => {
    const b = new GraphBuilder("rng");
    const s = b.input("seed", meta([], "int64"));
    const o = b.input("offset", meta([], "int64"));
    b.output([b.op(op, [s, o], attrs as never)]);
    const g = b.build();
    const inputs = [seed, offset].map((v) => new TensorData("int64", [], BigInt64Array.of(BigInt(v))));
    const exe = (await onnxCompiler()(g, g.inputMetas)) as OnnxExecutable;
    const [got] = await exe.run(inputs);
    const [want] = interpret(g, inputs);
    expect(Array.from(got!.data as ArrayLike<number>)).toEqual(Array.from(want!.data as ArrayLike<number>));
    await exe.dispose();
  });
});

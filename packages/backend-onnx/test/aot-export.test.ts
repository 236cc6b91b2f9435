// aotExport's signature (parameters, buffers, mutations, RNG inputs, gradient wiring), checked by
// running the exported graphs on ORT the way the manifest describes.
import { aotExport } from "@aotjs/aot";
import { type Graph, TensorData } from "@aotjs/ir";
import { BatchNorm1d, Dropout, F, Linear, Module } from "@aotjs/nn";
import { interpret, manualSeed, randn, type Tensor } from "@aotjs/tensor";
import { describe, expect, test } from "vitest";
import { type OnnxExecutable, onnxCompiler } from "../src/node.js";

class Net extends Module {
  fc = new Linear(6, 4);
  bn = new BatchNorm1d(4);
  drop = new Dropout(0.5);
  unused = new Linear(2, 2);
  override forward(x: Tensor): Tensor {
    return this.drop.forward(this.bn.forward(this.fc.forward(x))).relu();
  }
}

async function runOnOrt(graph: Graph, inputs: readonly TensorData[]): Promise<TensorData[]> {
  const exe = (await onnxCompiler()(graph, graph.inputMetas)) as OnnxExecutable;
  try {
    return await exe.run(inputs);
  } finally {
    await exe.dispose();
  }
}

describe("aotExport", () => {
  manualSeed(4);
  const net = new Net();
  const x = randn([5, 6]);
  const exported = aotExport(net, [x], {
    call: (m, input) => F.mseLoss(m.forward(input!), input!.narrow(1, 0, 4)),
  });
  const { signature } = exported;

  test("parameters, buffers and user inputs are named and classified", () => {
    expect(signature.parameters).toEqual([
      "fc_weight",
      "fc_bias",
      "bn_weight",
      "bn_bias",
      "unused_weight",
      "unused_bias",
    ]);
    expect(signature.buffers).toEqual(["bn_running_mean", "bn_running_var", "bn_num_batches_tracked"]);
    expect(signature.userInputs).toEqual(["input_1"]);
    expect(signature.inputs.find((i) => i.name === "bn_running_mean")).toMatchObject({
      kind: "buffer",
      target: "bn.running_mean",
      requiresGrad: false,
    });
    expect(signature.rng).toMatchObject({ seed: "rng_seed", offset: "rng_offset" });
    expect(signature.rng!.consumed).toBe(20); // one bernoulli over [5, 4]
  });

  test("BatchNorm's running statistics are mutations; gradients are wired to parameters; unused ones are marked", () => {
    expect(signature.mutations.map((m) => m.input)).toEqual([
      "bn_running_mean",
      "bn_running_var",
      "bn_num_batches_tracked",
    ]);
    for (const m of signature.mutations)
      expect(signature.outputs[m.outputIndex]).toMatchObject({ kind: "mutation", mutates: m.input });
    const grads = signature.backward!.outputs;
    expect(grads.map((g) => g.target)).toEqual([
      "fc.weight",
      "fc.bias",
      "bn.weight",
      "bn.bias",
      "unused.weight",
      "unused.bias",
    ]);
    expect(grads.map((g) => g.used)).toEqual([true, true, true, true, false, false]);
    const tangents = signature.backward!.inputs.filter((b) => b.kind === "tangent");
    expect(tangents).toEqual([expect.objectContaining({ userOutput: 0, shape: [] })]);
  });

  test("on ORT (opset 18 for the dropout mask) the exported step equals the reference, mask bits included", async () => {
    const state = new Map<string, Tensor>([...net.namedParameters(), ...net.namedBuffers()]);
    const scalar = (v: number) => new TensorData("int64", [], BigInt64Array.of(BigInt(v)));
    const inputs = signature.inputs.map((i) =>
      i.target
        ? state.get(i.target)!.toData()
        : i.kind === "rng_seed"
          ? scalar(77)
          : i.kind === "rng_offset"
            ? scalar(1000)
            : x.toData(),
    );
    const got = await runOnOrt(exported.forward, inputs);
    const want = interpret(exported.forward, inputs);
    got.forEach((t, i) => {
      const a = Array.from(t.data as ArrayLike<number | bigint>, Number);
      const e = Array.from(want[i]!.data as ArrayLike<number | bigint>, Number);
      a.forEach((v, k) => {
        expect(
          Math.abs(v - e[k]!),
          `output ${i} '${exported.forward.outputs[i]!.name}' element ${k}`,
        ).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(e[k]!)));
      });
    });
    const one = new TensorData("float32", [], Float32Array.of(1));
    const bwInputs = signature.backward!.inputs.map((b) =>
      b.kind === "saved" ? want[b.forwardOutput!]! : one,
    );
    const grads = await runOnOrt(exported.backward!, bwInputs);
    const wantGrads = interpret(exported.backward!, bwInputs);
    grads.forEach((g, i) => {
      Array.from(g.data as Float32Array).forEach((v, k) => {
        expect(Math.abs(v - (wantGrads[i]!.data as Float32Array)[k]!)).toBeLessThanOrEqual(1e-5);
      });
    });
  });

  test("eval mode: no RNG and no mutations", () => {
    net.eval();
    const inference = aotExport(net, [x]);
    net.train();
    expect(inference.backward).toBeDefined(); // parameters still require grad
    expect(inference.signature.rng).toBeUndefined();
    expect(inference.signature.mutations).toEqual([]);
  });
});

test("a function that returns no tensor and updates nothing is refused at trace time, saying what it returned", () => {
  // Oracle: the message itself; an export of it would be a model with no outputs.
  expect(() => aotExport((_: Tensor) => 42, [randn([2])])).toThrow(
    /aotExport: the function returned the number 42 and updated no input in place/,
  );
});

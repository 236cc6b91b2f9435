import { kernels, manualSeed, randn, Tensor } from "@aotjs/tensor";
import { makeFx } from "@aotjs/tracer";
import { afterEach, beforeAll, describe, expect, test, vi } from "vitest";
import { BatchNorm2d, functionalCall, type ResNet, resnet18 } from "../src/index.js";
import { values } from "./support.js";

let model: ResNet;
// Init and capture times are measured by `pnpm bench aot`, not asserted here (shared machines).
beforeAll(() => {
  manualSeed(0);
  model = resnet18();
});
afterEach(() => vi.restoreAllMocks());

// Oracle: torchvision.models.resnet18().state_dict(), names and shapes as PyTorch prints them.
const torchvisionSubset: [string, number[]][] = [
  ["conv1.weight", [64, 3, 7, 7]],
  ["bn1.weight", [64]],
  ["bn1.bias", [64]],
  ["bn1.running_mean", [64]],
  ["bn1.running_var", [64]],
  ["bn1.num_batches_tracked", []],
  ["layer1.0.conv1.weight", [64, 64, 3, 3]],
  ["layer1.0.bn1.running_mean", [64]],
  ["layer1.1.conv2.weight", [64, 64, 3, 3]],
  ["layer1.1.bn2.num_batches_tracked", []],
  ["layer2.0.conv1.weight", [128, 64, 3, 3]],
  ["layer2.0.downsample.0.weight", [128, 64, 1, 1]],
  ["layer2.0.downsample.1.weight", [128]],
  ["layer2.0.downsample.1.running_var", [128]],
  ["layer2.0.downsample.1.num_batches_tracked", []],
  ["layer3.0.downsample.0.weight", [256, 128, 1, 1]],
  ["layer3.1.bn1.bias", [256]],
  ["layer4.0.conv1.weight", [512, 256, 3, 3]],
  ["layer4.0.downsample.0.weight", [512, 256, 1, 1]],
  ["layer4.1.conv2.weight", [512, 512, 3, 3]],
  ["layer4.1.bn2.running_var", [512]],
  ["fc.weight", [1000, 512]],
  ["fc.bias", [1000]],
];

// Oracle: the first keys of torchvision's state_dict, in order (own params, own buffers, children).
const torchvisionFirstKeys = [
  "conv1.weight",
  "bn1.weight",
  "bn1.bias",
  "bn1.running_mean",
  "bn1.running_var",
  "bn1.num_batches_tracked",
  "layer1.0.conv1.weight",
  "layer1.0.bn1.weight",
  "layer1.0.bn1.bias",
  "layer1.0.bn1.running_mean",
  "layer1.0.bn1.running_var",
  "layer1.0.bn1.num_batches_tracked",
  "layer1.0.conv2.weight",
];

describe("resnet18 matches torchvision", () => {
  test("exactly 11,689,512 parameters in 62 tensors", () => {
    expect(model.numParameters()).toBe(11_689_512);
    expect(model.parameters().length).toBe(62);
  });

  test("state dict: 122 entries (20 num_batches_tracked), torchvision's names, order and shapes", () => {
    const sd = model.stateDict();
    const keys = Object.keys(sd);
    expect(keys.length).toBe(122);
    expect(keys.filter((k) => k.endsWith("num_batches_tracked")).length).toBe(20);
    expect(keys.slice(0, torchvisionFirstKeys.length)).toEqual(torchvisionFirstKeys);
    expect(keys.slice(-2)).toEqual(["fc.weight", "fc.bias"]);
    for (const [k, shape] of torchvisionSubset) {
      expect(sd[k], k).toBeDefined();
      expect([...sd[k]!.shape], k).toEqual(shape);
    }
    expect(sd["layer1.0.bn1.num_batches_tracked"]!.dtype).toBe("int64");
    // Only the first block of layers 2-4 has a downsample.
    expect(keys.filter((k) => k.includes("downsample")).length).toBe(3 * 6);
  });

  test("initialisation: convs kaiming_normal_(fan_out, relu), BatchNorm 1/0, fc U(-1/sqrt(512), 1/sqrt(512))", () => {
    const std = (xs: number[]) => {
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      return Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
    };
    // Oracle: std = gain / sqrt(fan_out) = sqrt(2 / (64 * 7 * 7)) ~ 0.02526; 9408 samples give ~1% error.
    expect(std(values(model.conv1.weight)) / Math.sqrt(2 / (64 * 7 * 7))).toBeCloseTo(1, 1);
    expect(
      std(values(model.layer4.at(1).stateDict()["conv2.weight"]!)) / Math.sqrt(2 / (512 * 9)),
    ).toBeCloseTo(1, 1);
    const bns = model.modules().filter((m): m is BatchNorm2d => m instanceof BatchNorm2d);
    expect(bns.length).toBe(20);
    expect(
      bns.every((b) => values(b.weight!).every((v) => v === 1) && values(b.bias!).every((v) => v === 0)),
    ).toBe(true);
    const largest = values(model.fc.weight).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const bound = 1 / Math.sqrt(512);
    expect(largest).toBeLessThanOrEqual(bound);
    expect(largest).toBeGreaterThan(0.99 * bound);
  });

  test("eager forward at 1x3x64x64 gives [1, 1000] finite logits", () => {
    const y = model.eval().forward(randn([1, 3, 64, 64]));
    expect([...y.shape]).toEqual([1, 1000]);
    expect(values(y).every(Number.isFinite)).toBe(true);
  });

  test("makeFx at 1x3x224x224 runs no kernel", () => {
    model.train();
    const spies = Object.keys(kernels).map((op) =>
      vi.spyOn(kernels as Record<string, (...a: unknown[]) => unknown>, op),
    );
    const params = Object.fromEntries([...model.namedParameters(), ...model.namedBuffers()]);
    const x = Tensor.fake({ shape: [1, 3, 224, 224], dtype: "float32" });
    const graph = makeFx((p: Record<string, Tensor>, input: Tensor) => functionalCall(model, p, [input]), {
      name: "resnet18",
    })(params, x);
    for (const s of spies) expect(s).not.toHaveBeenCalled();
    // The output and the 60 updated BatchNorm buffers (training mode).
    expect(graph.outputs.length).toBe(1 + 60);
    expect(graph.mutations.length).toBe(60);
    expect([...graph.outputs[0]!.meta.shape]).toEqual([1, 1000]);
    expect(graph.nodes.filter((n) => n.op === "conv2d").length).toBe(20);
    const code = graph.code;
    expect(code).toMatch(/^function resnet18\(/);
    expect(code).toContain("conv2d(");
    expect(code).toContain("maxPool2d(");
  });
});

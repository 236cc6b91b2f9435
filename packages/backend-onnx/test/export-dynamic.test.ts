// aotExport's dynamicBatch: one exported forward/backward pair (dim_param "B") runs on plain
// onnxruntime-node sessions at two batch sizes, and the loss and every parameter's gradient equal
// eager autograd's on the reference kernels.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AotExportSignature, aotExport } from "@aotjs/aot";
import { F, mlp } from "@aotjs/nn";
import { manualSeed, randn, type Tensor } from "@aotjs/tensor";
import * as ort from "onnxruntime-node";
import { expect, test } from "vitest";
import { lowerGraph, NotSymbolicError, writeArtifacts } from "../src/node.js";

const close = (got: ArrayLike<number>, want: ArrayLike<number>, tol: number) => {
  expect(got.length).toBe(want.length);
  let scale = 1e-6;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!) / scale).toBeLessThanOrEqual(tol);
};

test("a dynamicBatch export trains at batch 3 and 11 from one pair of ONNX files", async () => {
  manualSeed(3);
  const net = mlp([16, 32, 4]);
  const exported = aotExport(net, [randn([8, 16]), randn([8, 4])], {
    call: (m, x, y) => F.mseLoss(m.forward(x!) as Tensor, y!),
    dynamicBatch: true,
  });
  expect(exported.forward.symbolic?.symbols.map((s) => s.name)).toEqual(["B"]);
  const dir = mkdtempSync(join(tmpdir(), "aotjs-dynamic-export-"));
  try {
    const manifest = await writeArtifacts(exported, dir);
    expect(manifest.forward.inputs.find((i) => i.role.kind === "user_input")?.dims).toEqual(["B", 16]);
    const sig = exported.signature as AotExportSignature;
    const fw = await ort.InferenceSession.create(join(dir, "forward.onnx"));
    const bw = await ort.InferenceSession.create(join(dir, "backward.onnx"));
    const state = new Map(net.namedParameters());
    for (const b of [3, 11]) {
      const x = randn([b, 16]);
      const y = randn([b, 4]);
      const user = [x, y];
      const feeds: Record<string, ort.Tensor> = {};
      for (const input of sig.inputs) {
        const t =
          input.kind === "parameter" ? state.get(input.target!)! : user[sig.userInputs.indexOf(input.name)]!;
        feeds[input.name] = new ort.Tensor("float32", t.toData().data as Float32Array, [...t.shape]);
      }
      const fwOut = await fw.run(feeds);
      const fwValues = manifest.forward.outputs.map((o) => fwOut[o.name]!);
      const bwFeeds: Record<string, ort.Tensor> = {};
      sig.backward!.inputs.forEach((input, i) => {
        bwFeeds[manifest.backward!.inputs[i]!.name] =
          input.kind === "saved"
            ? fwValues[input.forwardOutput!]!
            : new ort.Tensor("float32", new Float32Array([1]), []);
      });
      const bwOut = await bw.run(bwFeeds);

      net.zeroGrad();
      const loss = F.mseLoss(net.forward(x) as Tensor, y);
      await loss.backward();
      close(fwValues[0]!.data as Float32Array, loss.toData().data as Float32Array, 1e-5);
      sig.backward!.outputs.forEach((g, i) => {
        const got = bwOut[manifest.backward!.outputs[i]!.name]!;
        expect(got.dims, `${g.target} at batch ${b}`).toEqual(state.get(g.target!)!.shape);
        close(got.data as Float32Array, state.get(g.target!)!.grad!.toData().data as Float32Array, 1e-5);
      });
    }
    await fw.release();
    await bw.release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a symbolic graph that cannot be one model for every size says why (NotSymbolicError)", () => {
  const net = mlp([16, 4]);
  const exported = aotExport(net, [randn([8, 16])], { dynamicBatch: true });
  const input = exported.forward.inputs.find((v) => exported.forward.symbolic?.shapes[v.name])!;
  // The only input carrying B becomes an initializer: nothing is left to read B from.
  expect(() =>
    lowerGraph(exported.forward, { symbolic: true, initializers: { [input.name]: randn([8, 16]).toData() } }),
  ).toThrow(NotSymbolicError);
  // Without `symbolic`, the same graph lowers at its hints, as before.
  expect(lowerGraph(exported.forward).symbolic).toBe(false);
  expect(lowerGraph(exported.forward, { symbolic: true }).symbolic).toBe(true);
});

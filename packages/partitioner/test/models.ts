// Real joint graphs for the memory tests: resnet18's and gptMini's training steps.
import { F, functionalCall, gptMini, resnet18 } from "@aotjs/nn";
import type { Tensor } from "@aotjs/tensor";
import { f32, type Joint, joint } from "./support.js";

/** resnet18 at 1x3x64x64: parameters require grad; BatchNorm buffers come back as mutations. */
export function resnetJoint(): Joint {
  const model = resnet18({ numClasses: 10 });
  const params = model.namedParameters();
  const buffers = model.namedBuffers();
  const names = [...params, ...buffers].map(([n]) => n);
  const tensors = [...params, ...buffers].map(([, t]) => t as Tensor);
  return joint(
    (x, ...ts) => functionalCall(model, Object.fromEntries(names.map((n, i) => [n, ts[i]!])), [x]) as Tensor,
    [f32(1, 3, 64, 64), ...tensors.map((t) => t.meta)],
    [false, ...params.map(() => true), ...buffers.map(() => false)],
  );
}

/** gptMini's cross-entropy loss on [2, 16] tokens. */
export function gptJoint(): Joint {
  const config = { vocab: 40, dModel: 32, nHead: 4, nLayer: 2, seqLen: 16 } as const;
  const model = gptMini(config);
  const params = model.namedParameters();
  const names = params.map(([n]) => n);
  return joint(
    (idx, targets, ...ts) => {
      const logits = functionalCall(model, Object.fromEntries(names.map((n, i) => [n, ts[i]!])), [
        idx,
      ]) as Tensor;
      return F.crossEntropy(logits.reshape([-1, config.vocab]), targets!.reshape([-1]));
    },
    [
      { shape: [2, 16], dtype: "int64" },
      { shape: [2, 16], dtype: "int64" },
      ...params.map(([, t]) => t.meta),
    ],
    [false, false, ...params.map(() => true)],
  );
}

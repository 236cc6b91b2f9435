// Partitioners: bytes saved for backward by the default and min-cut partitions on the issue's
// cases, next to what PyTorch 1.13's min-cut saves for the same functions (worked out from its
// partitioner on the aten graphs; see packages/partitioner/README.md), and the time to partition
// resnet18's joint graph.
import "@aotjs/autograd";
import { jointGraphInfo } from "@aotjs/autograd";
import type { TensorMeta } from "@aotjs/ir";
import { functionalCall, resnet18 } from "@aotjs/nn";
import {
  defaultPartition,
  formatBytes,
  minCutRematerializationPartition,
  type PartitionResult,
  partitionReport,
} from "@aotjs/partitioner";
import type { Tensor } from "@aotjs/tensor";
import { medianMs, table } from "./measure.js";

const f32 = (...shape: number[]): TensorMeta => ({ shape, dtype: "float32" });
const N = 1024;
const MiB = 2 ** 20;

interface Case {
  name: string;
  fn: (...xs: Tensor[]) => Tensor;
  inputs: TensorMeta[];
  torch113: number;
}

const cases: Case[] = [
  { name: "cos^3 [1024,1024]", fn: (x) => x.cos().cos().cos(), inputs: [f32(N, N)], torch113: 4 * MiB },
  {
    name: "cos(cos(a+b+c+d)) [1024,1024]",
    fn: (a, b, c, d) => a.add(b).add(c).add(d).cos().cos(),
    inputs: [f32(N, N), f32(N, N), f32(N, N), f32(N, N)],
    torch113: 4 * MiB,
  },
  {
    name: "(a*b).sin().cos().exp() [2^20]",
    fn: (a, b) => a.mul(b).sin().cos().exp(),
    inputs: [f32(2 ** 20), f32(2 ** 20)],
    torch113: 8 * MiB,
  },
  {
    name: "tanh-gelu [2^20]",
    fn: (x) =>
      x.mul(0.5).mul(
        x
          .add(x.pow(3).mul(0.044715))
          .mul(Math.sqrt(2 / Math.PI))
          .tanh()
          .add(1),
      ),
    inputs: [f32(2 ** 20)],
    torch113: 4 * MiB,
  },
  {
    name: "relu(a+b)+r [1024,1024]",
    fn: (a, b, r) => a.add(b).relu().add(r),
    inputs: [f32(N, N), f32(N, N), f32(N, N)],
    torch113: 4 * MiB,
  },
  {
    name: "layernorm [1024,1024]",
    fn: (x, w, b) => {
      const mean = x.mean({ dim: -1, keepdim: true });
      const xc = x.sub(mean);
      const variance = xc.mul(xc).mean({ dim: -1, keepdim: true });
      return xc.div(variance.add(1e-5).sqrt()).mul(w).add(b);
    },
    inputs: [f32(N, N), f32(N), f32(N)],
    torch113: 4 * MiB + 3 * 4 * N,
  },
];

const saved = (r: PartitionResult) => {
  const rep = partitionReport(r);
  const names = rep.saved.map((s) => s.name).join(", ");
  return `${formatBytes(rep.savedBytes)} (${names || "nothing"})`;
};

function resnetJoint() {
  const model = resnet18({ numClasses: 10 });
  const slots = [...model.namedParameters(), ...model.namedBuffers()];
  const numParams = model.namedParameters().length;
  return jointGraphInfo(
    (x: Tensor, ...ts: Tensor[]) =>
      functionalCall(model, Object.fromEntries(slots.map(([n], i) => [n, ts[i]!])), [x]) as Tensor,
    [f32(1, 3, 64, 64), ...slots.map(([, t]) => (t as Tensor).meta)],
    [false, ...slots.map((_, i) => i < numParams)],
  );
}

export async function partition(): Promise<void> {
  const rows: Record<string, string>[] = [];
  for (const c of cases) {
    const j = jointGraphInfo(
      c.fn,
      c.inputs,
      c.inputs.map(() => true),
    );
    const options = { numForwardOutputs: j.numForwardOutputs };
    rows.push({
      case: c.name,
      default: saved(defaultPartition(j.graph, options)),
      "min-cut": saved(minCutRematerializationPartition(j.graph, options)),
      "PyTorch 1.13 min-cut": formatBytes(c.torch113),
    });
  }
  table(rows);
  console.log();

  const j = resnetJoint();
  const options = { numForwardOutputs: j.numForwardOutputs };
  const timing: Record<string, string | number>[] = [];
  for (const [name, fn] of [
    ["default", defaultPartition],
    ["min-cut", minCutRematerializationPartition],
  ] as const) {
    const ms = await medianMs(() => fn(j.graph, options), { runs: 9, warmup: 3 });
    const rep = partitionReport(fn(j.graph, options));
    timing.push({
      "resnet18 joint, 1x3x64x64": `${j.graph.nodes.length} nodes`,
      partitioner: name,
      "median ms": ms.toFixed(1),
      saved: rep.saved.length,
      "saved bytes": formatBytes(rep.savedBytes),
      "beyond inputs": formatBytes(rep.savedBytesExcludingInputs),
      "fw/bw nodes": `${rep.forward.numNodes}/${rep.backward.numNodes}`,
      recomputed: rep.recomputed.length,
    });
  }
  table(timing);
}

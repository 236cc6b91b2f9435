// Partitioners: bytes saved for backward by the default and min-cut partitions on the issue's
// cases, next to what PyTorch 1.13's min-cut saves for the same functions (worked out from its
// partitioner on the aten graphs; see packages/partitioner/README.md), and the time to partition
// resnet18's joint graph.
import "@aotjs/autograd";
import type { TensorMeta } from "@aotjs/ir";
import { functionalCall, resnet18 } from "@aotjs/nn";
import { partitionCases as cases } from "@aotjs/op-samples";
import {
  defaultPartition,
  formatBytes,
  minCutRematerializationPartition,
  type PartitionResult,
  partitionReport,
} from "@aotjs/partitioner";
import type { Tensor } from "@aotjs/tensor";
import { jointGraphInfo } from "@aotjs/transforms";
import { medianMs, table } from "./measure.js";

const f32 = (...shape: number[]): TensorMeta => ({ shape, dtype: "float32" });
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
      "PyTorch 1.13 min-cut": formatBytes(c.torch113.bytes),
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

import "@aotjs/autograd"; import { jointGraphInfo } from "@aotjs/autograd"; import { randn, type Tensor } from "@aotjs/tensor";
import { resnet18, functionalCall } from "@aotjs/nn";
import { graphStats } from "@aotjs/ir";
import { defaultPartition, minCutRematerializationPartition, partitionReport } from "../src/index.ts";
const model = resnet18({ numClasses: 10 });
const params = [...model.namedParameters(), ...model.namedBuffers()] as [string, any][];
const nParams = model.namedParameters().length;
const names = params.map(([n]) => n);
const t0 = performance.now();
const j = jointGraphInfo((x: Tensor, ...ps: Tensor[]) => functionalCall(model, Object.fromEntries(names.map((n, i) => [n, ps[i]!])), [x]) as Tensor,
  [randn([1,3,64,64]), ...params.map(([, p]) => p as unknown as Tensor)], [false, ...params.map((_, i) => i < nParams)]);
console.log("trace ms", performance.now() - t0);
const s = graphStats(j.graph);
console.log(s.numInputs, s.numNodes, s.numOutputs, j.numForwardOutputs, j.numTangents, j.constants.length, j.graph.mutations.length, s.opCounts);
for (const [pn, p] of [["default", defaultPartition], ["mincut", minCutRematerializationPartition]] as const) {
  const times: number[] = [];
  let r: any;
  for (let k = 0; k < 7; k++) { const t = performance.now(); r = (p as any)(j.graph, { numForwardOutputs: j.numForwardOutputs }); times.push(performance.now() - t); }
  times.sort((a, b) => a - b);
  const rep = partitionReport(r);
  console.log(pn, times.map(t => t.toFixed(1)).join(" "), rep.saved.length, rep.savedBytes, rep.savedBytesExcludingInputs, rep.forward.numNodes, rep.backward.numNodes, rep.recomputed.length);
}
const r = minCutRematerializationPartition(j.graph, { numForwardOutputs: j.numForwardOutputs });
const rep = partitionReport(r);
console.log(rep.saved.filter(s => !s.isInput).map(s => `${s.name}:${s.meta.dtype}[${s.meta.shape}]`).join(" "));
console.log(rep.recomputed.slice(0, 60).join(" "));
console.log(r.forward.code.split("\n").slice(0, 40).join("\n"));

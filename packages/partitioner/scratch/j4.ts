import "@aotjs/autograd"; import { jointGraphInfo } from "@aotjs/autograd"; import { randn, bernoulli, rand, type Tensor } from "@aotjs/tensor";
import { minCutRematerializationPartition, partitionReport } from "../src/index.ts";
const show = (f: any, ins: any[], rg?: boolean[]) => { const j = jointGraphInfo(f, ins, rg ?? ins.map(()=>true)); console.log(j.numForwardOutputs, j.numTangents, j.constants.map(c => c.name)); console.log(j.graph.code);
 console.log(partitionReport(minCutRematerializationPartition(j.graph, {numForwardOutputs: j.numForwardOutputs})).format()); };
show((x: Tensor) => x.mul(bernoulli(x.shape as number[], 0.5).float()).mul(2).sin(), [randn([4])]);
show((x: Tensor, w: Tensor) => x.matmul(w.t()).relu(), [randn([4, 8]), randn([6, 8])]);
show((x: Tensor, b: Tensor) => x.add(b.reshape([1, 8]).expand([4, 8])).cos(), [randn([4, 8]), randn([8])]);
show((x: Tensor) => x.cos().sum(), [randn([4])], [false]);

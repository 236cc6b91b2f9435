import "@aotjs/autograd"; import { jointGraphInfo } from "@aotjs/autograd"; import { randn } from "@aotjs/tensor";
import type { Tensor } from "@aotjs/tensor";
import { defaultPartition, minCutRematerializationPartition, partitionReport } from "../src/index.ts";
const M = [1024, 1024];
const cases: [string, any, number[][]][] = [
 ["cos3", (a: Tensor) => a.cos().cos().cos(), [M]],
 ["abcd", (a: Tensor, b: Tensor, c: Tensor, d: Tensor) => a.add(b).add(c).add(d).cos().cos(), [M,M,M,M]],
 ["exp", (a: Tensor, b: Tensor) => a.mul(b).sin().cos().exp(), [M,M]],
 ["gelu", (x: Tensor) => x.mul(0.5).mul(x.add(x.pow(3).mul(0.044715)).mul(Math.sqrt(2/Math.PI)).tanh().add(1)), [M]],
 ["relu", (a: Tensor, b: Tensor, r: Tensor) => a.add(b).relu().add(r), [M,M,M]],
 ["ln", (x: Tensor, w: Tensor, b: Tensor) => { const m = x.mean({dim: -1, keepdim: true}); const xc = x.sub(m); const v = xc.mul(xc).mean({dim: -1, keepdim: true}); return xc.div(v.add(1e-5).sqrt()).mul(w).add(b); }, [M,[1024],[1024]]],
];
for (const [name, f, shapes] of cases) {
  const j = jointGraphInfo(f, shapes.map(s => ({shape: s, dtype: "float32"})) as any, shapes.map(()=>true));
  for (const [pn, p] of [["default", defaultPartition], ["mincut", minCutRematerializationPartition]] as const) {
    const t0 = performance.now();
    const r = (p as any)(j.graph, { numForwardOutputs: j.numForwardOutputs });
    const ms = performance.now() - t0;
    console.log(`== ${name} ${pn} (${ms.toFixed(1)} ms)`); console.log(partitionReport(r).format());
  }
}

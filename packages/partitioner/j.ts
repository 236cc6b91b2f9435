import "@aotjs/autograd"; import { jointGraphInfo } from "@aotjs/autograd"; import { randn } from "@aotjs/tensor";
import type { Tensor } from "@aotjs/tensor";
const show = (f: any, ins: any[]) => { const j = jointGraphInfo(f, ins, ins.map(()=>true)); console.log(j.numForwardOutputs, j.numTangents, j.constants.length); console.log(j.graph.code); };
show((a: Tensor) => a.cos().cos(), [randn([3])]);
show((a: Tensor) => a.mul(a).mul(a), [randn([3])]);
show((a: Tensor, b: Tensor, r: Tensor) => a.add(b).relu().add(r), [randn([4,4]), randn([4,4]), randn([4,4])]);

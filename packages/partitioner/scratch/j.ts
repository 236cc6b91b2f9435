import "@aotjs/autograd"; import { jointGraphInfo } from "@aotjs/autograd"; import { randn } from "@aotjs/tensor";
import type { Tensor } from "@aotjs/tensor";
const show = (f: any, ins: any[]) => { const j = jointGraphInfo(f, ins, ins.map(()=>true)); console.log(j.numForwardOutputs, j.numTangents, j.constants.length); console.log(j.graph.code); };
show((a: Tensor) => a.cos().cos().cos(), [randn([3])]);
show((a: Tensor, b: Tensor, c: Tensor, d: Tensor) => a.add(b).add(c).add(d).cos().cos(), [randn([3]),randn([3]),randn([3]),randn([3])]);
show((a: Tensor, b: Tensor) => a.mul(b).sin().cos().exp(), [randn([8]),randn([8])]);
show((x: Tensor) => x.mul(0.5).mul(x.add(x.pow(3).mul(0.044715)).mul(Math.sqrt(2/Math.PI)).tanh().add(1)), [randn([8])]);
show((x: Tensor, w: Tensor, b: Tensor) => { const m = x.mean({dim: -1, keepdim: true}); const xc = x.sub(m); const v = xc.mul(xc).mean({dim: -1, keepdim: true}); return xc.div(v.add(1e-5).sqrt()).mul(w).add(b); }, [randn([4,8]),randn([8]),randn([8])]);

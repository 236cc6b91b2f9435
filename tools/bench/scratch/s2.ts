import { aotFunction, aotModule, nop } from "@aotjs/aot";
import { noGrad } from "@aotjs/autograd";
import { minCutRematerializationPartition } from "@aotjs/partitioner";
import { manualSeed, randn, ones, type Tensor } from "@aotjs/tensor";
import { resnet18, gptMini, F } from "@aotjs/nn";

manualSeed(0);
const f = aotFunction((x: Tensor) => x.sin().mul(x));
const x = randn([3], { requiresGrad: true });
const y = await f(x);
const s = y.sum();
await s.backward();
try { await s.backward(); console.log("second backward: no error!"); } catch (e) { console.log("2nd:", (e as Error).message); }
const y2 = (await f(x)).sum();
await y2.backward(undefined, { retainGraph: true });
await y2.backward();
console.log("retain ok", x.grad!.toString());

// returns input
const id = aotFunction((a: Tensor) => a);
const a = randn([3], { requiresGrad: true });
const o = await id(a);
console.log("identity", o === a, o.isLeaf, o.requiresGrad);
await o.sum().backward();
console.log(a.grad!.toString());

// mutation of a non-leaf input requiring grad
const mut = aotFunction((a: Tensor) => { a.mul_(2); return a.add(1); });
try {
  const base = randn([3], { requiresGrad: true });
  const inter = base.add(0);
  const r = await mut(inter);
  console.log("mut out", r.toString(), inter.toString(), inter.gradFn);
  await r.sum().add(inter.sum()).backward();
  console.log("mut base.grad", base.grad!.toString());
  const b2 = base.detach().requiresGrad_();
  const i2 = b2.add(0);
  i2.mul_(2);
  await i2.add(1).sum().add(i2.sum()).backward();
  console.log("eager base.grad", b2.grad!.toString());
} catch (e) { console.log("mutation err:", (e as Error).message); }

// noGrad
const f2 = aotFunction((x: Tensor) => x.sin());
await noGrad(() => f2(x));
console.log(f2.lastGraphs.inference !== undefined, f2.lastGraphs.forward);

// resnet capture time
manualSeed(0);
const m = resnet18();
let t1 = 0;
const am = aotModule(m, { fwCompiler: (g) => { t1 = performance.now(); return g; } });
const t0 = performance.now();
const out = await am.forward(randn([1, 3, 200, 200]));
const t2 = performance.now();
console.log("capture ms", t1 - t0, "total fwd", t2 - t0);

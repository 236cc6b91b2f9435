import * as tf from "@tensorflow/tfjs";
await tf.setBackend("cpu");
const t = (name, f) => { try { const r = f(); console.log(name, Array.isArray(r) ? r.map(x=>x.shape) : r.shape, Array.isArray(r) ? Array.from(r[0].dataSync()).slice(0,8) : Array.from(r.dataSync()).slice(0,8)); } catch (e) { console.log(name, "ERR", e.message.slice(0, 150)); } };
const x = tf.randomUniform([1,4,5,2]);
t("maxpool [3,2] s[1,2] p1", () => tf.maxPool(x, [3,2], [1,2], 1));
// avgPool grad consistency with finite differences (sum of avgPool)
const x2 = tf.randomUniform([1,5,5,1]);
const f = (a) => tf.avgPool(a, [3,3], [2,2], 1).sum();
const g = tf.grad(f)(x2);
const xd = x2.dataSync().slice(); xd[0] += 1e-2; const fp = f(tf.tensor(xd, [1,5,5,1])).dataSync()[0]; const f0 = f(x2).dataSync()[0];
console.log("avg pad grad[0]", g.dataSync()[0], "numeric", (fp - f0) / 1e-2);
const f3 = (a) => tf.maxPool(a, [3,3], [2,2], 1).sum();
t("conv groups1", () => tf.concat(tf.split(tf.ones([1,5,5,2]), 1, 3), 3));
t("split", () => tf.split(tf.ones([3,2,3,3]), 1, 0));

// The IR on its own: build a small graph, print it, check it, serialize it, read it back.
// Run with `pnpm --filter @aotjs/examples run ir-demo`.
import { cse, dce, fromJSON, GraphBuilder, graphStats, meta } from "@aotjs/ir";

const b = new GraphBuilder("mlpLayer");
const x = b.input("x", meta([32, 784]));
const w = b.input("w", meta([784, 128]));
const bias = b.input("bias", meta([128]));
const h = b.op("add", [b.op("matmul", [x, w]), bias]);
const y = b.op("relu", [h]);
const unused = b.op("exp", [h]); // dead: nothing reads it
const again = b.op("relu", [h]); // a common subexpression
const loss = b.op("mean", [b.op("add", [y, again])], { dims: [0, 1] });
void unused;
b.output([loss, y]);
const graph = b.build().lint();

console.log("built:");
console.log(graph.code);

const optimized = cse(dce(graph));
console.log("\nafter DCE and CSE:");
console.log(optimized.code);

const text = JSON.stringify(optimized.toJSON());
const back = fromJSON(text);
if (back.code !== optimized.code) throw new Error("JSON round trip changed the graph");
console.log(`\nJSON: ${text.length} bytes, read back identical: ${back.code === optimized.code}`);

const stats = graphStats(back);
console.log("ops:", stats.opCounts);
console.log(
  `values: ${(stats.totalBytes / 1024).toFixed(1)} KiB in all, ${(stats.inputBytes / 1024).toFixed(1)} KiB of inputs`,
);

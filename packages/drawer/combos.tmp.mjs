import { Graphviz } from "@hpcc-js/wasm-graphviz";
import { readFileSync } from "node:fs";
const gv = await Graphviz.load();
const files = ["r-fw", "r-bw", "r-part"].map((f) => [f, readFileSync(`/tmp/dr/${f}.dot`, "utf8").replace(/mclimit=[\d.]+ nslimit=\d+ nslimit1=\d+/, "")]);
for (const extra of process.argv.slice(2)) {
  const r = [];
  for (const [k, dot] of files) {
    const d = dot.replace("  graph [", `  graph [${extra} `);
    const t = performance.now();
    const svg = gv.dot(d, "svg");
    const m = svg.match(/width="(\d+)pt" height="(\d+)pt"/);
    r.push(`${k} ${(performance.now() - t).toFixed(0)}ms ${m?.[1]}x${m?.[2]}`);
  }
  console.log(extra.padEnd(44), r.join("  "));
}

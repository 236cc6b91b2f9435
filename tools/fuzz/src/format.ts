// A program as TypeScript-like source, for failure reports (and as the shape of a regression test).
import { inferMetas, makeInputs } from "./interpret.js";
import { opDef } from "./ops/index.js";
import { formatMeta, isInput, nodeName, type Program } from "./program.js";

const MAX_VALUES = 12;

/** `function program(x0: f[2, 3], ...) { const v2 = x0.sin(); ... return [v2, v2]; }` with input values in comments. */
export function formatProgram(p: Program, float: "float32" | "float64" = "float32"): string {
  const metas = inferMetas(p);
  const metaOf = (i: number) => (Array.isArray(metas) ? ` /* ${formatMeta(metas[i]!)} */` : "");
  const inputs = makeInputs(p, { float: "float64" });
  let k = 0;
  const params: string[] = [];
  const notes: string[] = [];
  p.nodes.forEach((n, i) => {
    if (!isInput(n)) return;
    if (n.input.init.kind === "alias") {
      k++;
      params.push(`${nodeName(p, i)}: ${formatMeta({ shape: n.input.shape, dtype: n.input.dtype })}`);
      notes.push(
        `//   ${nodeName(p, i)} = ${nodeName(p, n.args[0]!)} (the same tensor object, passed again)`,
      );
      return;
    }
    const values = Array.from(inputs[k++]!.data() as ArrayLike<number | bigint>, Number);
    const shown = values.slice(0, MAX_VALUES).join(", ") + (values.length > MAX_VALUES ? ", ..." : "");
    params.push(`${nodeName(p, i)}: ${formatMeta({ shape: n.input.shape, dtype: n.input.dtype })}`);
    notes.push(
      `//   ${nodeName(p, i)}${n.input.requiresGrad ? " (requires grad)" : ""} = [${shown}]${"seed" in n.input.init ? ` (${n.input.init.kind}, seed ${n.input.init.seed})` : ""}`,
    );
  });
  const body = p.nodes.flatMap((n, i) => {
    if (isInput(n)) return [];
    const expr =
      opDef(n.op)?.list(
        n.args.map((r) => nodeName(p, r)),
        n.attrs,
      ) ?? `${n.op}(${n.args.map((r) => nodeName(p, r)).join(", ")})`;
    return [`  const ${nodeName(p, i)} = ${expr};${metaOf(i)}`];
  });
  const outs = p.outputs.map((o) => (typeof o === "number" ? nodeName(p, o) : String(o.literal)));
  return [
    `// F = "${float}"; manualSeed(${p.seed}) before each call (dropout); backends partition with ${p.backendPartition}`,
    "// inputs:",
    ...notes,
    `function program(${params.join(", ")}) {`,
    ...body,
    `  return [${outs.join(", ")}];`,
    "}",
  ].join("\n");
}

import { dtypeInfo } from "./dtype.js";
import type { Value } from "./graph.js";
import { type Graph, nonDefaultAttrs } from "./graph.js";
import { describeInputRole, describeOutputRole, isDefaultSignature } from "./signature.js";
import { formatDim, isSymExpr } from "./symbolic.js";
import { formatSymbolicMeta } from "./symbolic-graph.js";
import { formatMeta } from "./tensor-data.js";

function formatAttr(v: unknown): string {
  if (isSymExpr(v)) return formatDim(v);
  if (Array.isArray(v)) return `[${v.map(formatAttr).join(", ")}]`;
  if (typeof v === "string") return JSON.stringify(v);
  return Object.is(v, -0) ? "-0" : String(v);
}

/**
 * A call's argument list, broken one per line when it would be too wide to read. `comments` (the
 * roles) go after each item; whether to break is decided without them, so a graph prints with the
 * same layout with or without its roles.
 */
function argList(items: string[], indent: string, width: number, comments?: readonly string[]): string {
  const flat = items.join(", ");
  if (flat.length <= width)
    return comments ? items.map((s, i) => `${s} /* ${comments[i]} */`).join(", ") : flat;
  const line = (s: string, i: number) => `${indent}  ${s},${comments ? ` // ${comments[i]}` : ""}`;
  return `\n${items.map(line).join("\n")}\n${indent}`;
}

/**
 * The graph as TypeScript-like code, one line per node with the dtype and shape of every value:
 *
 *   function forward(primals_1: f32[3]) {
 *     const cos: f32[3] = cos(primals_1);
 *     return [cos];
 *   }
 *
 * Attributes equal to their defaults are left out. A graph whose signature says more than "user
 * inputs and user outputs, in order" shows each input's and output's role in a comment after it
 * (`user input 0`, `parameter fc.weight`, `saved`, ...); other graphs print without comments. A
 * symbolic graph prints its symbolic sizes and attributes (`f32[B,784]`, `{shape: [B, 784]}`) and
 * a first line listing its symbols with their hints and guards.
 */
export function printGraph(graph: Graph): string {
  const { signature } = graph;
  const roles = !isDefaultSignature(signature);
  // A symbolic graph shows its symbols (`f32[B,784]`), not the hint sizes its metas hold.
  const typeOf = (v: Value) =>
    graph.symbolic ? formatSymbolicMeta(graph, v, dtypeInfo[v.meta.dtype].short) : formatMeta(v.meta);
  const params = graph.inputs.map((v) => `${v.name}: ${typeOf(v)}`);
  const inputRoles = roles ? signature.inputs.map(describeInputRole) : undefined;
  const header = graph.symbolic
    ? [
        `// symbols: ${graph.symbolic.symbols.map((x) => `${x.name} >= ${x.min}${x.max === undefined ? "" : ` and <= ${x.max}`} (hint ${x.hint})`).join(", ")}`,
      ]
    : [];
  const lines = [...header, `function ${graph.name}(${argList(params, "", 80, inputRoles)}) {`];
  for (const node of graph.nodes) {
    const args = node.inputs.map((v) => v.name);
    const symbolicAttrs = graph.symbolic?.attrs[node.name] ?? {};
    const attrs = nonDefaultAttrs(node).map(([k, v]): [string, unknown] => [k, symbolicAttrs[k] ?? v]);
    if (attrs.length) args.push(`{${attrs.map(([k, v]) => `${k}: ${formatAttr(v)}`).join(", ")}}`);
    // A checkpoint region shows, so a printed joint or backward graph says what will be recomputed.
    const region = node.region === undefined ? "" : ` // checkpoint region ${node.region}`;
    lines.push(
      `  const ${node.name}: ${typeOf(node.output)} = ${node.op}(${argList(args, "  ", 90)});${region}`,
    );
  }
  for (const m of graph.mutations) {
    lines.push(
      `  // ${graph.inputs[m.input]!.name} is updated in place: its new value is output ${m.output}`,
    );
  }
  lines.push(
    `  return [${argList(
      graph.outputs.map((v) => v.name),
      "  ",
      90,
      roles ? signature.outputs.map(describeOutputRole) : undefined,
    )}];`,
    "}",
  );
  return lines.join("\n");
}

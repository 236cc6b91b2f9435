// Node-by-node conformance for whole models. End to end, a float32 backend that accumulates in
// float32 drifts from the reference (which accumulates in float64) as errors compound through
// depth; per node, with every node fed the reference's own input values, each lowering must
// still agree within the op-level tolerance. Nodes of one op, attributes and input metas share
// one compiled single-node graph, so resnet18 compiles a few dozen graphs, not hundreds.
import {
  type AnyNode,
  type Compiler,
  type Executable,
  formatMeta,
  type Graph,
  isExecutable,
  TensorData,
} from "@aotjs/ir";
import { Interpreter, interpret, kernels } from "@aotjs/tensor";
import { compareTensors } from "./compare.js";
import { singleOpGraph } from "./runner.js";

/** Ops that accumulate: their rounding error is bounded relative to the same op on |inputs|. */
const ACCUMULATING = new Set([
  "sum",
  "mean",
  "matmul",
  "conv2d",
  "conv2dBackwardInput",
  "conv2dBackwardWeight",
  "avgPool2d",
  "avgPool2dBackward",
  "maxPool2dBackward",
  "scatterAdd",
]);

const absolute = (t: TensorData): TensorData =>
  t.data instanceof Float32Array || t.data instanceof Float64Array
    ? new TensorData(t.dtype, t.shape, t.data.map(Math.abs) as never)
    : t;

/** The op applied to its inputs' absolute values: the magnitude its rounding error scales with. */
function magnitudeOf(node: AnyNode, inputs: readonly TensorData[]): TensorData | undefined {
  if (!ACCUMULATING.has(node.op)) return undefined;
  // maxPool2dBackward reads x only to find each window's maximum: keep x, take |gradOutput|.
  const args = node.op === "maxPool2dBackward" ? [absolute(inputs[0]!), inputs[1]!] : inputs.map(absolute);
  return kernels[node.op](args, node.attrs as never, node.meta);
}

export interface NodeMismatch {
  readonly node: string;
  readonly op: string;
  readonly message: string;
}

/** Runs the reference interpreter and keeps every node's inputs and output. */
class Recorder extends Interpreter {
  readonly seen: { node: AnyNode; inputs: readonly TensorData[]; output: TensorData }[] = [];
  override runNode(node: AnyNode, inputs: readonly TensorData[]): TensorData {
    const output = super.runNode(node, inputs);
    this.seen.push({ node, inputs, output });
    return output;
  }
}

/**
 * Each node of `graph`, compiled alone by `compiler` and run on the reference's values of its
 * inputs, compared with the reference's output within `rtol` (see `compareTensors`; sums, dot
 * products and convolutions also get rtol times the op on |inputs|). Returns the
 * nodes that disagree (empty when all agree) and how many distinct graphs were compiled.
 */
export async function checkGraphPerNode(
  compiler: Compiler,
  graph: Graph,
  inputs: readonly TensorData[],
  options: { readonly rtol?: number } = {},
): Promise<{ mismatches: NodeMismatch[]; compiled: number; nodes: number }> {
  const recorder = new Recorder(graph);
  recorder.run(inputs);
  const cache = new Map<string, { graph: Graph; exe: Executable | Graph }>();
  const mismatches: NodeMismatch[] = [];
  try {
    for (const { node, inputs: args, output } of recorder.seen) {
      const key = JSON.stringify([node.op, node.attrs, args.map(formatMeta)], (_, v) =>
        typeof v === "number" && !Number.isFinite(v) ? String(v) : v,
      );
      let entry = cache.get(key);
      if (!entry) {
        const single = singleOpGraph(
          node.op,
          args.map((t) => t.meta),
          node.attrs,
        );
        entry = { graph: single, exe: await compiler(single, single.inputMetas) };
        cache.set(key, entry);
      }
      const [actual] = isExecutable(entry.exe) ? await entry.exe.run(args) : interpret(entry.exe, args);
      const m = compareTensors(actual!, output, options.rtol ?? 1e-5, magnitudeOf(node, args));
      if (m) mismatches.push({ node: node.name, op: node.op, message: m.message });
    }
  } finally {
    for (const { exe } of cache.values()) if (isExecutable(exe)) await exe.dispose?.();
  }
  return { mismatches, compiled: cache.size, nodes: recorder.seen.length };
}

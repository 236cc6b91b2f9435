// @aotjs/drawer: draw aotjs graphs (a forward, a backward, a partition) as SVG or DOT, laid out
// by Graphviz compiled to wasm, so nothing needs a system `dot`.
import { join } from "node:path";
import type { Compiler, Graph, TensorMeta } from "@aotjs/ir";
import type { DrawOptions } from "./describe.js";
import { toDot } from "./dot.js";
import { dotToSvg, wantsDot, writeText } from "./render.js";

export { type DrawOptions, inputKinds } from "./describe.js";
export { toDot } from "./dot.js";
export {
  drawPartition,
  type PartitionLike,
  type PartitionSummary,
  partitionSummary,
  partitionToDot,
  renderPartitionSvg,
} from "./partition.js";
export { DrawError, dotToSvg } from "./render.js";
export { CATEGORY_STYLE, KIND_STYLE } from "./style.js";

/** The graph as an SVG document (a string). Async because Graphviz's wasm loads asynchronously. */
export function renderSvg(graph: Graph, options: DrawOptions = {}): Promise<string> {
  return dotToSvg(toDot(graph, options));
}

/**
 * Draw a graph to `file`: SVG, or DOT text when the name ends in `.dot` (or `.gv`). Creates the
 * file's folder if needed and returns the path written.
 */
export async function drawGraph(graph: Graph, file: string, options: DrawOptions = {}): Promise<string> {
  await writeText(file, wantsDot(file) ? toDot(graph, options) : await renderSvg(graph, options));
  return file;
}

export interface GraphDrawerOptions extends DrawOptions {
  /** Folder for the file. Default: the current working directory. */
  readonly dir?: string;
  /** `svg` (default) or `dot`. */
  readonly format?: "svg" | "dot";
}

/**
 * A compiler that draws each graph it is given to `<dir>/<name>.svg` and returns the graph, so
 * it runs on the reference interpreter: functorch's `draw_graph` used as `fw_compiler`.
 *
 *   aotFunction(f, { fwCompiler: graphDrawer("forward"), bwCompiler: graphDrawer("backward") })
 *
 * The drawing's title is `name`, like `printGraph(name)`.
 */
export function graphDrawer(name: string, options: GraphDrawerOptions = {}): Compiler {
  const { dir, format, ...draw } = options;
  const file = join(dir ?? process.cwd(), `${name}.${format ?? "svg"}`);
  return async (graph: Graph, _exampleInputs: readonly TensorMeta[]) => {
    await drawGraph(graph, file, { title: name, ...draw });
    return graph;
  };
}

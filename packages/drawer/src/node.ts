// @aotjs/drawer/node: everything `@aotjs/drawer` has, plus the functions that write drawings to
// files (Node's fs), kept out of the main entry so it bundles for browsers.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Compiler, Graph, TensorMeta } from "@aotjs/ir";
import type { DrawOptions } from "./describe.js";
import { toDot } from "./dot.js";
import { type FrontierChartOptions, type FrontierPointLike, renderFrontierSvg } from "./frontier.js";
import { renderSvg } from "./index.js";
import { type PartitionLike, partitionToDot, renderPartitionSvg } from "./partition.js";

export * from "./index.js";

/** True when the file should get DOT text rather than SVG. */
const wantsDot = (file: string): boolean => /\.(dot|gv)$/i.test(file);

async function writeText(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text, "utf8");
}

/**
 * Draw a graph to `file`: SVG, or DOT text when the name ends in `.dot` (or `.gv`). Creates the
 * file's folder if needed and returns the path written.
 */
export async function drawGraph(graph: Graph, file: string, options: DrawOptions = {}): Promise<string> {
  await writeText(file, wantsDot(file) ? toDot(graph, options) : await renderSvg(graph, options));
  return file;
}

/** Draw a partition to `file`: SVG, or DOT when the name ends in `.dot`. Returns the path written. */
export async function drawPartition(
  result: PartitionLike,
  file: string,
  options: DrawOptions = {},
): Promise<string> {
  await writeText(
    file,
    wantsDot(file) ? partitionToDot(result, options) : await renderPartitionSvg(result, options),
  );
  return file;
}

/** Draw the memory/recompute trade-off chart (see `renderFrontierSvg`) to `file`; returns the path. */
export async function drawFrontier(
  points: readonly FrontierPointLike[],
  file: string,
  options: FrontierChartOptions = {},
): Promise<string> {
  await writeText(file, renderFrontierSvg(points, options));
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

// @aotjs/drawer: draw aotjs graphs (a forward, a backward, a partition) as SVG or DOT, laid out
// by Graphviz compiled to wasm, so nothing needs a system `dot`. This entry runs anywhere (a
// browser too); the functions that write files are in `@aotjs/drawer/node`.
import type { Graph } from "@aotjs/ir";
import type { DrawOptions } from "./describe.js";
import { toDot } from "./dot.js";
import { dotToSvg } from "./render.js";

export { type DrawOptions, inputKinds } from "./describe.js";
export { toDot } from "./dot.js";
export {
  type FrontierChartOptions,
  type FrontierPointLike,
  niceTicks,
  renderFrontierSvg,
} from "./frontier.js";
export {
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

import { AotjsError, messageOf } from "@aotjs/ir";
import type { Graphviz } from "@hpcc-js/wasm-graphviz";

/** Raised when Graphviz rejects a drawing; carries Graphviz's own message. */
export class DrawError extends AotjsError {
  override name = "DrawError";
}

// Graphviz is a 2 MB wasm module: load it once, on first use, and share it. The import is dynamic
// because the package is ESM-only: the CommonJS build must load without it until a drawing is made.
let graphviz: Promise<Graphviz> | undefined;
const load = (): Promise<Graphviz> => {
  graphviz ??= import("@hpcc-js/wasm-graphviz")
    .then((m) => m.Graphviz.load())
    .catch((e: unknown) => {
      graphviz = undefined; // let a later call retry instead of caching the failure
      throw new DrawError(`could not load the Graphviz wasm module: ${messageOf(e)}`, { cause: e });
    });
  return graphviz;
};

/** Lay out DOT text with the embedded Graphviz `dot` engine and return SVG. No system Graphviz needed. */
export async function dotToSvg(dot: string): Promise<string> {
  const gv = await load();
  let svg: string;
  try {
    svg = gv.dot(dot, "svg");
  } catch (e) {
    throw new DrawError(`Graphviz could not lay out the drawing: ${messageOf(e)}`, { cause: e });
  }
  if (!svg.includes("<svg")) throw new DrawError(`Graphviz produced no SVG (got ${svg.length} characters)`);
  return svg;
}

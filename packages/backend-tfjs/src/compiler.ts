import { type Backend, type Compiler, type Graph, type OpName, opNames } from "@aotjs/ir";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { TfjsBackendError } from "./errors.js";
import { restoreBackend, switchBackend, TfjsExecutable } from "./executable.js";
import type { BackendTraits } from "./lower/index.js";

/** `auto`: tensorflow (tfjs-node) where installed, else wasm, else cpu. Any registered name also works. */
export type TfjsBackendName = "auto" | "tensorflow" | "wasm" | "cpu" | (string & {});

export interface TfjsCompilerOptions {
  /** Which TF.js backend runs the graphs. Default `auto`. */
  readonly backend?: TfjsBackendName;
}

// A variable, not a literal, so bundlers and TypeScript do not require the optional peer.
const TFJS_NODE = "@tensorflow/tfjs-node";
let nodeAttempt: Promise<boolean> | undefined;

/** Loads @tensorflow/tfjs-node once if it is installed and works (it registers `tensorflow`). */
function loadTfjsNode(): Promise<boolean> {
  nodeAttempt ??= (async () => {
    if (tf.findBackendFactory("tensorflow")) return true;
    if (typeof process === "undefined" || !process.versions?.node) return false;
    try {
      await import(/* @vite-ignore */ TFJS_NODE);
    } catch {
      // Not installed, or installed without its native library: fall back to wasm.
      return false;
    }
    return tf.findBackendFactory("tensorflow") !== null;
  })();
  return nodeAttempt;
}

async function tryBackend(name: string): Promise<boolean> {
  if (!tf.findBackendFactory(name)) return false;
  try {
    // Initializing switches the global backend; switch back to what the user had.
    restoreBackend(await switchBackend(name), name);
    return true;
  } catch {
    return false;
  }
}

/** Resolves `auto` (tensorflow, then wasm, then cpu) or checks a named backend; initializes it. */
export async function resolveBackend(requested: TfjsBackendName = "auto"): Promise<string> {
  if (requested === "auto") {
    if ((await loadTfjsNode()) && (await tryBackend("tensorflow"))) return "tensorflow";
    if (await tryBackend("wasm")) return "wasm";
    if (await tryBackend("cpu")) return "cpu";
    throw new TfjsBackendError("no TF.js backend could be initialized (tried tensorflow, wasm, cpu)");
  }
  if (requested === "tensorflow") await loadTfjsNode();
  if (!(await tryBackend(requested))) {
    const hint =
      requested === "tensorflow"
        ? ": install @tensorflow/tfjs-node (an optional peer dependency of @aotjs/backend-tfjs)"
        : ` (registered: ${Object.keys(tf.engine().registryFactory).join(", ")})`;
    throw new TfjsBackendError(`the TF.js backend '${requested}' is not available${hint}`);
  }
  return requested;
}

/** What the lowerings may assume about a backend (see BackendTraits). */
const traitsOf = (name: string): BackendTraits => ({ name, fastTransposedMatMul: name !== "wasm" });

/**
 * A `Compiler` that lowers each graph to TF.js ops on the chosen backend and returns an Executable.
 * The backend is global TF.js state: each run switches to its own backend if another is active and
 * switches back afterwards, so executables for different backends can share a process.
 */
export function tfjsCompiler(options: TfjsCompilerOptions = {}): Compiler {
  let backend: Promise<string> | undefined;
  return async (graph: Graph) => {
    backend ??= resolveBackend(options.backend);
    const name = await backend;
    const previous = await switchBackend(name);
    try {
      return new TfjsExecutable(graph, traitsOf(name));
    } finally {
      restoreBackend(previous, name);
    }
  };
}

/** Every catalog op has a lowering, so the decomposer need not rewrite anything for this backend. */
export const supportedOps: ReadonlySet<OpName> = new Set(opNames);

export const tfjsBackend: Backend<TfjsCompilerOptions> = {
  name: "tfjs",
  supportedOps,
  compiler: tfjsCompiler,
};

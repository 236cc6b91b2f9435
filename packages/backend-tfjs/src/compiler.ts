import { type Backend, type Compiler, type DType, type Graph, type OpName, opNames } from "@aotjs/ir";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { TfjsBackendError } from "./errors.js";
import { restoreBackend, switchBackend, TfjsExecutable } from "./executable.js";
import type { BackendTraits } from "./lower/index.js";
import { TfjsSymbolicExecutable } from "./symbolic.js";

/** `auto`: tensorflow (tfjs-node) where installed, else wasm, else cpu. Any registered name also works. */
export type TfjsBackendName = "auto" | "tensorflow" | "wasm" | "cpu" | (string & {});

/** Options of `tfjsCompiler`: which TF.js backend runs the graphs and where its wasm files are. */
export interface TfjsCompilerOptions {
  /** Which TF.js backend runs the graphs. Default `auto`. */
  readonly backend?: TfjsBackendName;
  /**
   * In a browser: the URL folder the wasm backend's `tfjs-backend-wasm*.wasm` files are served
   * from (TF.js's `setWasmPaths`), applied before the backend's first use. Default: next to the
   * script.
   */
  readonly wasmPaths?: string;
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

interface BrowserGlobals {
  readonly performance?: { getEntriesByType?(type: string): readonly unknown[] };
}

/**
 * Files of the wasm backend the browser asked for and did not get, from the Resource Timing log
 * (a failed fetch reaches it a little after TF.js gives up, so this waits up to 250 ms).
 */
async function failedWasmFetches(): Promise<string[]> {
  const perf = (globalThis as BrowserGlobals).performance;
  for (let waited = 0; ; waited += 25) {
    const entries = (perf?.getEntriesByType?.("resource") ?? []) as readonly {
      readonly name: string;
      readonly responseStatus?: number;
    }[];
    const failed = entries.filter(
      // names-are-not-roles: a resource timing entry's name is the URL that was fetched
      (e) => /tfjs-backend-wasm[^/]*\.wasm(\?|$)/.test(e.name) && (e.responseStatus ?? 0) >= 400,
    );
    if (failed.length || waited >= 250 || !perf?.getEntriesByType) {
      return [...new Set(failed.map((e) => `${e.name} (HTTP ${e.responseStatus})`))];
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function initFailure(name: string, e: unknown): Promise<TfjsBackendError> {
  const message = (e as Error)?.message ?? String(e);
  if (name !== "wasm")
    return new TfjsBackendError(`the TF.js backend '${name}' failed to initialize: ${message}`, { cause: e });
  const failed = await failedWasmFetches();
  const what = failed.length
    ? `: it could not load ${failed.join(", ")}`
    : " (TF.js's console warning says why)";
  return new TfjsBackendError(
    `the TF.js backend 'wasm' failed to initialize${what}. Serve the tfjs-backend-wasm*.wasm files from node_modules/@tensorflow/tfjs-backend-wasm/dist/ and say where with tfjsCompiler({ wasmPaths: "/their/folder/" }) (setWasmPaths from @tensorflow/tfjs-backend-wasm) before the first compile`,
    { cause: e },
  );
}

/**
 * Backends whose initialization failed, with the reason. TF.js itself would start a failed backend
 * again on every `setBackend` (fetching the wasm each time); a failure here is final.
 */
const failures = new Map<string, TfjsBackendError>();

/** The TF.js backends that failed to initialize in this page or process, and why. */
export const backendFailures = (): ReadonlyMap<string, TfjsBackendError> => failures;

/** Initializations in flight or failed, by backend: concurrent compiles share one attempt. */
const attempts = new Map<string, Promise<TfjsBackendError | undefined>>();

function tryBackend(name: string): Promise<TfjsBackendError | undefined> {
  if (!tf.findBackendFactory(name)) {
    return Promise.resolve(
      new TfjsBackendError(
        `the TF.js backend '${name}' is not registered (registered: ${Object.keys(tf.engine().registryFactory).join(", ")}); import its package (@tensorflow/tfjs-backend-${name}) first`,
      ),
    );
  }
  let attempt = attempts.get(name);
  if (!attempt) {
    attempt = (async () => {
      try {
        // Initializing switches the global backend; switch back to what the user had.
        restoreBackend(await switchBackend(name), name);
        attempts.delete(name);
        return undefined;
      } catch (e) {
        const error = await initFailure(name, e);
        failures.set(name, error);
        return error;
      }
    })();
    attempts.set(name, attempt);
  }
  return attempt;
}

let wasmPathsSet: string | undefined;

function applyWasmPaths(prefix: string | undefined): void {
  if (prefix === undefined || prefix === wasmPathsSet) return;
  if (tf.engine().registry.wasm !== undefined) {
    throw new TfjsBackendError(
      `tfjsCompiler({ wasmPaths: ${JSON.stringify(prefix)} }): the wasm backend is already initialized${wasmPathsSet === undefined ? "" : ` from ${JSON.stringify(wasmPathsSet)}`}; set wasmPaths before its first use`,
    );
  }
  setWasmPaths(prefix);
  wasmPathsSet = prefix;
}

/**
 * Resolves `auto` (tensorflow, then wasm, then cpu) or checks a named backend; initializes it.
 * When `auto` passes over a backend that failed, it says so once (console.warn) with the reason.
 */
export async function resolveBackend(requested: TfjsBackendName = "auto"): Promise<string> {
  if (requested === "auto") {
    if ((await loadTfjsNode()) && !(await tryBackend("tensorflow"))) return "tensorflow";
    const wasm = await tryBackend("wasm");
    if (!wasm) return "wasm";
    const cpu = await tryBackend("cpu");
    if (!cpu) {
      warnFallback(wasm, "cpu");
      return "cpu";
    }
    throw new TfjsBackendError(
      `no TF.js backend could be initialized (tried tensorflow, wasm, cpu): ${wasm.message}; ${cpu.message}`,
      { cause: wasm },
    );
  }
  if (requested === "tensorflow" && !(await loadTfjsNode())) {
    throw new TfjsBackendError(
      "the TF.js backend 'tensorflow' is not available: install @tensorflow/tfjs-node (an optional peer dependency of @aotjs/backend-tfjs)",
    );
  }
  const failure = await tryBackend(requested);
  if (failure) throw failure;
  return requested;
}

const warned = new Set<TfjsBackendError>();
function warnFallback(failure: TfjsBackendError, chosen: string): void {
  if (warned.has(failure)) return;
  warned.add(failure);
  console.warn(`@aotjs/backend-tfjs: backend "auto" runs on '${chosen}' because ${failure.message}`);
}

/** What the lowerings may assume about a backend (see BackendTraits). */
const traitsOf = (name: string): BackendTraits => ({ name, fastTransposedMatMul: name !== "wasm" });

/**
 * A `Compiler` that lowers each graph to TF.js ops on the chosen backend and returns an Executable.
 * The backend is global TF.js state: each run switches to its own backend if another is active and
 * switches back afterwards, so executables for different backends can share a process. A symbolic
 * graph gets one `symbolic` executable for every size (see `TfjsSymbolicExecutable`).
 */
export function tfjsCompiler(options: TfjsCompilerOptions = {}): Compiler {
  let backend: Promise<string> | undefined;
  return async (graph: Graph) => {
    backend ??= Promise.resolve().then(() => {
      applyWasmPaths(options.wasmPaths);
      return resolveBackend(options.backend);
    });
    const name = await backend;
    const previous = await switchBackend(name);
    try {
      const traits = traitsOf(name);
      return graph.symbolic ? new TfjsSymbolicExecutable(graph, traits) : new TfjsExecutable(graph, traits);
    } finally {
      restoreBackend(previous, name);
    }
  };
}

/** Every catalog op has a lowering, so the decomposer need not rewrite anything for this backend. */
export const supportedOps: ReadonlySet<OpName> = new Set(opNames);

/**
 * The TF.js backend for `aotFunction(f, { backend: tfjsBackend })`. TF.js has no float64, so a
 * float64 node runs on the reference interpreter there; int64 runs as int32 (see dtypes.ts).
 */
export const tfjsBackend: Backend<TfjsCompilerOptions> = {
  name: "tfjs",
  supportedOps,
  supportedDtypes: new Set<DType>(["float32", "int32", "int64", "bool"]),
  compiler: (options?: TfjsCompilerOptions) => tfjsCompiler(options),
};

// How `@aotjs/backend-onnx` runs on onnxruntime-web: which execution provider (WebGPU where the
// browser gives an adapter and the graph has no op it computes wrong, else wasm), how many wasm threads (all cores where the page is
// cross-origin isolated, else one), and errors that say which file failed to load and how to
// point ORT at it. Nothing here imports Node modules, so the entry bundles for browsers.
import type { AnyNode, Graph, Node, OpName } from "@aotjs/ir";
import type * as Ort from "onnxruntime-common";
import { type OnnxCompilerOptions, type OrtModule, type OrtRuntime, sessionThreads } from "./compiler.js";
import { OnnxBackendError } from "./errors.js";

interface BrowserGlobals {
  readonly crossOriginIsolated?: boolean;
  readonly navigator?: {
    readonly hardwareConcurrency?: number;
    readonly gpu?: { requestAdapter(): Promise<unknown> };
  };
  readonly performance?: { getEntriesByType?(type: string): readonly unknown[] };
}
const web = globalThis as BrowserGlobals;

let webOrt: Promise<OrtModule> | undefined;

/** onnxruntime-web, imported on first use; an import that failed is not tried again. */
function loadWebOrt(): Promise<OrtModule> {
  // `.catch` on the import itself: a bundler then leaves the optional peer out when it is not
  // installed (users who only export models) instead of failing the build.
  webOrt ??= import("onnxruntime-web")
    .catch((e: unknown) => {
      throw new OnnxBackendError(
        `onnxCompiler: onnxruntime-web could not be imported (${(e as Error)?.message ?? e}). Install it (npm install onnxruntime-web), or pass onnxCompiler({ ort }); in Node, import onnxCompiler from "@aotjs/backend-onnx/node" to run on onnxruntime-node`,
        { cause: e },
      );
    })
    .then((m) => {
      const mod = m as unknown as OrtModule & { default?: OrtModule };
      return mod.InferenceSession ? mod : mod.default!;
    });
  return webOrt;
}

/** Settings applied once per ORT module, before its first session (ORT reads them at init). */
const configured = new WeakSet<object>();

function configureWasm(ort: OrtModule, options: OnnxCompilerOptions): void {
  const wasm = ort.env?.wasm;
  if (!wasm || configured.has(wasm)) return;
  configured.add(wasm);
  if (options.wasmPaths !== undefined) wasm.wasmPaths = options.wasmPaths as Ort.Env.WasmPrefixOrFilePaths;
  // ORT's own default is min(4, cores / 2) threads; the Node entry uses every core, and so does
  // this one. Threads need SharedArrayBuffer, which only a cross-origin isolated page has.
  if (!(typeof wasm.numThreads === "number" && wasm.numThreads > 0)) {
    wasm.numThreads = web.crossOriginIsolated ? Math.max(1, web.navigator?.hardwareConcurrency ?? 1) : 1;
  }
}

let gpuAdapter: Promise<boolean> | undefined;
const hasWebGpu = (ort: OrtModule): Promise<boolean> => {
  if (!ort.env?.webgpu || !web.navigator?.gpu) return Promise.resolve(false);
  gpuAdapter ??= web.navigator.gpu.requestAdapter().then(
    (a) => a != null,
    () => false,
  );
  return gpuAdapter;
};

/**
 * Nodes ORT-web's WebGPU EP computes wrong: the catalog ops that failed aotjs's conformance cases
 * there (onnxruntime-web 1.30.0, Chromium 156 on SwiftShader's Vulkan, the only WebGPU this was
 * measured on). The wasm EP passed every case. Each entry says what went wrong.
 */
const WEBGPU_WRONG: { readonly [K in OpName]?: (node: Node<K>) => string | undefined } = {
  sin: () => "sin is off by up to 2e-4",
  cos: () => "cos is off by up to 2e-4",
  pow: () => "pow breaks C's conventions (0^0, negative bases) and int32 wrapping",
  conv2dBackwardInput: () => "the input gradient comes back as zeros",
  conv2dBackwardWeight: () => "the weight gradient comes back as zeros",
  maxPool2d: (n) =>
    n.attrs.dilation?.some((d) => d !== 1) ? "dilated windows read the wrong taps" : undefined,
  maxPool2dBackward: () => "MaxPool's Indices output is missing",
  avgPool2dBackward: () => "strided or clipped windows get wrong gradients",
};

/** The nodes of `graph` WebGPU would compute wrong, each with the reason. */
export function webGpuProblems(graph: Graph): string[] {
  return graph.nodes.flatMap((n) => {
    const reason = (WEBGPU_WRONG[n.op] as ((node: AnyNode) => string | undefined) | undefined)?.(n);
    return reason ? [`${n.op} '${n.name}' (${reason})`] : [];
  });
}

/**
 * The providers for `graph`: WebGPU where the browser gives an adapter and the graph holds no node
 * it computes wrong (see `webGpuProblems`), else wasm; ["cpu"] on a runtime without web settings.
 */
export async function defaultExecutionProviders(ort: OrtModule, graph?: Graph): Promise<string[]> {
  if (!ort.env?.wasm) return ["cpu"];
  const gpu = (await hasWebGpu(ort)) && (!graph || webGpuProblems(graph).length === 0);
  return gpu ? ["webgpu"] : ["wasm"];
}

const warnedGraphs = new WeakSet<Graph>();
/** Asked for WebGPU on a graph it computes wrong: say so once (the caller chose it). */
function warnWebGpu(graph: Graph, options: OnnxCompilerOptions): void {
  const asked = options.executionProviders?.some(
    (ep) => (typeof ep === "string" ? ep : ep.name) === "webgpu",
  );
  if (!asked || warnedGraphs.has(graph)) return;
  const problems = webGpuProblems(graph);
  if (!problems.length) return;
  warnedGraphs.add(graph);
  console.warn(
    `@aotjs/backend-onnx: graph '${graph.name}' runs on WebGPU as asked, but ORT-web's WebGPU EP computes these nodes wrong: ${problems.join("; ")}. executionProviders ["wasm"], or leave it unset to choose per graph.`,
  );
}

/**
 * Files of ORT's runtime the browser asked for and did not get, from the Resource Timing log. A
 * failed fetch reaches the log a little after ORT reports the failure, so this waits up to 250 ms.
 */
async function failedRuntimeFetches(pattern: RegExp): Promise<string[]> {
  for (let waited = 0; ; waited += 25) {
    const entries = (web.performance?.getEntriesByType?.("resource") ?? []) as readonly {
      readonly name: string;
      readonly responseStatus?: number;
    }[];
    // names-are-not-roles: a resource timing entry's name is the URL that was fetched
    const failed = entries.filter((e) => pattern.test(e.name) && (e.responseStatus ?? 0) >= 400);
    if (failed.length || waited >= 250 || !web.performance?.getEntriesByType) {
      return [...new Set(failed.map((e) => `${e.name} (HTTP ${e.responseStatus})`))];
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** ORT's message when no backend could start: the wasm runtime (or WebGPU) failed to initialize. */
const BACKEND_INIT = /no available backend found|failed to (asynchronously )?prepare wasm|wasm|WebAssembly/i;

/** Failed backend initializations by ORT module: ORT gives up on a backend once, and so do we. */
const initFailures = new WeakMap<object, OnnxBackendError>();

async function explainInitFailure(
  ort: OrtModule,
  graph: Graph,
  e: unknown,
): Promise<OnnxBackendError | undefined> {
  const message = (e as Error)?.message ?? String(e);
  if (!ort.env?.wasm || !/no available backend found/i.test(message) || !BACKEND_INIT.test(message)) return;
  const failed = await failedRuntimeFetches(/ort-wasm[^/]*\.(wasm|mjs)(\?|$)/);
  const where = failed.length
    ? `it could not load ${failed.join(", ")}`
    : `its runtime files did not load (wasmPaths is ${JSON.stringify(ort.env.wasm.wasmPaths ?? "unset: next to the script")})`;
  const error = new OnnxBackendError(
    `graph '${graph.name}': onnxruntime-web could not start: ${where}. Serve the ort-wasm-*.wasm and ort-wasm-*.mjs files from node_modules/onnxruntime-web/dist/ and say where with onnxCompiler({ wasmPaths: "/their/folder/" }) (ort.env.wasm.wasmPaths). ORT said: ${message}`,
    { cause: e },
  );
  initFailures.set(ort, error);
  return error;
}

/** The `OrtRuntime` of the main entry: onnxruntime-web by default, or whatever `ort` the caller passes. */
export const webRuntime: OrtRuntime = {
  load: loadWebOrt,
  async sessionDefaults(ort, graph, options) {
    const failure = initFailures.get(ort);
    if (failure) throw failure;
    if (!ort.env?.wasm) {
      // A native runtime handed in as `ort` (onnxruntime-node): a thread pool per session.
      const threads = sessionThreads(graph, options, web.navigator?.hardwareConcurrency);
      return {
        executionProviders: ["cpu"],
        ...(threads !== undefined ? { intraOpNumThreads: threads } : {}),
      };
    }
    configureWasm(ort, options);
    warnWebGpu(graph, options);
    return {
      executionProviders: await defaultExecutionProviders(ort, graph),
    } satisfies Ort.InferenceSession.SessionOptions;
  },
  explainLoadFailure: explainInitFailure,
};

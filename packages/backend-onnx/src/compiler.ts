import {
  type AnyNode,
  bindSymbols,
  type DType,
  describeNode,
  type Executable,
  evalExpr,
  formatMeta,
  type Graph,
  graphFlops,
  messageOf,
  outputMetasAt,
  TensorData,
  type TensorMeta,
  type Value,
} from "@aotjs/ir";
import { toBinary } from "@bufbuild/protobuf";
import { ModelProtoSchema } from "onnx-buf";
import type * as Ort from "onnxruntime-common";
import { deviceTensorData, deviceTensorOf, isDeviceTensorData } from "./device-tensor.js";
import { OnnxBackendError } from "./errors.js";
import { NCHWC_LOWERED_OPS } from "./lower/nchwc.js";
import { NotSymbolicError, type SizeLimit } from "./lower/symbolic-shape.js";
import { type LoweredModel, lowerGraph, type OnnxModelOptions } from "./model.js";
import { type OnnxProfile, summarizeOrtProfile } from "./profile.js";

/** The part of the onnxruntime API the compiler uses: onnxruntime-node, or onnxruntime-web in a browser. */
export interface OrtModule {
  readonly InferenceSession: {
    /** Creates a session from an ONNX model's bytes (ORT's `InferenceSession.create`). */
    create(model: Uint8Array, options?: Ort.InferenceSession.SessionOptions): Promise<Ort.InferenceSession>;
  };
  readonly Tensor: typeof Ort.Tensor;
  /** onnxruntime-web's global settings (wasm paths, threads); absent from onnxruntime-node. */
  readonly env?: Ort.Env;
}

/** Where a graph output is left: in host memory (a TensorData), or in the WebGPU device's memory. */
export type OutputLocation = "cpu" | "gpu-buffer";

/**
 * What the entry the compiler came from supplies: `@aotjs/backend-onnx` runs on onnxruntime-web,
 * `@aotjs/backend-onnx/node` on onnxruntime-node (with its profiler and the machine's threads).
 */
export interface OrtRuntime {
  /** The runtime used when the caller passes no `ort`. */
  load(): Promise<OrtModule>;
  /** Session options the environment decides: execution providers and threads. */
  sessionDefaults(
    ort: OrtModule,
    graph: Graph,
    options: OnnxCompilerOptions,
  ): Promise<Ort.InferenceSession.SessionOptions>;
  /** ORT's NCHWc channel block (`OnnxModelOptions.nchwcBlock`); absent where there are no NCHWc kernels. */
  nchwcBlock?(ort: OrtModule): Promise<number>;
  /** Where a profiled session writes its trace; absent where the runtime has no profile files. */
  profileFolder?(graph: Graph): Promise<{ prefix: string; read: () => Promise<unknown> }>;
  /** Rewrites a session-creation failure the environment can explain (a wasm file not served). */
  explainLoadFailure?(ort: OrtModule, graph: Graph, error: unknown): Promise<OnnxBackendError | undefined>;
}

/** Options of `onnxCompiler`: the model's (opset, formulations) and the session's (threads, providers, profile). */
export interface OnnxCompilerOptions extends Omit<OnnxModelOptions, "initializers" | "nchwcBlock"> {
  /**
   * onnxruntime-node's CPU provider: run the convolutions (and stride-1 input gradients) that
   * measured faster there on ORT's NCHWc kernels, with the filter reordered in the graph (see the
   * README's "Semantics"). Default true; the block size is asked of ORT once per process. Other
   * providers and onnxruntime-web always get standard ONNX Convs. The models `onModel` sees then
   * hold those nodes, for this machine's block: to save a portable model, pass false (or use
   * `exportOnnx`).
   */
  readonly nchwc?: boolean;
  /**
   * Threads inside one op. Default: the machine's available parallelism for graphs averaging at
   * least 0.5 MFLOP per node (`graphFlops`), one thread below that, where a pool has too little
   * to split. With the pool spinning during runs (`spinning`), gptMini's graphs (0.7-1.15 MFLOP
   * per node) run faster on 2 cores than on one: its `trainStep` 6.5-6.8 ms against 6.9-7.4,
   * its split graphs' step 8.9-9.6 against 9.7-10.3 (alternating processes); with a sleeping
   * pool they had been slower (its backward 7.8 ms against 5.8). ORT's own default starts a pool
   * but ran MatMul at one-thread speed here.
   * onnxruntime-node only: onnxruntime-web has one pool for all sessions, `ort.env.wasm.numThreads`
   * (set from the page's cross-origin isolation, see the README).
   */
  readonly intraOpNumThreads?: number;
  /** Threads across independent ops (used with executionMode "parallel"). */
  readonly interOpNumThreads?: number;
  /**
   * ORT's graph optimizations (fusions, constant folding, layout). Default "extended": every fusion,
   * without the "all" level's NCHWc layout pass (see `optimizationLevel`).
   */
  readonly graphOptimizationLevel?: "disabled" | "basic" | "extended" | "layout" | "all";
  readonly executionMode?: "sequential" | "parallel";
  /**
   * ORT graph optimizers to skip, by name (`optimization.disable_specified_optimizers`). Default
   * `["CommonSubexpressionElimination"]`, since the lowering already emits each distinct node once:
   * ORT's pass took 70-105 ms of resnet18's trainStep session creation and merged nothing (1,929
   * nodes after optimization either way; in gptMini's graph, two Transposes that ORT's own fusions
   * had duplicated). See `bench sessions`. Pass `[]` to run every optimizer.
   */
  readonly disabledOptimizers?: readonly string[];
  /**
   * Default: ["cpu"] on onnxruntime-node; on onnxruntime-web ["webgpu"] where WebGPU gives an
   * adapter, else ["wasm"] (see the README's "In the browser").
   */
  readonly executionProviders?: Ort.InferenceSession.SessionOptions["executionProviders"];
  /**
   * Let ORT's threads spin for work while a run is in flight, and stop the moment it returns
   * (ORT's `session.force_spinning_stop`). Default true. A pool that sleeps between kernels pays a
   * wake-up per parallel kernel: resnet18's `trainStep` took 652 ms sleeping and 620 spinning
   * (alternating processes, 2 cores). Spinning that outlives a run is what starves a forward and a
   * backward session of each other and the JS thread (an MLP step once measured 16 ms against
   * 3.3), so it stops with the run: split MLP steps measured equal with and without it.
   */
  readonly spinning?: boolean;
  /**
   * ORT's memory pattern (`enableMemPattern`): plan one block for all of a run's intermediates from
   * the first runs' allocations. Default false: the arena already reuses its chunks, and the
   * planning made the first two resnet18 steps slower (second step 3.0-3.6 s against 0.9-1.5 s
   * without) with no steady-state gain (resnet18 b8 and gptMini steps equal within noise).
   */
  readonly memoryPattern?: boolean;
  /** ORT log level (0 verbose .. 4 fatal). Default 4: ORT's errors reach the caller as exceptions instead. */
  readonly logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
  /**
   * Fetch the run-time check flags and throw an error naming the node when one is raised (integer
   * division by zero, ...), as the reference kernels do. Default true; false trades that for one
   * fewer comparison per checked node.
   */
  readonly runtimeChecks?: boolean;
  /**
   * The onnxruntime module. Default: onnxruntime-web from `@aotjs/backend-onnx`, onnxruntime-node
   * from `@aotjs/backend-onnx/node` (each an optional peer dependency: install the one you use).
   */
  readonly ort?: OrtModule;
  /**
   * onnxruntime-web only: where its `ort-wasm-*.wasm`/`.mjs` files are served (a URL prefix, or
   * one URL per file), set as `ort.env.wasm.wasmPaths` before its first session. Default: next
   * to the script that imported onnxruntime-web.
   */
  readonly wasmPaths?: string | { readonly mjs?: string; readonly wasm?: string };
  /**
   * Where each graph output is left (WebGPU only; ORT-web's `preferredOutputLocation`). A
   * "gpu-buffer" output comes back as a `DeviceTensorData`: it stays in GPU memory and can be fed
   * to another graph on the same device (a forward's saved values to its backward) without a
   * copy; its `data` cannot be read, `download()` copies it to the host. Default "cpu" for all.
   * A function gets each output and its index.
   */
  readonly outputLocation?: OutputLocation | ((output: Value, index: number, graph: Graph) => OutputLocation);
  /** Called with each graph's serialized model before the session is created (to save or inspect it). */
  readonly onModel?: (model: Uint8Array, graph: Graph) => void;
  /**
   * Record ORT's per-kernel profile of every run (onnxruntime-node, from `@aotjs/backend-onnx/node`). Read it with
   * `compiler.profiles()` or `executable.profile()`, which end profiling: time per ONNX op type,
   * per IR op and per IR node. `skip` leaves out the first runs (warm-up), default 1.
   */
  readonly profile?: boolean | { readonly skip?: number };
  /**
   * Lower a symbolic graph to one model with `dim_param`s that serves every size (the executable
   * is then `symbolic` and aot compiles the graph once). Default true. Where a graph cannot be
   * lowered so (see `NotSymbolicError`), the model is the graph at its hints, the executable is
   * not `symbolic`, `symbolicFallback` says why, and aot compiles once per size instead.
   */
  readonly symbolic?: boolean;
}

/** `onnxCompiler`'s result: a `Compiler` that also reports the profiles of what it compiled. */
export interface OnnxCompiler {
  (graph: Graph, exampleInputs?: readonly TensorMeta[]): Promise<OnnxExecutable>;
  /**
   * With `profile`, ends profiling on every live session this compiler created and returns one
   * profile per graph, in compile order. Later runs are not profiled. Without `profile`, [].
   */
  profiles(): Promise<OnnxProfile[]>;
}

/** The IR node an ONNX node name refers to: `relu_3`, or `relu_3/2` for one of its helper nodes. */
function nodeFromOrtMessage(graph: Graph, message: string): AnyNode | undefined {
  const m = /[Nn]ame:? ?'([^']*)'|node with name '([^']*)'/.exec(message);
  const onnxName = m?.[1] ?? m?.[2];
  if (!onnxName) return undefined;
  const irName = onnxName.split("/")[0];
  return graph.nodes.find((n) => n.name === irName);
}

function wrapOrtError(graph: Graph, what: string, e: unknown): OnnxBackendError {
  const message = messageOf(e);
  const node = nodeFromOrtMessage(graph, message);
  const where = node ? `; at ${describeNode(node)}` : "";
  return new OnnxBackendError(`onnxruntime failed to ${what} graph '${graph.name}'${where}: ${message}`, {
    cause: e,
  });
}

/**
 * One compiled graph: an InferenceSession created once and reused by every `run`. Inputs are
 * wrapped in `ort.Tensor`s over the TensorData's own typed arrays (no copy); outputs are ORT's
 * result arrays, wrapped in TensorData (no copy either).
 */
export class OnnxExecutable implements Executable {
  /** True when one session serves every size of a symbolic graph. */
  readonly symbolic: boolean;
  #session: Ort.InferenceSession | undefined;
  /** Runs in flight, and what `dispose` waits on until there are none. */
  #running = 0;
  #drained: (() => void) | undefined;
  #released: Promise<void> | undefined;
  readonly #inputs: readonly { readonly name: string; readonly meta: TensorMeta }[];
  /** Per graph output: the ONNX output to read, or the input it passes through unchanged. */
  readonly #outputs: readonly {
    readonly name?: string;
    readonly input?: number;
    readonly meta: TensorMeta;
  }[];

  /** ORT's wrapper of each input array: an unchanged input (a weight) is not wrapped again per call. */
  readonly #wrapped = new WeakMap<TensorData, Ort.Tensor>();
  readonly #profile: { readonly read: () => Promise<unknown>; readonly skip: number } | undefined;
  #profileResult: Promise<OnnxProfile> | undefined;
  readonly #compileWider: (() => Promise<OnnxExecutable>) | undefined;
  /** The executable for sizes past `lowered.sizeLimits`, compiled on the first such call. */
  #wider: Promise<OnnxExecutable> | undefined;

  constructor(
    readonly graph: Graph,
    readonly lowered: LoweredModel,
    session: Ort.InferenceSession,
    readonly ort: OrtModule,
    profile?: { readonly read: () => Promise<unknown>; readonly skip: number },
    /** The execution providers the session was created with (`["webgpu"]`, `["wasm"]`, `["cpu"]`). */
    readonly executionProviders: readonly string[] = ["cpu"],
    /** Why a symbolic graph was compiled at its hints only (see `OnnxCompilerOptions.symbolic`). */
    readonly symbolicFallback?: string,
    /** Compiles the model for every size, for calls past `lowered.sizeLimits`. */
    wider?: () => Promise<OnnxExecutable>,
  ) {
    this.#compileWider = wider;
    this.symbolic = lowered.symbolic;
    this.#session = session;
    this.#profile = profile;
    const onnxInputs = new Set(lowered.inputNames);
    this.#inputs = graph.inputs
      .filter((v) => onnxInputs.has(v.name))
      .map((v) => ({ name: v.name, meta: v.meta }));
    this.#outputs = graph.outputs.map((v, i) => {
      const name = lowered.outputNames[i];
      return name === undefined ? { input: lowered.passThrough[i]!, meta: v.meta } : { name, meta: v.meta };
    });
  }

  /** False once `dispose` has released the session. */
  get live(): boolean {
    return this.#session !== undefined;
  }

  async run(inputs: readonly TensorData[]): Promise<TensorData[]> {
    const session = this.#session;
    if (!session) throw new OnnxBackendError(`graph '${this.graph.name}': run() after dispose()`);
    this.#running++;
    try {
      // A value another graph left in GPU memory: this session is not on the GPU, so copy it out.
      const onHost =
        !this.executionProviders.includes("webgpu") && inputs.some(isDeviceTensorData)
          ? await Promise.all(inputs.map((t) => (isDeviceTensorData(t) ? t.download() : t)))
          : inputs;
      const past = this.#compileWider && this.#pastLimit(onHost);
      if (past) return await (await this.#widerExecutable()).run(onHost);
      return await this.#runOn(session, onHost);
    } finally {
      if (--this.#running === 0) this.#drained?.();
    }
  }

  async #runOn(session: Ort.InferenceSession, inputs: readonly TensorData[]): Promise<TensorData[]> {
    const g = this.graph;
    if (inputs.length !== this.#inputs.length) {
      throw new OnnxBackendError(
        `graph '${g.name}' takes ${this.#inputs.length} inputs (${this.#inputs.map((v) => v.name).join(", ")}), got ${inputs.length}`,
      );
    }
    // No prototype: an input named `__proto__` must become a key, not the object's prototype.
    const feeds: Record<string, Ort.Tensor> = Object.create(null);
    const outputMetas = this.symbolic ? this.#symbolicMetas(inputs) : undefined;
    this.#inputs.forEach(({ name, meta }, i) => {
      const t = inputs[i];
      if (!(t instanceof TensorData)) {
        throw new OnnxBackendError(
          `graph '${g.name}': input ${i} '${name}' must be a TensorData (${formatMeta(meta)}), got ${typeof t}`,
        );
      }
      if (
        t.dtype !== meta.dtype ||
        (!outputMetas &&
          (t.shape.length !== meta.shape.length || t.shape.some((d, k) => d !== meta.shape[k])))
      ) {
        throw new OnnxBackendError(
          `graph '${g.name}': input ${i} '${name}' expects ${formatMeta(meta)}, got ${formatMeta(t)}${usersOf(g, name)}`,
        );
      }
      let wrapped = deviceTensorOf(t) ?? this.#wrapped.get(t);
      if (!wrapped) {
        wrapped = new this.ort.Tensor(t.dtype, t.data as never, [...t.shape]);
        this.#wrapped.set(t, wrapped);
      }
      feeds[name] = wrapped;
    });
    let results: Ort.InferenceSession.ReturnType;
    try {
      results = await session.run(feeds);
    } catch (e) {
      throw wrapOrtError(g, "run", e);
    }
    for (const check of this.lowered.checks) {
      if ((results[check.flag]?.data as Uint8Array | undefined)?.[0]) {
        throw new OnnxBackendError(`graph '${g.name}': ${describeNode(check.node)} failed: ${check.message}`);
      }
    }
    return this.#outputs.map(({ name, input, meta: hinted }, i) => {
      const meta = outputMetas?.[i] ?? hinted;
      // A graph input returned as an output (a saved weight): the caller's own TensorData, no copy.
      if (name === undefined) return inputs[input!]!;
      const r = results[name];
      if (!r) throw new OnnxBackendError(`graph '${g.name}': onnxruntime returned no output '${name}'`);
      if (
        r.type !== meta.dtype ||
        r.dims.length !== meta.shape.length ||
        r.dims.some((d, k) => d !== meta.shape[k])
      ) {
        throw new OnnxBackendError(
          `graph '${g.name}': output '${name}' came back as ${r.type}[${r.dims}], the graph says ${formatMeta(meta)}`,
        );
      }
      if (r.location === "gpu-buffer") return deviceTensorData(r, meta, `graph '${g.name}' output '${name}'`);
      return new TensorData(meta.dtype, meta.shape, r.data as never);
    });
  }

  /** The first size limit this call's sizes are past, if any. */
  #pastLimit(inputs: readonly TensorData[]): SizeLimit | undefined {
    let bindings: ReadonlyMap<string, number>;
    try {
      bindings = bindSymbols(
        this.graph,
        inputs.map((t) => t?.shape ?? []),
      );
    } catch (e) {
      throw new OnnxBackendError(messageOf(e), { cause: e }); // it names the graph
    }
    return this.lowered.sizeLimits.find((l) => evalExpr(l.size, bindings) > l.atMost);
  }

  #widerExecutable(): Promise<OnnxExecutable> {
    // A failed compile is not kept: the next call past the limits tries again.
    this.#wider ??= this.#compileWider!().catch((e: unknown) => {
      this.#wider = undefined;
      throw e;
    });
    return this.#wider;
  }

  /** Each output's meta at the sizes of this call's inputs (which this checks against the guards). */
  #symbolicMetas(inputs: readonly TensorData[]): TensorMeta[] {
    try {
      return outputMetasAt(
        this.graph,
        inputs.map((t) => t?.shape ?? []),
      );
    } catch (e) {
      throw new OnnxBackendError(messageOf(e), { cause: e }); // it names the graph
    }
  }

  /**
   * With the compiler's `profile` option: ends ORT's profiling of this session and summarises it
   * (later runs are not profiled; calling again returns the same profile).
   */
  profile(): Promise<OnnxProfile> {
    this.#profileResult ??= (async () => {
      const recording = this.#profile;
      if (!recording)
        throw new OnnxBackendError(
          `graph '${this.graph.name}': compiled without onnxCompiler({ profile: true })`,
        );
      if (!this.#session) throw new OnnxBackendError(`graph '${this.graph.name}': profile() after dispose()`);
      this.#session.endProfiling();
      return summarizeOrtProfile(this.graph, (await recording.read()) as never, recording.skip);
    })();
    return this.#profileResult;
  }

  /**
   * Releases the session once the runs in flight have finished (they complete, as on TF.js); a
   * `run` after this is an error. Safe to call twice: both calls settle when the session is released.
   */
  dispose(): Promise<void> {
    this.#released ??= this.#release();
    return this.#released;
  }

  async #release(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    if (this.#running > 0)
      await new Promise<void>((resolve) => {
        this.#drained = resolve;
      });
    if (session && this.#profile && !this.#profileResult) {
      // Nobody read the profile: end it anyway, so ORT's file and its folder are removed.
      session.endProfiling();
      await this.#profile.read().catch(() => undefined);
    }
    await session?.release();
    await (await this.#wider?.catch(() => undefined))?.dispose();
  }
}

const usersOf = (g: Graph, name: string): string => {
  const v = g.inputs.find((x) => x.name === name);
  const users = v ? g.users(v) : [];
  return users.length
    ? ` (read by ${users
        .slice(0, 3)
        .map((n) => `${n.op} '${n.name}'`)
        .join(", ")})`
    : "";
};

const ORT_TYPES: readonly DType[] = ["float32", "float64", "int32", "int64", "bool"];

/** Mean FLOPs per node from which a thread pool pays for itself (see `intraOpNumThreads`). */
const POOL_WORTH_FLOPS = 0.5e6;
const flopsPerNode = (graph: Graph) => graphFlops(graph) / Math.max(1, graph.nodes.length);

const holdsFloat64 = (graph: Graph) => graph.values.some((v) => v.meta.dtype === "float64");

/**
 * The ORT optimizers a session leaves out: the caller's list (default: ORT's CSE, which the
 * lowering already does, see `disabledOptimizers`), plus MatMulScaleFusion in graphs holding
 * float64. That fusion folds a scalar mul/div around a MatMul into FusedMatMul's `alpha`, a
 * float32 attribute: `a.matmul(b).div(1.04)` in float64 came back 3e-8 off. onnxruntime 1.30
 * splits the list on ";" (a ","-joined list disabled nothing).
 */
function optimizerConfig(
  graph: Graph,
  options: OnnxCompilerOptions,
): { optimization?: { disable_specified_optimizers: string } } {
  const names = [
    ...(options.disabledOptimizers ?? ["CommonSubexpressionElimination"]),
    ...(holdsFloat64(graph) ? ["MatMulScaleFusion"] : []),
  ];
  return names.length ? { optimization: { disable_specified_optimizers: names.join(";") } } : {};
}

/**
 * "extended", not "all": the layout pass of "all" blocks convolutions into NCHWc by reordering
 * constant weights, and a compiled graph's weights are inputs, never initializers. It found
 * nothing to pre-pack, and its steady runs were equal within noise in an alternating A/B (517
 * against 522 ms; gptMini's trainStep 5.21 against 5.19). With ORT's CSE on, "all" also took
 * longer to create (resnet18's trainStep 408 ms against 246); with CSE skipped, as by default now
 * (`disabledOptimizers`), the two levels create in about the same time (`bench sessions`).
 * ORT's "extended" fusions rewrite into contrib ops that keep float32 attributes (FusedMatMul's
 * alpha) or have float32 kernels only (x * sigmoid(x) becomes QuickGelu, which then fails to load
 * in float64), so graphs holding float64 values get "basic" unless the caller asks otherwise.
 */
const optimizationLevel = (graph: Graph, asked: OnnxCompilerOptions["graphOptimizationLevel"]) =>
  asked ?? (holdsFloat64(graph) ? "basic" : "extended");

/**
 * The default thread count of a session on a runtime with a thread pool per session
 * (onnxruntime-node): `available` for graphs whose kernels are big enough to pay for a pool.
 */
export const sessionThreads = (graph: Graph, options: OnnxCompilerOptions, available: number | undefined) =>
  options.intraOpNumThreads ?? (flopsPerNode(graph) >= POOL_WORTH_FLOPS ? available : 1);

const locationOf = (graph: Graph, options: OnnxCompilerOptions) => {
  const rule = options.outputLocation;
  return graph.outputs.map(
    (v, i): OutputLocation => (typeof rule === "function" ? rule(v, i, graph) : (rule ?? "cpu")),
  );
};

/**
 * A `Compiler` that lowers each graph to ONNX and runs it on `runtime`'s ONNX Runtime: one
 * InferenceSession per graph, created at compile time and reused by every call. The entries wrap
 * it as `onnxCompiler` (onnxruntime-web, or onnxruntime-node from `@aotjs/backend-onnx/node`).
 */
export function createOnnxCompiler(options: OnnxCompilerOptions, runtime: OrtRuntime): OnnxCompiler {
  const profiled: OnnxExecutable[] = [];
  // nearHints: a symbolic model specialized for sizes like its hints, with a wider one for the rest.
  const compile = async (graph: Graph, nearHints = true): Promise<OnnxExecutable> => {
    for (const v of graph.inputs) {
      if (!ORT_TYPES.includes(v.meta.dtype))
        throw new OnnxBackendError(`graph '${graph.name}': input '${v.name}' has dtype ${v.meta.dtype}`);
    }
    if (options.profile && !runtime.profileFolder) {
      throw new OnnxBackendError(
        `graph '${graph.name}': profile needs onnxruntime-node's profiler: import onnxCompiler from "@aotjs/backend-onnx/node" (onnxruntime-web prints its profile to the console instead)`,
      );
    }
    const ort = options.ort ?? (await runtime.load());
    const defaults = await runtime.sessionDefaults(ort, graph, options);
    const providers = (options.executionProviders ?? defaults.executionProviders ?? ["cpu"]).map((ep) =>
      typeof ep === "string" ? ep : ep.name,
    );
    // Only float32 convs lower to NCHWc kernels; other graphs never ask ORT for the block.
    const nchwc =
      (options.nchwc ?? true) &&
      providers.every((ep) => ep === "cpu") &&
      graph.nodes.some((n) => NCHWC_LOWERED_OPS.has(n.op) && n.meta.dtype === "float32");
    const lowerOptions = {
      ...options,
      runtimeChecks: options.runtimeChecks ?? true,
      omitPassThroughOutputs: true,
      nchwcBlock: nchwc ? ((await runtime.nchwcBlock?.(ort)) ?? 0) : 0,
    };
    let lowered: LoweredModel;
    let fallback: string | undefined;
    try {
      lowered = lowerGraph(graph, { ...lowerOptions, symbolic: options.symbolic ?? true, nearHints });
    } catch (e) {
      if (!(e instanceof NotSymbolicError)) throw e;
      fallback = e.message;
      lowered = lowerGraph(graph, { ...lowerOptions, symbolic: false });
    }
    const bytes = toBinary(ModelProtoSchema, lowered.model);
    options.onModel?.(bytes, graph);
    // Only a WebGPU session can leave outputs in GPU memory; elsewhere every output is on the host.
    const locations = providers.includes("webgpu") ? locationOf(graph, options) : [];
    const onDevice: Record<string, OutputLocation> = {};
    lowered.outputNames.forEach((name, i) => {
      if (name !== undefined && locations[i] === "gpu-buffer") onDevice[name] = "gpu-buffer";
    });
    const recording = options.profile ? await runtime.profileFolder!(graph) : undefined;
    const spinning = options.spinning ?? true;
    let session: Ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, {
        ...defaults,
        ...(options.executionProviders ? { executionProviders: options.executionProviders } : {}),
        graphOptimizationLevel: optimizationLevel(graph, options.graphOptimizationLevel),
        logSeverityLevel: options.logSeverityLevel ?? 4,
        enableMemPattern: options.memoryPattern ?? false,
        ...(Object.keys(onDevice).length ? { preferredOutputLocation: onDevice } : {}),
        ...(recording ? { enableProfiling: true, profileFilePrefix: recording.prefix } : {}),
        ...(options.interOpNumThreads !== undefined ? { interOpNumThreads: options.interOpNumThreads } : {}),
        ...(options.executionMode !== undefined ? { executionMode: options.executionMode } : {}),
        extra: {
          session: {
            intra_op: { allow_spinning: spinning ? "1" : "0" },
            inter_op: { allow_spinning: spinning ? "1" : "0" },
            ...(spinning ? { force_spinning_stop: "1" } : {}),
          },
          ...optimizerConfig(graph, options),
        },
      });
    } catch (e) {
      await recording?.read().catch(() => undefined);
      throw (await runtime.explainLoadFailure?.(ort, graph, e)) ?? wrapOrtError(graph, "load", e);
    }
    const skip = typeof options.profile === "object" ? (options.profile.skip ?? 1) : 1;
    const exe = new OnnxExecutable(
      graph,
      lowered,
      session,
      ort,
      recording && { read: recording.read, skip },
      providers,
      fallback,
      lowered.sizeLimits.length ? () => compile(graph, false) : undefined,
    );
    if (recording) profiled.push(exe);
    return exe;
  };
  return Object.assign((graph: Graph) => compile(graph), {
    profiles: () => Promise.all(profiled.filter((e) => e.live).map((e) => e.profile())),
  });
}

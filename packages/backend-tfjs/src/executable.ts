import {
  type AnyNode,
  describeNode,
  type Executable,
  formatMeta,
  type Graph,
  messageOf,
  numel,
  sameMeta,
  type TensorData,
  type TensorMeta,
  type Value,
} from "@aotjs/ir";
import * as tf from "@tensorflow/tfjs-core";
import { fromTensor, scalarData, tfDType, toTensor } from "./dtypes.js";
import { TfjsBackendError } from "./errors.js";
import {
  type BackendTraits,
  type HostKernel,
  type Kernel,
  type LowerContext,
  lowerings,
} from "./lower/index.js";
import { matmulKernel } from "./lower/matmul.js";
import { type PlannedStep, planGraph } from "./plan.js";

interface Step {
  readonly node: AnyNode;
  readonly label: string;
  readonly inputs: readonly Value[];
  readonly kernel: HostKernel;
  /** Values whose last read is this step: freed right after it unless they are outputs. */
  readonly frees: readonly Value[];
}

const asHostKernel = (k: Kernel): HostKernel =>
  typeof k === "function" ? { hostInputs: [], run: (xs) => k(xs as tf.Tensor[]) } : k;

/**
 * Switch TF.js's global backend to `name` and return the previous one (undefined when none was
 * set yet). Synchronous when `name` is already initialized; only a first use waits.
 */
export function switchBackend(name: string): string | undefined | Promise<string | undefined> {
  const engine = tf.engine();
  // Touching the engine before any backend is set starts the highest-priority backend's async
  // initialization (wasm); while it is in flight TF.js refuses every op on any backend.
  const pendingInit = (engine as unknown as { pendingBackendInit: Promise<boolean> | null })
    .pendingBackendInit;
  if (pendingInit) return pendingInit.then(() => switchBackend(name));
  const previous = (engine.backendName as string | null) ?? undefined;
  const initialized = engine.registry[name] !== undefined;
  if (previous === name && initialized) return previous;
  const pending = tf.setBackend(name);
  // setBackend names the backend at once but creates it asynchronously on first use (wasm loads
  // its binary); for an initialized backend the switch is complete when setBackend returns.
  if (initialized) {
    pending.catch(() => {});
    return previous;
  }
  return pending.then((ok) => {
    if (!ok) throw new TfjsBackendError(`the TF.js backend '${name}' failed to initialize`);
    return previous;
  });
}

/** Switch back to what `switchBackend` returned, if anything was active before. */
export function restoreBackend(previous: string | undefined, current: string): void {
  if (previous !== undefined && previous !== current) switchBackend(previous);
}

/**
 * A compiled graph: a list of TF.js steps run inside one tf.tidy per call. Values are freed after
 * their last use (so peak memory follows the graph, not its total), constants made at compile time
 * live until `dispose`, and only graph outputs cross back as TensorData.
 */
export class TfjsExecutable implements Executable {
  readonly graph: Graph;
  readonly backend: string;
  readonly #steps: Step[];
  readonly #hostNodes: readonly AnyNode[];
  readonly #hostValues: ReadonlySet<Value>;
  readonly #constants = new Set<tf.Tensor>();
  /** Constants' storage when the backend's dataSync returns it (cpu): outputs must copy those. */
  readonly #constantArrays = new Set<unknown>();
  #disposed = false;

  constructor(graph: Graph, traits: BackendTraits) {
    this.graph = graph;
    this.backend = traits.name;
    rejectFloat64(graph);
    const plan = planGraph(graph, traits);
    this.#hostNodes = plan.hostNodes;
    this.#hostValues = plan.hostValues;
    const constant = (make: () => tf.Tensor) => {
      const t = tf.keep(make());
      this.#constants.add(t);
      return t;
    };
    try {
      const lowered = plan.steps.map((s) => this.#lower(s, traits, constant));
      this.#steps = withFrees(lowered);
    } catch (e) {
      this.dispose();
      throw e;
    }
    // The cpu backend's dataSync hands out its own storage; note the constants' arrays once.
    for (const t of this.#constants) {
      const data = t.dataSync();
      if (data === t.dataSync()) this.#constantArrays.add(data);
    }
  }

  #lower(
    s: PlannedStep,
    traits: BackendTraits,
    constant: (make: () => tf.Tensor) => tf.Tensor,
  ): Omit<Step, "frees"> {
    const node = (s.kind.kind === "matmul" ? s.kind.matmul : s.node) as AnyNode;
    const extra = s.kind.kind === "matmul" ? [...s.kind.absorbed, s.node].filter((n) => n !== node) : [];
    const label = extra.length
      ? `${describeNode(node)} fused with ${extra.map((n) => `'${n.name}' (${n.op})`).join(", ")}`
      : describeNode(node);
    const fail = (message: string): never => {
      throw new TfjsBackendError(`graph '${this.graph.name}': ${describeNode(node)}: ${message}`);
    };
    const ctx: LowerContext = {
      node,
      attrs: node.attrs,
      inputs: node.inputs.map((v) => v.meta),
      out: node.meta,
      backend: traits,
      constantScalar: (i) => {
        const p = node.inputs[i]?.producer as AnyNode | undefined;
        return p?.op === "full" && numel(p.meta.shape) === 1 ? p.attrs.value : undefined;
      },
      constant,
      fail,
    };
    let kernel: Kernel;
    const out = s.node.meta;
    if (numel(out.shape) === 0) {
      // TF.js kernels are not all safe on empty tensors; an empty result needs no computing.
      const shape = [...out.shape];
      const dtype = tfDType(out.dtype);
      kernel = () => tf.zeros(shape, dtype);
    } else if (s.kind.kind === "matmul") {
      const k = s.kind;
      kernel = matmulKernel(ctx as LowerContext<"matmul">, {
        transposeA: k.transposeA,
        transposeB: k.transposeB,
        aShape: s.inputs[0]!.meta.shape,
        bShape: s.inputs[1]!.meta.shape,
        bias: k.bias,
        relu: k.relu,
      });
    } else {
      kernel = (lowerings[node.op] as (c: LowerContext) => Kernel)(ctx);
    }
    return { node: s.node, label, inputs: s.inputs, kernel: asHostKernel(kernel) };
  }

  /** Runs the graph on tfjs and returns its outputs as TensorData. */
  run(inputs: readonly TensorData[]): TensorData[] | Promise<TensorData[]> {
    if (this.#disposed) throw new TfjsBackendError(`graph '${this.graph.name}': run after dispose`);
    this.#checkInputs(inputs);
    const previous = switchBackend(this.backend);
    if (previous instanceof Promise) return previous.then((p) => this.#runOn(inputs, p));
    return this.#runOn(inputs, previous);
  }

  #runOn(inputs: readonly TensorData[], previous: string | undefined): TensorData[] {
    try {
      return this.#execute(inputs);
    } finally {
      restoreBackend(previous, this.backend);
    }
  }

  #checkInputs(inputs: readonly TensorData[]): void {
    const g = this.graph;
    if (inputs.length !== g.inputs.length) {
      throw new TfjsBackendError(
        `graph '${g.name}' takes ${g.inputs.length} inputs (${g.inputs.map((v) => v.name).join(", ")}), got ${inputs.length}`,
      );
    }
    g.inputs.forEach((v, i) => {
      const t = inputs[i]!;
      if (!sameMeta(t, v.meta)) {
        throw new TfjsBackendError(
          `graph '${g.name}': input ${i} '${v.name}' expects ${formatMeta(v.meta)}, got ${formatMeta(t)}`,
        );
      }
    });
  }

  /** The random ops' seeds and offsets, exactly, as BigInt (int64 arithmetic wraps at 64 bits). */
  #hostEnv(inputs: readonly TensorData[]): Map<Value, bigint> {
    const env = new Map<Value, bigint>();
    this.graph.inputs.forEach((v, i) => {
      if (this.#hostValues.has(v)) env.set(v, BigInt(inputs[i]!.data[0]!));
    });
    for (const node of this.#hostNodes) {
      const x = node.inputs.map((v) => env.get(v)!);
      const bits = node.meta.dtype === "int64" ? 64 : 32;
      let r: bigint;
      switch (node.op) {
        case "full":
          r = BigInt(Math.trunc(node.attrs.value));
          break;
        case "add":
          r = x[0]! + x[1]!;
          break;
        case "sub":
          r = x[0]! - x[1]!;
          break;
        case "mul":
          r = x[0]! * x[1]!;
          break;
        case "neg":
          r = -x[0]!;
          break;
        default: // cast between integer types and the reshape family keep the value
          r = x[0]!;
      }
      env.set(node.output, BigInt.asIntN(bits, r));
    }
    return env;
  }

  #execute(inputs: readonly TensorData[]): TensorData[] {
    const g = this.graph;
    const host = this.#hostEnv(inputs);
    const inputIndex = new Map(g.inputs.map((v, i) => [v, i]));
    const protect = new Set<unknown>([...inputs.map((t) => t.data), ...this.#constantArrays]);
    const outputs = new Set(g.outputs);
    const results: TensorData[] = new Array(g.outputs.length);
    tf.tidy(() => {
      const env = new Map<Value, tf.Tensor>();
      const tensorOf = (v: Value): tf.Tensor => {
        let t = env.get(v);
        if (t) return t;
        const i = inputIndex.get(v);
        if (i !== undefined) t = toTensor(inputs[i]!, `graph '${g.name}': input ${i} '${v.name}'`);
        else if (host.has(v))
          t = toTensor(scalarData(host.get(v)!, v.meta), `graph '${g.name}': value '${v.name}'`);
        else throw new TfjsBackendError(`graph '${g.name}': value '${v.name}' was never computed`);
        env.set(v, t);
        return t;
      };
      for (const step of this.#steps) {
        const { hostInputs, run } = step.kernel;
        const xs = step.inputs.map((v, i) => (hostInputs.includes(i) ? undefined : tensorOf(v)));
        const scalars = hostInputs.map((i) => {
          const v = step.inputs[i]!;
          return Number(host.get(v) ?? tensorOf(v).dataSync()[0]);
        });
        let out: tf.Tensor;
        try {
          out = run(xs, scalars);
        } catch (e) {
          throw new TfjsBackendError(
            `graph '${g.name}': ${step.label} failed on the TF.js '${this.backend}' backend: ${messageOf(e)}`,
            { cause: e },
          );
        }
        // A kernel that hands back one of its inputs gets its own reference, so freeing stays per value.
        if (xs.includes(out)) out = tf.clone(out);
        env.set(step.node.output, out);
        for (const v of step.frees) {
          const t = env.get(v);
          if (t && !this.#constants.has(t) && !outputs.has(v)) {
            t.dispose();
            env.delete(v);
          }
        }
      }
      g.outputs.forEach((v, k) => {
        const i = inputIndex.get(v);
        if (i !== undefined) results[k] = inputs[i]!;
        else if (host.has(v)) results[k] = scalarData(host.get(v)!, v.meta);
        else results[k] = fromTensor(tensorOf(v), v.meta as TensorMeta, protect);
      });
    });
    return results;
  }

  /** Frees the tfjs tensors of the graph's constants; `run` after it is an error. */
  dispose(): void {
    this.#disposed = true;
    for (const t of this.#constants) t.dispose();
    this.#constants.clear();
  }
}

/** float64 has no TF.js dtype: refuse at compile time, naming the first input or node that has it. */
function rejectFloat64(graph: Graph): void {
  const hint = "TensorFlow.js has no float64; cast to float32 before compiling (e.g. model.to('float32'))";
  graph.inputs.forEach((v, i) => {
    if (v.meta.dtype === "float64") {
      throw new TfjsBackendError(
        `graph '${graph.name}': input ${i} '${v.name}' is ${formatMeta(v.meta)}: ${hint}`,
      );
    }
  });
  for (const node of graph.nodes) {
    if (node.meta.dtype === "float64") {
      throw new TfjsBackendError(`graph '${graph.name}': ${describeNode(node)} produces float64: ${hint}`);
    }
  }
}

/** For each step, the values read for the last time there (graph inputs included). */
function withFrees(steps: Omit<Step, "frees">[]): Step[] {
  const last = new Map<Value, number>();
  steps.forEach((s, i) => {
    for (const v of s.inputs) last.set(v, i);
    if (!last.has(s.node.output)) last.set(s.node.output, i);
  });
  const frees: Value[][] = steps.map(() => []);
  for (const [v, i] of last) frees[i]!.push(v);
  return steps.map((s, i) => ({ ...s, frees: frees[i]! }));
}

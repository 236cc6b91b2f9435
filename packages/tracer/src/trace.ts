import {
  AotjsError,
  formatMeta,
  type Graph,
  GraphBuilder,
  type InputRole,
  isValidName,
  messageOf,
  type OutputRole,
  type TensorData,
  type Value,
  warnOnce,
} from "@aotjs/ir";
import {
  activeModes,
  type DispatchHandler,
  defaultGenerator,
  type OpCall,
  rngStateOf,
  Tensor,
  tensorName,
  withMode,
} from "@aotjs/tensor";
import { flatten, type TreeSpec, unflatten } from "./pytree.js";
import { currentRegion } from "./region.js";

/** `layer1.0.bn1.running_mean f32[64]` where nn named the tensor, else its dtype and shape. */
function named(t: Tensor): string {
  const name = tensorName(t);
  return name === undefined ? formatMeta(t) : `'${name}' ${formatMeta(t)}`;
}

export class TraceError extends AotjsError {
  override name = "TraceError";
}

/** Options of `makeFx`: graph name, input names and roles, RNG functionalization. */
export interface TraceOptions {
  /** The graph's name (what `graph.code` prints after `function`). Defaults to the function's name. */
  readonly name?: string;
  /** Names for the tensor inputs, in flattened order. Defaults to `arg_1`, `arg_2`, ... */
  readonly inputNames?: readonly string[];
  /**
   * Roles of the tensor inputs, in flattened order (see `InputRole` in `@aotjs/ir`). Defaults to
   * user input 0, 1, ...: their flattened positions. The RNG inputs and captured constants the
   * trace adds get their own roles.
   */
  readonly inputRoles?: readonly InputRole[];
  /**
   * Make the default generator's state graph inputs (`rng_seed`, `rng_offset`, int64 scalars)
   * instead of constants, so each run of the graph draws fresh numbers, as eager code would.
   * The generator is left where it was before tracing; `TraceResult.rng` says how far one run
   * advances it.
   */
  readonly functionalizeRng?: boolean;
}

/**
 * What one run of a functionalized graph consumes from the default generator, and (for people)
 * the names of its RNG inputs, `rng_seed`/`rng_offset` unless taken. The inputs are found by
 * their roles, `rng_seed` and `rng_offset`.
 */
export interface RngInputs {
  readonly seed: string;
  readonly offset: string;
  readonly consumed: number;
}

/** A trace: the graph, and the pytree structures of its inputs and outputs. */
export interface TraceResult {
  readonly graph: Graph;
  /** Structure of the arguments; the graph's first inputs are its leaves, in order. */
  readonly inputSpec: TreeSpec;
  /** Structure of the result; the graph's user outputs are its leaves (user output k is leaf k). */
  readonly outputSpec: TreeSpec;
  /**
   * Tensors the function captured from outside its arguments that are not one repeated value.
   * They are graph inputs after the arguments, with roles `constant` 0, 1, ... in this order;
   * callers pass these values. (A captured tensor whose elements are all equal is embedded as a
   * `full` node instead, so nothing large is ever copied into the graph.)
   */
  readonly constants: readonly { readonly name: string; readonly value: TensorData }[];
  /** With `functionalizeRng`, when the function draws random numbers: how many counters one run consumes. */
  readonly rng?: RngInputs;
}

/**
 * The one value every element of `d` holds, when a `full` node can reproduce it exactly: equal
 * by `Object.is` (0 and -0 differ, NaN equals NaN), and for int64 within the doubles' exact range
 * (a `full` value is a JS number, so 2^60 + 1 would come back as 2^60).
 */
function repeatedValue(d: TensorData): number | undefined {
  const a = d.data;
  if (a.length === 0) return undefined;
  const first = a[0]!;
  for (let i = 1; i < a.length; i++) if (!Object.is(a[i], first)) return undefined;
  const value = Number(first);
  if (typeof first === "bigint" && BigInt(value) !== first) return undefined;
  return value;
}

/**
 * The tracing mode: every op becomes a node, every result a fake tensor (metadata only), so
 * tracing does no arithmetic. In-place updates rebind a tensor to its new value (functionalization).
 */
class TracingMode implements DispatchHandler {
  readonly name = "tracer";
  readonly values = new WeakMap<Tensor, Value>();
  readonly constants: { name: string; value: TensorData }[] = [];
  readonly #captured = new Map<Tensor, Value>();
  #rngInputs?: { seed: Value; offset: Value };

  constructor(
    readonly builder: GraphBuilder,
    readonly rngStart?: number,
  ) {}

  get rngInputNames(): { seed: string; offset: string } | undefined {
    const r = this.#rngInputs;
    return r && { seed: r.seed.name, offset: r.offset.name };
  }

  /** The default generator's seed and offset as inputs; each random op's offset is relative to it. */
  #rngValue(t: Tensor): Value | undefined {
    const state = rngStateOf(t);
    if (this.rngStart === undefined || !state || state.generator !== defaultGenerator) return undefined;
    const b = this.builder;
    this.#rngInputs ??= {
      seed: b.input(b.freshName("rng_seed"), { shape: [], dtype: "int64" }, { kind: "rng_seed" }),
      offset: b.input(b.freshName("rng_offset"), { shape: [], dtype: "int64" }, { kind: "rng_offset" }),
    };
    if (state.role === "seed") return this.#rngInputs.seed;
    const delta = b.op("full", [], { shape: [], value: state.value - this.rngStart, dtype: "int64" });
    return b.op("add", [this.#rngInputs.offset, delta], undefined, "rng_offset");
  }

  valueOf(t: Tensor, use: string): Value {
    const v = this.values.get(t) ?? this.#captured.get(t);
    if (v) return v;
    const data = t.dataOrUndefined;
    if (!data) {
      throw new TraceError(
        `${use}: a fake tensor ${formatMeta(t)} that does not belong to this trace (was it created by another trace?)`,
      );
    }
    let value: Value;
    const rng = this.#rngValue(t);
    const repeated = rng ? undefined : repeatedValue(data);
    if (rng) value = rng;
    else if (repeated !== undefined) {
      value = this.builder.op(
        "full",
        [],
        { shape: data.shape, value: repeated, dtype: data.dtype },
        "_constant",
      );
    } else {
      const index = this.constants.length;
      const name = this.builder.freshName(`_tensor_constant_${index}`);
      value = this.builder.input(name, data.meta, { kind: "constant", index });
      this.constants.push({ name, value: data });
    }
    if (!rng && t.requiresGrad) {
      // PyTorch's AOT Autograd lifts it as a constant too, silently: w.grad then stays null.
      warnOnce(
        `a tensor that requires grad (${named(t)}, read by ${use}) is not an argument of the traced ` +
          "function, so it is captured as a constant and gets no gradient: pass it as an argument or use aotModule",
      );
    }
    this.#captured.set(t, value);
    return value;
  }

  op(call: OpCall): Tensor {
    const inputs = call.inputs.map((t, i) => this.valueOf(t, `${call.op} input ${i}`));
    this.builder.region = currentRegion();
    const value = this.builder.op(call.op, inputs, call.attrs as never);
    this.builder.region = undefined;
    const out = Tensor.fake(call.meta);
    this.values.set(out, value);
    return out;
  }

  mutate(target: Tensor, value: Tensor): void {
    if (!this.values.has(target)) {
      throw new TraceError(
        `in-place update of a tensor the traced function captured from outside its arguments (${named(target)}); ` +
          "pass it as an argument (modules: through functionalCall) so the update can be returned",
      );
    }
    this.values.set(target, this.valueOf(value, "in-place update"));
  }

  alias(source: Tensor, result: Tensor): void {
    this.values.set(result, this.valueOf(source, "detach"));
  }
}

/** Whether a trace is running: ops now become graph nodes on fake tensors. */
export const isTracing = (): boolean => activeModes().some((m) => m instanceof TracingMode);

/**
 * Trace `fn` on `inputs` (pytrees of tensors and plain values) into a graph. Tensor leaves become
 * graph inputs (fake copies: example values are never read), and the flattened result becomes the
 * outputs (user outputs), followed by the new value of every input the function updated in place
 * (mutation outputs).
 */
export function trace(
  fn: (...args: any[]) => unknown,
  inputs: readonly unknown[],
  options: TraceOptions = {},
): TraceResult {
  const name = options.name ?? (isValidName(fn.name) ? fn.name : "traced");
  if (inputs.length < fn.length) {
    throw new TraceError(
      `trace '${name}': the function takes ${fn.length} argument(s) but ${inputs.length} were given`,
    );
  }
  const { leaves, spec: inputSpec } = flatten([...inputs]);
  const names = options.inputNames ?? leaves.map((_, i) => `arg_${i + 1}`);
  if (names.length !== leaves.length) {
    throw new TraceError(
      `trace '${name}': ${names.length} input names given for ${leaves.length} tensor inputs`,
    );
  }
  const roles = options.inputRoles;
  if (roles !== undefined && roles.length !== leaves.length) {
    throw new TraceError(
      `trace '${name}': ${roles.length} input roles given for ${leaves.length} tensor inputs`,
    );
  }
  const b = new GraphBuilder(name);
  const rngStart = options.functionalizeRng ? defaultGenerator.offset : undefined;
  const mode = new TracingMode(b, rngStart);
  const fakes = leaves.map((t, i) => {
    const fake = Tensor.fake(t.meta);
    if (t.requiresGrad) fake.requiresGrad = true;
    mode.values.set(fake, b.input(names[i]!, t.meta, roles?.[i] ?? { kind: "user_input", index: i }));
    return fake;
  });
  const inputValues = fakes.map((f) => mode.values.get(f)!);
  const args = unflatten(inputSpec, fakes) as unknown[];

  let result: unknown;
  let consumed = 0;
  try {
    result = withMode(mode, () => fn(...args));
  } catch (e) {
    if (e instanceof TraceError) throw e;
    throw new TraceError(`while tracing '${name}': ${messageOf(e)}`, { cause: e });
  } finally {
    if (rngStart !== undefined) {
      consumed = defaultGenerator.offset - rngStart;
      defaultGenerator.offset = rngStart;
    }
  }
  if (result instanceof Promise)
    throw new TraceError(
      `trace '${name}': the function returned a Promise; traced functions must be synchronous`,
    );

  const { leaves: outLeaves, spec: outputSpec } = flatten(result);
  const outputs = outLeaves.map((t, i) => mode.valueOf(t, `output ${i}`));
  const mutated = fakes
    .map((f, i) => [i, mode.values.get(f)!] as const)
    .filter(([i, v]) => v !== inputValues[i]);
  b.output(
    [...outputs, ...mutated.map(([, v]) => v)],
    [
      ...outputs.map((_, index): OutputRole => ({ kind: "user_output", index })),
      ...mutated.map(([input]): OutputRole => ({ kind: "mutation", input })),
    ],
  );
  return {
    graph: b.build(),
    inputSpec,
    outputSpec,
    constants: mode.constants,
    ...(mode.rngInputNames ? { rng: { ...mode.rngInputNames, consumed } } : {}),
  };
}

/**
 * torch.fx's `make_fx`: `makeFx(fn)(...exampleInputs)` traces `fn` with fake tensors and returns
 * the graph. See `trace` for the structure specs and captured constants.
 */
export const makeFx =
  (fn: (...args: any[]) => unknown, options: TraceOptions = {}) =>
  (...inputs: unknown[]): Graph =>
    trace(fn, inputs, options).graph;

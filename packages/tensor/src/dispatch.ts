import {
  checkNode,
  formatMeta,
  type OpAttrs,
  type OpAttrsInput,
  type OpName,
  type TensorMeta,
  Value,
} from "@aotjs/ir";
import { kernels } from "./kernels/index.js";
import { setTensorData, Tensor, TensorError } from "./tensor.js";

/** One op application on its way down the dispatcher. Attributes are normalized and checked. */
export interface OpCall<K extends OpName = OpName> {
  readonly op: K;
  readonly inputs: readonly Tensor[];
  readonly attrs: OpAttrs<K>;
  /** The result's shape and dtype, from the catalog's rule: what a fake tensor needs. */
  readonly meta: TensorMeta;
}

/**
 * A handler in the dispatch chain. Each hook gets the call and `next`, the rest of the chain; it
 * may return its own result, call `next` (and, say, record what happened), or both.
 *
 * - `op`: every op application (`x.cos()`, factories, the eager side of every method).
 * - `mutate`: an in-place update (`add_`, `copy_`, ...): `target` takes `value`'s contents.
 *   `value` already has `target`'s shape and dtype.
 * - `alias`: `result` is a new Tensor object standing for the same value as `source` (`detach()`).
 */
export interface DispatchHandler {
  readonly name: string;
  /** Handles an op application; call `next(call)` to pass it down. */
  op?(call: OpCall, next: (call: OpCall) => Tensor): Tensor;
  /** Handles an in-place update; call `next` to pass it down. */
  mutate?(target: Tensor, value: Tensor, next: (target: Tensor, value: Tensor) => void): void;
  /** Handles a new Tensor object standing for the same value; call `next` to pass it down. */
  alias?(source: Tensor, result: Tensor, next: (source: Tensor, result: Tensor) => void): void;
}

/**
 * Layers are long-lived and sit on top (autograd registers one); modes are a stack pushed for a
 * while (the tracer pushes one). A call visits layers in registration order, then modes from the
 * most recent, then the base, which runs the reference kernel. This mirrors PyTorch, where the
 * autograd key runs before dispatch modes.
 */
const layers: DispatchHandler[] = [];
const modes: DispatchHandler[] = [];

/** Adds a layer (e.g. autograd) to the dispatcher once per name; layers run before modes. */
export function registerLayer(layer: DispatchHandler): void {
  if (!layers.some((l) => l.name === layer.name)) layers.push(layer);
}
/** Removes the layer of that name, if registered. */
export function unregisterLayer(name: string): void {
  const i = layers.findIndex((l) => l.name === name);
  if (i >= 0) layers.splice(i, 1);
}

/** Pushes a mode (e.g. tracing) as the innermost; prefer `withMode`, which always pops. */
export function pushMode(mode: DispatchHandler): void {
  modes.push(mode);
}
/** Pops `mode`, which must be the innermost one. */
export function popMode(mode: DispatchHandler): void {
  if (modes[modes.length - 1] !== mode) {
    throw new TensorError(
      `popMode: '${mode.name}' is not the innermost mode (modes: ${modes.map((m) => m.name).join(", ")})`,
    );
  }
  modes.pop();
}
/** Run `fn` with `mode` pushed; pops it however `fn` ends (also for async functions). */
export function withMode<T>(mode: DispatchHandler, fn: () => T): T {
  pushMode(mode);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    popMode(mode);
    throw e;
  }
  if (result instanceof Promise) return result.finally(() => popMode(mode)) as T;
  popMode(mode);
  return result;
}
/** The modes now pushed, outermost first. */
export const activeModes = (): readonly DispatchHandler[] => [...modes];

const chain = (): DispatchHandler[] => [...layers, ...[...modes].reverse()];

function baseOp(call: OpCall): Tensor {
  const datas = call.inputs.map((t, i) => {
    const d = t.dataOrUndefined;
    if (!d) {
      throw new TensorError(
        `${call.op}: input ${i} is a fake tensor (${formatMeta(t)}) and no tracing mode is active to handle it`,
      );
    }
    return d;
  });
  return new Tensor(kernels[call.op](datas, call.attrs as never, call.meta));
}

function run<A extends unknown[], R>(hook: "op" | "mutate" | "alias", base: (...args: A) => R, args: A): R {
  const handlers = chain().filter((h) => h[hook] !== undefined);
  const step = (i: number, ...a: A): R => {
    const h = handlers[i];
    if (!h) return base(...a);
    return (h[hook] as (...x: unknown[]) => R)(...a, (...b: A) => step(i + 1, ...b));
  };
  return step(0, ...args);
}

/**
 * The one dispatch point every op goes through. Checks arity, attributes and shapes with the
 * catalog's rule (so a bad call fails here, naming the op and the shapes), then runs the chain.
 */
export function dispatch<K extends OpName>(
  op: K,
  inputs: readonly Tensor[],
  attrs?: OpAttrsInput<K>,
): Tensor {
  inputs.forEach((t, i) => {
    if (!(t instanceof Tensor)) {
      throw new TensorError(`${op}: input ${i} must be a Tensor, got ${t === null ? "null" : typeof t}`);
    }
  });
  const values = inputs.map((t, i) => new Value(`input${i}`, { shape: t.shape, dtype: t.dtype }));
  const checked = checkNode(op, values, attrs, undefined);
  return run("op", baseOp, [{ op, inputs, attrs: checked.attrs, meta: checked.meta } as OpCall]);
}

/** In-place update through the chain: the tracer functionalizes it, autograd re-links history. */
export function dispatchMutate(target: Tensor, value: Tensor): void {
  run(
    "mutate",
    (t: Tensor, v: Tensor) => {
      const d = v.dataOrUndefined;
      if (!d)
        throw new TensorError(
          `in-place update of ${formatMeta(t)}: the new value is a fake tensor and no mode handled it`,
        );
      setTensorData(t, d);
    },
    [target, value],
  );
}

/** Tells the dispatcher that `result` stands for the same value as `source` (as `detach()` does). */
export function dispatchAlias(source: Tensor, result: Tensor): void {
  run("alias", (_source: Tensor, _result: Tensor) => {}, [source, result]);
}

import { type DType, formatMeta, isFloating, type TensorData } from "@aotjs/ir";
import { nameTensor, Tensor } from "@aotjs/tensor";
import { describe, NNError } from "./errors.js";
import { withoutGrad } from "./internal.js";

/**
 * A tensor a module learns. Assigning one to a module field registers it (see `Module`); it
 * requires grad by default, as in PyTorch. It is a plain Tensor otherwise: ops on it return
 * ordinary tensors, and in-place updates (optimizers, `loadStateDict`) rebind its data.
 */
export class Parameter extends Tensor {
  constructor(data: Tensor | TensorData, requiresGrad = true) {
    super(data instanceof Tensor ? (data.dataOrUndefined ?? data.meta) : data);
    if (requiresGrad && isFloating(this.dtype)) this.requiresGrad = true;
  }
}

interface BufferInfo {
  readonly persistent: boolean;
}

// Buffer names live outside the instance so that a module's own keys are exactly its fields.
const bufferInfo = new WeakMap<Module, Map<string, BufferInfo>>();

/** Where a parameter or buffer lives: `owner[key]`, reached through the dotted `name`. */
interface Slot {
  readonly name: string;
  readonly kind: "parameter" | "buffer";
  readonly owner: Record<string, unknown>;
  readonly key: string;
  readonly tensor: Tensor;
  readonly persistent: boolean;
}

interface Members {
  readonly parameters: [key: string, owner: Record<string, unknown>, ownerKey: string, p: Parameter][];
  readonly buffers: [key: string, t: Tensor, info: BufferInfo][];
  readonly children: [key: string, m: Module][];
}

const isModuleArray = (v: unknown): v is Module[] =>
  Array.isArray(v) && v.length > 0 && v.every((m) => m instanceof Module);
const isParameterArray = (v: unknown): v is Parameter[] =>
  Array.isArray(v) && v.length > 0 && v.every((p) => p instanceof Parameter);

/** A module's own parameters, buffers and children, found by walking its enumerable own fields. */
function members(m: Module): Members {
  const buffers = bufferInfo.get(m);
  const out: Members = { parameters: [], buffers: [], children: [] };
  const self = m as unknown as Record<string, unknown>;
  for (const key of Object.keys(m)) {
    if (buffers?.has(key)) continue;
    const v = self[key];
    if (v instanceof Parameter) out.parameters.push([key, self, key, v]);
    else if (v instanceof Module) out.children.push([key, v]);
    else if (isModuleArray(v)) {
      for (const [i, c] of v.entries()) out.children.push([`${key}.${i}`, c]);
    } else if (isParameterArray(v)) {
      const arr = v as unknown as Record<string, unknown>;
      for (const [i, p] of v.entries()) out.parameters.push([`${key}.${i}`, arr, String(i), p]);
    }
  }
  // Buffers in registration order, as PyTorch's `_buffers` dict keeps them; null buffers are skipped.
  for (const [key, info] of buffers ?? []) {
    const v = self[key];
    if (v instanceof Tensor) out.buffers.push([key, v, info]);
  }
  return out;
}

/**
 * Every parameter and buffer slot in state-dict order (own parameters, own buffers, then each
 * child's, depth first), duplicates included: a tied weight appears under each of its names.
 */
function slots(root: Module): Slot[] {
  const out: Slot[] = [];
  const visit = (m: Module, prefix: string, ancestors: Set<Module>) => {
    const own = members(m);
    for (const [key, owner, ownerKey, p] of own.parameters) {
      out.push({ name: prefix + key, kind: "parameter", owner, key: ownerKey, tensor: p, persistent: true });
    }
    for (const [key, t, info] of own.buffers) {
      const owner = m as unknown as Record<string, unknown>;
      out.push({ name: prefix + key, kind: "buffer", owner, key, tensor: t, persistent: info.persistent });
    }
    for (const [key, child] of own.children) {
      if (ancestors.has(child)) continue; // a back-reference (say, to a parent) is not a child
      ancestors.add(child);
      visit(child, `${prefix}${key}.`, ancestors);
      ancestors.delete(child);
    }
  };
  visit(root, "", new Set([root]));
  for (const slot of out) nameTensor(slot.tensor, slot.name);
  return out;
}

function uniqueBy<T>(items: readonly [string, T][]): [string, T][] {
  const seen = new Set<T>();
  return items.filter(([, v]) => {
    if (seen.has(v)) return false;
    seen.add(v);
    return true;
  });
}

/** Tensors by state name (`layer1.0.conv1.weight`), as `Module.stateDict()` returns them. */
export type StateDict = Record<string, Tensor>;

/** What `loadStateDict` could not match: the module's names missing from the dict, and the dict's names the module lacks. */
export interface LoadStateDictResult {
  readonly missingKeys: string[];
  readonly unexpectedKeys: string[];
}

/**
 * The base of every layer and model, as torch.nn.Module.
 *
 * Registration is by assignment: after construction, the module's enumerable own fields are
 * walked in definition order. A `Parameter` field is a parameter, a `Module` field is a child, an
 * array of modules (or of parameters) registers its elements under `name.0`, `name.1`, ...
 * Buffers are registered explicitly with `registerBuffer`, because a plain tensor field could be
 * either a buffer or a cached constant; unregistered tensor fields are ignored.
 *
 * Field names are the state-dict names, so models that mirror a PyTorch model use its
 * snake_case names (`running_mean`, `conv1`, `downsample`) to load its checkpoints.
 */
export class Module {
  training = true;

  /** The computation; subclasses override it with their own signature. */
  forward(..._args: any[]): any {
    throw new NNError(`${this.constructor.name}.forward is not implemented`);
  }

  /** `module.call(x)` is `module.forward(x)`, typed from the subclass's forward. */
  call<M extends Module>(this: M, ...args: Parameters<M["forward"]>): ReturnType<M["forward"]> {
    return this.forward(...args);
  }

  /**
   * Register `tensor` as the buffer `name` and assign it to `this[name]`. A non-persistent buffer
   * is left out of `stateDict()`; a null buffer is a declared slot with no value yet.
   */
  registerBuffer(name: string, tensor: Tensor | null, options: { persistent?: boolean } = {}): void {
    const where = `${this.constructor.name}.registerBuffer('${name}')`;
    if (typeof name !== "string" || name === "" || name.includes(".")) {
      throw new NNError(`${where}: a buffer name must be a non-empty string without dots`);
    }
    if (tensor !== null && !(tensor instanceof Tensor))
      throw new NNError(`${where}: expected a Tensor or null, got ${describe(tensor)}`);
    const self = this as unknown as Record<string, unknown>;
    const existing = self[name];
    if (existing instanceof Parameter || existing instanceof Module) {
      throw new NNError(
        `${where}: '${name}' is already a ${existing instanceof Module ? "child module" : "parameter"}`,
      );
    }
    const info = bufferInfo.get(this) ?? new Map<string, BufferInfo>();
    bufferInfo.set(this, info);
    info.set(name, { persistent: options.persistent ?? true });
    self[name] = tensor;
  }

  /** The parameters of this module and its descendants, with their dotted names; a shared one once. */
  namedParameters(): [string, Parameter][] {
    return uniqueBy(
      slots(this)
        .filter((s) => s.kind === "parameter")
        .map((s) => [s.name, s.tensor as Parameter]),
    );
  }
  /** The parameters of this module and its descendants (what an optimizer takes). */
  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }
  /** The buffers of this module and its descendants, with their dotted names. */
  namedBuffers(): [string, Tensor][] {
    return uniqueBy(
      slots(this)
        .filter((s) => s.kind === "buffer")
        .map((s) => [s.name, s.tensor]),
    );
  }
  /** The buffers of this module and its descendants. */
  buffers(): Tensor[] {
    return this.namedBuffers().map(([, b]) => b);
  }
  /** The direct submodules with their field names. */
  namedChildren(): [string, Module][] {
    return uniqueBy(members(this).children);
  }
  /** The direct submodules. */
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }
  /** This module (named "") and every descendant, depth first, each once. */
  namedModules(): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const visit = (m: Module, name: string) => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([name, m]);
      for (const [key, child] of members(m).children) visit(child, name ? `${name}.${key}` : key);
    };
    visit(this, "");
    return out;
  }
  /** This module and all its descendants, in depth-first order. */
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }
  /** The descendant at a dotted path (`layer1.0`); throws if there is none. */
  getSubmodule(path: string): Module {
    const found = this.namedModules().find(([n]) => n === path);
    if (!found) throw new NNError(`${this.constructor.name}.getSubmodule: no submodule '${path}'`);
    return found[1];
  }

  /** Children first, then this module, as torch's `Module.apply` (used for custom init). */
  apply(fn: (m: Module) => void): this {
    for (const child of this.children()) child.apply(fn);
    fn(this);
    return this;
  }

  /** Sets training mode (Dropout, BatchNorm) on this module and its descendants. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }
  /** `train(false)`: evaluation mode. */
  eval(): this {
    return this.train(false);
  }

  /** Clear gradients (set to null, as PyTorch's default `set_to_none=True`). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** The total number of parameter elements (optionally only those that require grad). */
  numParameters(options: { trainableOnly?: boolean } = {}): number {
    return this.parameters()
      .filter((p) => !options.trainableOnly || p.requiresGrad)
      .reduce((n, p) => n + p.numel(), 0);
  }

  /**
   * Parameters and persistent buffers by dotted name, in PyTorch's order. The values are the
   * module's own tensors (as torch's state_dict shares storage), so later in-place updates show.
   */
  stateDict(): StateDict {
    const out: StateDict = {};
    for (const s of slots(this)) if (s.persistent) out[s.name] = s.tensor;
    return out;
  }

  /**
   * Copy a state dict's tensors into this module's, in place. Everything is checked before
   * anything is copied: a shape or dtype mismatch is always an error; missing and unexpected
   * keys are errors when `strict` (the default) and are returned either way.
   */
  loadStateDict(
    dict: StateDict | ReadonlyMap<string, Tensor>,
    options: { strict?: boolean } = {},
  ): LoadStateDictResult {
    const strict = options.strict ?? true;
    const where = `${this.constructor.name}.loadStateDict`;
    const given = new Map(dict instanceof Map ? dict : Object.entries(dict));
    const own = slots(this).filter((s) => s.persistent);
    const ownNames = new Set(own.map((s) => s.name));
    const missingKeys = own.filter((s) => !given.has(s.name)).map((s) => s.name);
    const unexpectedKeys = [...given.keys()].filter((k) => !ownNames.has(k));
    const problems: string[] = [];
    if (strict) {
      const byName = new Map(own.map((s) => [s.name, s.tensor]));
      for (const k of missingKeys)
        problems.push(`missing key '${k}' (the module's is ${formatMeta(byName.get(k)!)})`);
      for (const k of unexpectedKeys) problems.push(`unexpected key '${k}' (${describe(given.get(k))})`);
    }
    for (const s of own) {
      const v = given.get(s.name);
      if (v === undefined) continue;
      if (!(v instanceof Tensor)) {
        problems.push(`'${s.name}' is ${describe(v)}, not a Tensor`);
      } else if (
        v.dtype !== s.tensor.dtype ||
        v.shape.length !== s.tensor.ndim ||
        v.shape.some((d, i) => d !== s.tensor.shape[i])
      ) {
        const what =
          v.dtype !== s.tensor.dtype && v.shape.join() === s.tensor.shape.join() ? "dtype" : "shape";
        problems.push(
          `${what} mismatch for '${s.name}': the state dict has ${formatMeta(v)}, the module has ${formatMeta(s.tensor)}`,
        );
      } else if (v.isFake) {
        problems.push(`'${s.name}' is a fake tensor (${formatMeta(v)}) with no values to load`);
      }
    }
    if (problems.length) {
      throw new NNError(
        `${where}: ${problems.length === 1 ? problems[0] : `${problems.length} problems:\n  ${problems.join("\n  ")}`}`,
      );
    }
    withoutGrad(
      own.map((s) => s.tensor),
      () => {
        for (const s of own) {
          const v = given.get(s.name);
          if (v !== undefined && v !== s.tensor) s.tensor.copy_(v);
        }
      },
    );
    return { missingKeys, unexpectedKeys };
  }

  /**
   * Cast floating parameters and buffers to `dtype` (say float64 for gradcheck). New tensor
   * objects replace the old ones (tied weights stay tied), so build optimizers afterwards.
   */
  to(dtype: DType): this {
    if (!isFloating(dtype))
      throw new NNError(`${this.constructor.name}.to: only floating dtypes, got ${dtype}`);
    const replaced = new Map<Tensor, Tensor>();
    for (const s of slots(this)) {
      if (!isFloating(s.tensor.dtype) || s.tensor.dtype === dtype) continue;
      let next = replaced.get(s.tensor);
      if (!next) {
        const cast = s.tensor.to(dtype);
        next = s.kind === "parameter" ? new Parameter(cast, s.tensor.requiresGrad) : cast;
        replaced.set(s.tensor, next);
      }
      s.owner[s.key] = next;
    }
    return this;
  }

  /** What goes between the parentheses of this module's `toString()`, as torch's `extra_repr`. */
  extraRepr(): string {
    return "";
  }
  /** A PyTorch-style printout of the module tree. */
  toString(): string {
    const name = this.constructor.name;
    const children = this.namedChildren();
    const extra = this.extraRepr();
    if (!children.length) return `${name}(${extra})`;
    const lines = children.map(([n, c]) => `(${n}): ${String(c).replaceAll("\n", "\n  ")}`);
    return `${name}(\n${[...(extra ? [extra] : []), ...lines].map((l) => `  ${l}`).join("\n")}\n)`;
  }
}

/** Options of `functionalCall`: whether every tensor must be given, and tied weights. */
export interface FunctionalCallOptions {
  /** Every parameter and buffer must be given (default false: missing ones use the module's own). */
  readonly strict?: boolean;
  /** Substitute a tied tensor under all its names when one of them is given (default true). */
  readonly tieWeights?: boolean;
}

/**
 * torch.func.functional_call: run `module.forward(...inputs)` with the given tensors standing in
 * for the module's parameters and buffers of those names. The fields are swapped for the call
 * and restored afterwards, also when forward throws. In-place updates during the call (BatchNorm's
 * running statistics) land on the given tensors, so a tracer records them as input mutations,
 * and the module's own buffers are left untouched.
 */
export function functionalCall<M extends Module>(
  module: M,
  tensors: Readonly<Record<string, Tensor>> | ReadonlyMap<string, Tensor>,
  inputs: readonly unknown[],
  options: FunctionalCallOptions = {},
): ReturnType<M["forward"]> {
  const where = `functionalCall(${module.constructor.name})`;
  if (!Array.isArray(inputs))
    throw new NNError(`${where}: inputs must be an array of forward's arguments, got ${describe(inputs)}`);
  const given = new Map(tensors instanceof Map ? tensors : Object.entries(tensors));
  const all = slots(module);
  const names = new Set(all.map((s) => s.name));
  for (const [k, v] of given) {
    if (!names.has(k)) {
      const known = [...names];
      const list = known.slice(0, 8).join(", ") + (known.length > 8 ? `, ... (${known.length} in all)` : "");
      throw new NNError(
        `${where}: '${k}' is not a parameter or buffer of the module (it has ${list || "none"})`,
      );
    }
    if (!(v instanceof Tensor))
      throw new NNError(`${where}: the value for '${k}' is ${describe(v)}, not a Tensor`);
  }
  const byOriginal = new Map<Tensor, Tensor>();
  if (options.tieWeights ?? true)
    for (const s of all) if (given.has(s.name)) byOriginal.set(s.tensor, given.get(s.name)!);
  const swaps: [Slot, Tensor][] = [];
  const missing: string[] = [];
  for (const s of all) {
    const sub = given.get(s.name) ?? byOriginal.get(s.tensor);
    if (sub) swaps.push([s, sub]);
    else missing.push(s.name);
  }
  if (options.strict && missing.length)
    throw new NNError(`${where}: strict, but no tensor was given for ${missing.join(", ")}`);

  const saved = swaps.map(([s]) => [s.owner, s.key, s.owner[s.key]] as const);
  const restore = () => {
    for (let i = saved.length - 1; i >= 0; i--) {
      const [owner, key, old] = saved[i]!;
      owner[key] = old;
    }
  };
  for (const [s, t] of swaps) s.owner[s.key] = t;
  let result: unknown;
  try {
    result = module.forward(...inputs);
  } catch (e) {
    restore();
    throw e;
  }
  if (result instanceof Promise) return result.finally(restore) as ReturnType<M["forward"]>;
  restore();
  return result as ReturnType<M["forward"]>;
}

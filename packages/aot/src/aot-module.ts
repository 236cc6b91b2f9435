import type { PrimalRole } from "@aotjs/ir";
import type { LoadStateDictResult, Module, StateDict } from "@aotjs/nn";
import { functionalCall } from "@aotjs/nn";
import type { Tensor } from "@aotjs/tensor";
import { type AotFunction, type AotOptions, type AotStats, aotFunction } from "./aot-function.js";
import { resolveInputNames } from "./input-names.js";

/**
 * `layer1.0.bn1.running_mean` -> `layer1_0_bn1_running_mean`: graph input names are identifiers,
 * so a name that would start with a digit (a Sequential's `0.weight`) gets a leading `_`.
 */
export const inputNameOf = (stateName: string): string => {
  const name = stateName.replace(/[^A-Za-z0-9_]/g, "_");
  return /^[A-Za-z_]/.test(name) ? name : `_${name}`;
};

/** Distinct names: a later duplicate (`a.b` and `a_b` both give `a_b`) gets `_1`, `_2`, ... */
export function uniqueNames(names: readonly string[]): string[] {
  const used = new Set<string>();
  return names.map((n) => {
    let name = n;
    for (let i = 1; used.has(name); i++) name = `${n}_${i}`;
    used.add(name);
    return name;
  });
}

/**
 * Makes instances callable. The constructor returns `call` with the subclass's prototype, so the
 * subclass's fields (private ones too) are installed on that function object, and its methods
 * and getters work on it as on any instance.
 */
class Callable {
  constructor(call: (...args: never[]) => unknown) {
    // biome-ignore lint/correctness/noConstructorReturn: returning the function object is the point.
    return Object.setPrototypeOf(call, new.target.prototype);
  }
}

/** Calling an `AotModule` is `forward`: `compiled(x)` as `model(x)` in PyTorch. */
export interface AotModule<M extends Module> {
  // biome-ignore lint/style/useShorthandFunctionType: a type alias could not merge with the class.
  (...inputs: Parameters<M["forward"]>): Promise<Awaited<ReturnType<M["forward"]>>>;
}

/**
 * functorch's `aot_module`: the module's parameters and buffers are lifted to graph inputs under
 * their own names, with roles `parameter` and `buffer` and their module paths, so one compiled
 * graph serves every parameter value. Call it like the module, `await compiled(x)`, or
 * `await compiled.forward(x)`: both return a Promise of what the module's forward returns.
 * `backward()` fills the parameters' `.grad`, and in-place buffer updates (BatchNorm's running
 * statistics) are written back to the module after each call. `parameters()`, `train()`/`eval()`,
 * `stateDict()` and the rest answer for the wrapped module.
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: see the interface above.
export class AotModule<M extends Module> extends Callable {
  readonly #fn: AotFunction<[Record<string, Tensor>, ...unknown[]], unknown>;
  readonly module: M;

  constructor(module: M, options: AotOptions = {}) {
    // The instance is this very function (see Callable), so it calls its own forward.
    const call = (...inputs: Parameters<M["forward"]>) =>
      (call as unknown as AotModule<M>).forward(...inputs);
    super(call);
    this.module = module;
    // The state's leaves come first, in this order: forward() builds the state object the same way.
    const stateRoles = (): Extract<PrimalRole, { path: string }>[] => [
      ...module.namedParameters().map(([path]) => ({ kind: "parameter" as const, path })),
      ...module.namedBuffers().map(([path]) => ({ kind: "buffer" as const, path })),
    ];
    this.#fn = aotFunction(
      (state: Record<string, Tensor>, ...inputs: unknown[]) => functionalCall(module, state, inputs),
      {
        ...options,
        // The state keeps its state-dict names; the user's `inputNames` name the inputs after it.
        inputNames: (count) => {
          const names = stateRoles().map((r) => inputNameOf(r.path));
          const user = resolveInputNames(
            options.inputNames,
            count - names.length,
            (i) => `input_${i + 1}`,
            "aotModule",
          );
          return uniqueNames([...names, ...user]);
        },
        // Train and eval trace different graphs (BatchNorm, Dropout).
        cacheKey: () => `${module.training ? "train" : "eval"}|${options.cacheKey?.() ?? ""}`,
      },
      {
        inputRoles: (count) => {
          const state = stateRoles();
          return [
            ...state,
            ...Array.from(
              { length: count - state.length },
              (_, index): PrimalRole => ({ kind: "user_input", index }),
            ),
          ];
        },
      },
    );
  }

  /** Runs the compiled module on `inputs` (as `module.forward` would) with its current parameters and buffers. */
  forward(...inputs: Parameters<M["forward"]>): Promise<Awaited<ReturnType<M["forward"]>>> {
    return this.#fn(this.#state(), ...inputs) as Promise<Awaited<ReturnType<M["forward"]>>>;
  }

  /**
   * `forward` and the loss's `backward()` in one compiled graph, for a module whose forward
   * returns a 0-d loss: the parameters' `.grad` accumulate as after
   * `(await compiled(x, y)).backward()`, and the loss comes back with no grad_fn. See
   * `AotFunction.forwardBackward`.
   */
  forwardBackward(...inputs: Parameters<M["forward"]>): Promise<Awaited<ReturnType<M["forward"]>>> {
    return this.#fn.forwardBackward(this.#state(), ...inputs) as Promise<Awaited<ReturnType<M["forward"]>>>;
  }

  #state(): Record<string, Tensor> {
    return Object.fromEntries([...this.module.namedParameters(), ...this.module.namedBuffers()]);
  }

  /** The wrapped module's parameters (what an optimizer takes). */
  parameters(): Tensor[] {
    return this.module.parameters();
  }
  /** The wrapped module's parameters with their state-dict names. */
  namedParameters(): [string, Tensor][] {
    return this.module.namedParameters();
  }
  /** The wrapped module's buffers with their state-dict names. */
  namedBuffers(): [string, Tensor][] {
    return this.module.namedBuffers();
  }
  /** The wrapped module's buffers (BatchNorm's running statistics, ...). */
  buffers(): Tensor[] {
    return this.module.buffers();
  }
  /** Clears the `.grad` of the wrapped module's parameters. */
  zeroGrad(): void {
    this.module.zeroGrad();
  }
  /** The wrapped module's state dict (its own tensors, as `Module.stateDict`). */
  stateDict(): StateDict {
    return this.module.stateDict();
  }
  /**
   * Copies into the wrapped module's tensors in place; the compiled graphs take the state as
   * inputs at every call, so the next call uses the loaded values without recompiling.
   */
  loadStateDict(
    dict: StateDict | ReadonlyMap<string, Tensor>,
    options: { strict?: boolean } = {},
  ): LoadStateDictResult {
    return this.module.loadStateDict(dict, options);
  }
  /** Sets training mode on the wrapped module (train and eval compile separate graphs). */
  train(mode = true): this {
    this.module.train(mode);
    return this;
  }
  /** `train(false)`. */
  eval(): this {
    return this.train(false);
  }
  get training(): boolean {
    return this.module.training;
  }
  /** The compile cache counters. */
  stats(): AotStats {
    return this.#fn.stats();
  }
  get lastGraphs() {
    return this.#fn.lastGraphs;
  }
  /** Frees every compiled executable and empties the cache. */
  dispose(): Promise<void> {
    return this.#fn.dispose();
  }
}

/** Compiles `module` ahead of time; the result is callable, `await compiled(x)`: see `AotModule`. */
export const aotModule = <M extends Module>(module: M, options: AotOptions = {}): AotModule<M> =>
  new AotModule(module, options);

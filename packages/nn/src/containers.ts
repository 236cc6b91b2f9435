import type { Tensor } from "@aotjs/tensor";
import { NNError } from "./errors.js";
import { Module } from "./module.js";

/** Modules held under the field names "0", "1", ...: their state-dict prefixes. */
abstract class IndexedModules<T extends Module> extends Module {
  constructor(modules: readonly T[]) {
    super();
    modules.forEach((m, i) => {
      this.#set(i, m);
    });
  }
  #set(i: number, m: T): void {
    if (!(m instanceof Module)) throw new NNError(`${this.constructor.name}: element ${i} is not a Module`);
    (this as unknown as Record<number, T>)[i] = m;
  }
  get length(): number {
    return Object.keys(this).filter((k) => /^\d+$/.test(k)).length;
  }
  /** The module at `index` (negative counts from the end). */
  at(index: number): T {
    const i = index < 0 ? index + this.length : index;
    const m = (this as unknown as Record<number, T>)[i];
    if (!m)
      throw new NNError(
        `${this.constructor.name}.at(${index}): index out of range for length ${this.length}`,
      );
    return m;
  }
  /** Adds `m` at the end, registered under the next index. */
  append(m: T): this {
    this.#set(this.length, m);
    return this;
  }
  /** Iterates over the modules in order. */
  *[Symbol.iterator](): Iterator<T> {
    for (let i = 0; i < this.length; i++) yield this.at(i);
  }
}

/** torch.nn.Sequential: forward feeds each module's output to the next. */
export class Sequential extends IndexedModules<Module> {
  constructor(...modules: Module[]) {
    super(modules);
  }
  override forward(x: any): any {
    for (const m of this) x = m.forward(x);
    return x;
  }
}

/** torch.nn.ModuleList: registers its modules; it has no forward of its own. */
export class ModuleList<T extends Module = Module> extends IndexedModules<T> {
  constructor(modules: readonly T[] = []) {
    super(modules);
  }
  override forward(): never {
    throw new NNError("ModuleList has no forward: iterate over it in the parent's forward");
  }
}

/**
 * A model and its loss as one module: `forward(input, target)` is `loss(model(input), target)`,
 * so a compiled module's graph covers the loss too (`aotModule(...).forwardBackward`,
 * `aotOptimizer(...).trainStep` need the forward to return the loss). The model's state keeps its
 * names under `model.`.
 */
export class WithLoss<M extends Module = Module> extends Module {
  constructor(
    /** The model: its output is the loss's first argument. */
    readonly model: M,
    /** The loss of the model's output against the target, a 0-d tensor (`F.mseLoss`, ...). */
    readonly loss: (output: Tensor, target: Tensor) => Tensor,
  ) {
    super();
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return this.loss(this.model.forward(input) as Tensor, target);
  }
}

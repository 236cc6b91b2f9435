import {
  type BinaryOpName,
  type DType,
  formatMeta,
  isFloating,
  numel,
  type TensorData,
  type TensorMeta,
  type TypedArray,
  type UnaryOpName,
} from "@aotjs/ir";
import { dispatchAlias, dispatchMutate } from "./dispatch.js";
import { TensorError } from "./errors.js";
import { formatTensor, type Nested, toNested } from "./format.js";
import * as ew from "./ops/elementwise.js";
import * as nn from "./ops/nn.js";
import { normalizeDim, requireTensor, type TensorLike } from "./ops/operands.js";
import * as red from "./ops/reduce.js";
import * as sh from "./ops/shape.js";

export { TensorError } from "./errors.js";

/** What a tape node looks like to the tensor package: autograd owns the rest. */
export interface GradFn {
  readonly name: string;
}

export interface BackwardOptions {
  readonly retainGraph?: boolean;
}

/** The engine `backward()` delegates to; `@aotjs/autograd` installs one. */
export interface AutogradEngine {
  backward(tensor: Tensor, gradient: Tensor | undefined, options: BackwardOptions): Promise<void>;
}

let engine: AutogradEngine | undefined;
export const setAutogradEngine = (e: AutogradEngine | undefined): void => {
  engine = e;
};

/** bool < integer < floating: torch's in-place ops refuse to store a higher category in a lower one. */
const dtypeRank = (d: DType): number => (d === "bool" ? 0 : isFloating(d) ? 2 : 1);

let assignData: (t: Tensor, d: TensorData) => void;
let markPending: (t: Tensor, delta: 1 | -1) => void;
let gradWhilePending: (t: Tensor) => Tensor | null;
let setGradWhilePending: (t: Tensor, g: Tensor | null) => void;

const pendingError = (t: Tensor, what: string) =>
  new TensorError(
    `${what} of ${formatMeta(t)} while a backward() that writes it is still running: await loss.backward() first`,
  );

/**
 * For autograd engines: `t.grad` is about to be written by a backward pass that finishes later
 * (delta 1), or that pass has finished (delta -1). Passes nest; `accumulateGrad` writes through.
 */
export const markGradPending = (t: Tensor, delta: 1 | -1): void => markPending(t, delta);
/** For autograd engines: `t.grad += g` (or `= g`) even while passes are pending on it. */
export const accumulateGrad = (t: Tensor, add: (old: Tensor | null) => Tensor): void =>
  setGradWhilePending(t, add(gradWhilePending(t)));
/** Internal: the base of `dispatchMutate` rebinds a tensor's data (not exported from the package). */
export const setTensorData = (t: Tensor, d: TensorData): void => assignData(t, d);

/**
 * A method per unary and binary catalog op, named as the op. `Tensor` implements it, so an op added
 * to the catalog without its method is a compile error on the class.
 */
export type PointwiseMethods = { readonly [K in UnaryOpName]: () => Tensor } & {
  readonly [K in BinaryOpName]: (other: TensorLike) => Tensor;
};

/**
 * An eager tensor: a TensorData (or, while tracing, only a meta: a "fake" tensor) plus autograd
 * metadata. Every op goes through the dispatcher, so tracing and autograd see each one.
 * Results never alias their inputs: `view`/`reshape` copy, and in-place methods rebind only the
 * tensor they are called on.
 */
export class Tensor implements TensorMeta, PointwiseMethods {
  readonly shape: readonly number[];
  readonly dtype: DType;
  #data: TensorData | undefined;
  #requiresGrad = false;
  #grad: Tensor | null = null;
  /** Backward passes still running that will accumulate into `grad` (see `markGradPending`). */
  #gradPending = 0;
  gradFn: GradFn | null = null;

  /**
   * The accumulated gradient. While an awaited backward that will write it is still running (a
   * compiled graph's backward is async), reading or writing it throws: `loss.backward();
   * opt.step()` without `await` would otherwise step on last step's gradients, silently.
   */
  get grad(): Tensor | null {
    if (this.#gradPending > 0) throw pendingError(this, "reading .grad");
    return this.#grad;
  }
  set grad(value: Tensor | null) {
    if (this.#gradPending > 0) throw pendingError(this, "setting .grad");
    this.#grad = value;
  }

  static {
    markPending = (t, delta) => {
      t.#gradPending += delta;
    };
    gradWhilePending = (t) => t.#grad;
    setGradWhilePending = (t, g) => {
      t.#grad = g;
    };
    assignData = (t, d) => {
      if (
        d.dtype !== t.dtype ||
        d.shape.length !== t.shape.length ||
        d.shape.some((x, i) => x !== t.shape[i])
      ) {
        throw new TensorError(`in-place update: cannot store ${formatMeta(d)} into ${formatMeta(t)}`);
      }
      t.#data = d;
    };
  }

  /** A real tensor over `data`, or a fake one (metadata only) when given a TensorMeta. */
  constructor(data: TensorData | TensorMeta) {
    this.shape = Object.freeze([...data.shape]);
    this.dtype = data.dtype;
    this.#data = "data" in data ? (data as TensorData) : undefined;
  }

  static fake(meta: TensorMeta): Tensor {
    return new Tensor({ shape: meta.shape, dtype: meta.dtype });
  }

  get isFake(): boolean {
    return this.#data === undefined;
  }
  get ndim(): number {
    return this.shape.length;
  }
  get meta(): TensorMeta {
    return { shape: this.shape, dtype: this.dtype };
  }
  numel(): number {
    return numel(this.shape);
  }
  size(dim?: number): number | readonly number[] {
    if (dim === undefined) return this.shape;
    const d = normalizeDim(dim, this.ndim, "size");
    if (this.ndim === 0) throw new TensorError(`size: a 0-d tensor has no dim ${dim}`);
    return this.shape[d]!;
  }

  get requiresGrad(): boolean {
    return this.#requiresGrad;
  }
  set requiresGrad(value: boolean) {
    if (value && !isFloating(this.dtype)) {
      throw new TensorError(`only floating tensors can require grad, this one is ${formatMeta(this)}`);
    }
    this.#requiresGrad = value;
  }
  requiresGrad_(value = true): this {
    this.requiresGrad = value;
    return this;
  }
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** Internal: the data, or undefined for a fake tensor. */
  get dataOrUndefined(): TensorData | undefined {
    return this.#data;
  }
  #need(what: string): TensorData {
    if (!this.#data) {
      throw new TensorError(
        `${what} needs the values of a fake tensor (${formatMeta(this)}), which exist only when the function runs, ` +
          "not while it is traced: data-dependent operations cannot be captured in a graph",
      );
    }
    return this.#data;
  }
  /** The TensorData behind this tensor (shared, not copied: do not mutate its array). */
  toData(): TensorData {
    return this.#need("toData()");
  }
  /** The typed array behind this tensor (shared, not copied: do not mutate it). */
  data(): TypedArray {
    return this.#need("data()").data;
  }
  /** Nested arrays of numbers (int64 as numbers, exact up to 2^53) or booleans. */
  toArray(): Nested {
    return toNested(this.#need("toArray()"));
  }
  /**
   * The one element as a number (int64 exact up to 2^53; a bool tensor gives 1 or 0), typed
   * `number` so losses and metrics need no cast. `itemBool()` reads a bool tensor as a boolean.
   */
  item(): number {
    return Number(this.#one("item()"));
  }
  /** The one element as a boolean (a bool tensor's value, or a number's `!== 0`). */
  itemBool(): boolean {
    return Number(this.#one("itemBool()")) !== 0;
  }
  #one(what: string): number | bigint {
    const d = this.#need(what);
    if (d.size !== 1)
      throw new TensorError(`${what}: needs a tensor with one element, got ${formatMeta(this)}`);
    return d.data[0]!;
  }
  /** `+x`, `x > 0`, template strings: a one-element tensor converts like `item()` (and fails while tracing). */
  [Symbol.toPrimitive](hint: string): number | string {
    if (hint === "string") return this.toString();
    return this.item();
  }
  toString(): string {
    return formatTensor(this);
  }
  /** `console.log(t)` in Node prints like torch, not the object's fields. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return formatTensor(this);
  }

  /** Backpropagate from this tensor; delegates to the installed autograd engine. */
  backward(gradient?: Tensor, options: BackwardOptions = {}): Promise<void> {
    if (!engine) {
      throw new TensorError(
        'backward() needs an autograd engine: add `import "@aotjs/autograd";` to your program',
      );
    }
    return engine.backward(this, gradient, options);
  }

  /** A tensor with the same value and no autograd history. */
  detach(): Tensor {
    const result = new Tensor(this.#data ?? this.meta);
    dispatchAlias(this, result);
    return result;
  }

  // ---- in-place (the tracer functionalizes these; autograd re-links history) ----
  #assign(value: Tensor, op = "in-place update"): this {
    requireTensor(value, op, "the new value");
    let v = value.dtype === this.dtype ? value : value.to(this.dtype);
    if (v.shape.length !== this.ndim || v.shape.some((d, i) => d !== this.shape[i])) {
      if (
        v.shape.length > this.ndim ||
        v.shape.some((d, i) => d !== 1 && d !== this.shape[this.ndim - v.shape.length + i])
      ) {
        throw new TensorError(
          `${op}: the result ${formatMeta(v)} does not broadcast to the target ${formatMeta(this)}`,
        );
      }
      v = v.expand(this.shape);
    }
    dispatchMutate(this, v);
    return this;
  }
  /** Arithmetic in place keeps the target's dtype, and like torch refuses to narrow the category (float into int). */
  #arith(op: string, result: Tensor): this {
    if (dtypeRank(result.dtype) > dtypeRank(this.dtype)) {
      throw new TensorError(
        `${op}: result type ${result.dtype} can't be cast to the desired output type ${this.dtype}`,
      );
    }
    return this.#assign(result, op);
  }
  add_(other: TensorLike, alpha = 1): this {
    return this.#arith("add_", this.add(alpha === 1 ? other : ew.arith("mul", other, alpha)));
  }
  sub_(other: TensorLike): this {
    return this.#arith("sub_", this.sub(other));
  }
  mul_(other: TensorLike): this {
    return this.#arith("mul_", this.mul(other));
  }
  div_(other: TensorLike): this {
    return this.#arith("div_", this.div(other));
  }
  copy_(src: Tensor): this {
    return this.#assign(src);
  }
  fill_(value: number | boolean): this {
    return this.#assign(ew.where(true, value, this).expand(this.shape));
  }
  zero_(): this {
    return this.fill_(0);
  }

  // ---- elementwise ----
  neg(): Tensor {
    return ew.numericUnary("neg", this);
  }
  abs(): Tensor {
    return ew.numericUnary("abs", this);
  }
  sign(): Tensor {
    return ew.numericUnary("sign", this);
  }
  relu(): Tensor {
    return ew.numericUnary("relu", this);
  }
  exp(): Tensor {
    return ew.floatUnary("exp", this);
  }
  log(): Tensor {
    return ew.floatUnary("log", this);
  }
  sqrt(): Tensor {
    return ew.floatUnary("sqrt", this);
  }
  rsqrt(): Tensor {
    return ew.floatUnary("rsqrt", this);
  }
  reciprocal(): Tensor {
    return ew.floatUnary("reciprocal", this);
  }
  sin(): Tensor {
    return ew.floatUnary("sin", this);
  }
  cos(): Tensor {
    return ew.floatUnary("cos", this);
  }
  tanh(): Tensor {
    return ew.floatUnary("tanh", this);
  }
  sigmoid(): Tensor {
    return ew.floatUnary("sigmoid", this);
  }
  erf(): Tensor {
    return ew.floatUnary("erf", this);
  }
  square(): Tensor {
    return this.mul(this);
  }
  logicalNot(): Tensor {
    return ew.anyUnary("logicalNot", this);
  }
  add(other: TensorLike): Tensor {
    return ew.arith("add", this, other);
  }
  sub(other: TensorLike): Tensor {
    return ew.arith("sub", this, other);
  }
  mul(other: TensorLike): Tensor {
    return ew.arith("mul", this, other);
  }
  div(other: TensorLike): Tensor {
    return ew.div(this, other);
  }
  pow(exponent: TensorLike): Tensor {
    return ew.arith("pow", this, exponent);
  }
  maximum(other: TensorLike): Tensor {
    return ew.arith("maximum", this, other);
  }
  minimum(other: TensorLike): Tensor {
    return ew.arith("minimum", this, other);
  }
  clamp(min?: number, max?: number): Tensor {
    return ew.clamp(this, min, max);
  }
  eq(other: TensorLike): Tensor {
    return ew.compare("eq", this, other);
  }
  ne(other: TensorLike): Tensor {
    return ew.compare("ne", this, other);
  }
  lt(other: TensorLike): Tensor {
    return ew.compare("lt", this, other);
  }
  le(other: TensorLike): Tensor {
    return ew.compare("le", this, other);
  }
  gt(other: TensorLike): Tensor {
    return ew.compare("gt", this, other);
  }
  ge(other: TensorLike): Tensor {
    return ew.compare("ge", this, other);
  }
  logicalAnd(other: TensorLike): Tensor {
    return ew.logical("logicalAnd", this, other);
  }
  logicalOr(other: TensorLike): Tensor {
    return ew.logical("logicalOr", this, other);
  }
  /** torch's `x.where(condition, y)`: x where condition holds, else y. */
  where(condition: TensorLike, other: TensorLike): Tensor {
    return ew.where(condition, this, other);
  }
  to(dtype: DType): Tensor {
    return ew.cast(this, dtype);
  }
  float(): Tensor {
    return this.to("float32");
  }
  double(): Tensor {
    return this.to("float64");
  }
  int(): Tensor {
    return this.to("int32");
  }
  long(): Tensor {
    return this.to("int64");
  }
  bool(): Tensor {
    return this.to("bool");
  }

  // ---- reductions ----
  sum(options?: red.ReduceOptions): Tensor {
    return red.sum(this, options);
  }
  mean(options?: red.ReduceOptions): Tensor {
    return red.mean(this, options);
  }
  amax(options?: red.ReduceOptions): Tensor {
    return red.extreme("amax", this, options);
  }
  amin(options?: red.ReduceOptions): Tensor {
    return red.extreme("amin", this, options);
  }
  argmax(options?: { dim?: number; keepdim?: boolean }): Tensor {
    return red.argmax(this, options);
  }
  var(options?: red.ReduceOptions & { correction?: number }): Tensor {
    return red.variance(this, options);
  }
  std(options?: red.ReduceOptions & { correction?: number }): Tensor {
    return red.variance(this, options).sqrt();
  }
  softmax(dim: number): Tensor {
    return red.softmax(this, dim);
  }
  logSoftmax(dim: number): Tensor {
    return red.logSoftmax(this, dim);
  }
  logsumexp(options?: red.ReduceOptions): Tensor {
    return red.logsumexp(this, options);
  }

  // ---- layout ----
  reshape(shape: readonly number[]): Tensor {
    return sh.reshape(this, shape);
  }
  /** Like reshape; aotjs tensors never alias, so this is a copy, not a view. */
  view(shape: readonly number[]): Tensor {
    return sh.reshape(this, shape);
  }
  permute(dims: readonly number[]): Tensor {
    return sh.permute(this, dims);
  }
  transpose(dim0: number, dim1: number): Tensor {
    return sh.transpose(this, dim0, dim1);
  }
  /** Transpose of a matrix (0-d and 1-d tensors are returned as they are). */
  t(): Tensor {
    if (this.ndim > 2)
      throw new TensorError(
        `t(): expects a tensor with at most 2 dims, got ${formatMeta(this)}; use transpose(dim0, dim1)`,
      );
    return this.ndim < 2 ? this : sh.transpose(this, 0, 1);
  }
  get T(): Tensor {
    return sh.permute(
      this,
      this.shape.map((_, i) => this.ndim - 1 - i),
    );
  }
  expand(shape: readonly number[]): Tensor {
    return sh.expand(this, shape);
  }
  expandAs(other: Tensor): Tensor {
    requireTensor(other, "expandAs", "other");
    return sh.expand(this, other.shape);
  }
  unsqueeze(dim: number): Tensor {
    return sh.unsqueeze(this, dim);
  }
  squeeze(dim?: number | readonly number[]): Tensor {
    return sh.squeeze(this, dim);
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return sh.flatten(this, startDim, endDim);
  }
  slice(dim: number, start?: number, end?: number, step = 1): Tensor {
    return sh.slice(this, dim, start, end, step);
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return sh.narrow(this, dim, start, length);
  }
  select(dim: number, index: number): Tensor {
    return sh.select(this, dim, index);
  }
  split(sizes: number | readonly number[], dim = 0): Tensor[] {
    return sh.split(this, sizes, dim);
  }
  chunk(chunks: number, dim = 0): Tensor[] {
    return sh.chunk(this, chunks, dim);
  }
  gather(dim: number, index: Tensor): Tensor {
    return sh.gather(this, dim, index);
  }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return sh.scatterAdd(this, dim, index, src);
  }
  /** A copy that shares no history with in-place updates of this tensor. */
  clone(): Tensor {
    return sh.reshape(this, this.shape);
  }

  // ---- matrix ----
  matmul(other: Tensor): Tensor {
    return nn.matmul(this, other);
  }
}

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

/** Options of `Tensor.backward`. */
export interface BackwardOptions {
  readonly retainGraph?: boolean;
}

/** The engine `backward()` delegates to; `@aotjs/autograd` installs one. */
export interface AutogradEngine {
  /** Backpropagates from this tensor (a scalar unless `gradient` is given) into the `.grad` of the leaves; await it. */
  backward(tensor: Tensor, gradient: Tensor | undefined, options: BackwardOptions): Promise<void>;
}

let engine: AutogradEngine | undefined;
/** Installs (or with `undefined` removes) the engine that `backward()` delegates to; `@aotjs/autograd` calls it on import. */
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

  /** A fake tensor: metadata only, no values (what tracing runs on). */
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
  /** The number of elements: the product of the shape. */
  numel(): number {
    return numel(this.shape);
  }
  /** The shape, or with `dim` the size of that dimension (negative counts from the end), like `torch.Tensor.size`. */
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
  /** Sets `requiresGrad` in place and returns this tensor, like `torch.Tensor.requires_grad_`. */
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
  /** In place: `this += alpha * other`; keeps this tensor's dtype. */
  add_(other: TensorLike, alpha = 1): this {
    return this.#arith("add_", this.add(alpha === 1 ? other : ew.arith("mul", other, alpha)));
  }
  /** In place: `this -= other`. */
  sub_(other: TensorLike): this {
    return this.#arith("sub_", this.sub(other));
  }
  /** In place: `this *= other`. */
  mul_(other: TensorLike): this {
    return this.#arith("mul_", this.mul(other));
  }
  /** In place: `this /= other`. */
  div_(other: TensorLike): this {
    return this.#arith("div_", this.div(other));
  }
  /** In place: copies `src` (broadcast and cast to this tensor's shape and dtype) into this tensor. */
  copy_(src: Tensor): this {
    return this.#assign(src);
  }
  /** In place: sets every element to `value`. */
  fill_(value: number | boolean): this {
    return this.#assign(ew.where(true, value, this).expand(this.shape));
  }
  /** In place: sets every element to zero. */
  zero_(): this {
    return this.fill_(0);
  }

  // ---- elementwise ----
  /** Elementwise `-x`. */
  neg(): Tensor {
    return ew.numericUnary("neg", this);
  }
  /** Elementwise `|x|`. */
  abs(): Tensor {
    return ew.numericUnary("abs", this);
  }
  /** Elementwise sign: -1, 0 or 1. */
  sign(): Tensor {
    return ew.numericUnary("sign", this);
  }
  /** Elementwise `max(x, 0)`. */
  relu(): Tensor {
    return ew.numericUnary("relu", this);
  }
  /** Elementwise `e^x`. */
  exp(): Tensor {
    return ew.floatUnary("exp", this);
  }
  /** Elementwise natural logarithm. */
  log(): Tensor {
    return ew.floatUnary("log", this);
  }
  /** Elementwise square root. */
  sqrt(): Tensor {
    return ew.floatUnary("sqrt", this);
  }
  /** Elementwise `1 / sqrt(x)`. */
  rsqrt(): Tensor {
    return ew.floatUnary("rsqrt", this);
  }
  /** Elementwise `1 / x`. */
  reciprocal(): Tensor {
    return ew.floatUnary("reciprocal", this);
  }
  /** Elementwise sine. */
  sin(): Tensor {
    return ew.floatUnary("sin", this);
  }
  /** Elementwise cosine. */
  cos(): Tensor {
    return ew.floatUnary("cos", this);
  }
  /** Elementwise hyperbolic tangent. */
  tanh(): Tensor {
    return ew.floatUnary("tanh", this);
  }
  /** Elementwise logistic sigmoid `1 / (1 + e^-x)`. */
  sigmoid(): Tensor {
    return ew.floatUnary("sigmoid", this);
  }
  /** Elementwise Gauss error function. */
  erf(): Tensor {
    return ew.floatUnary("erf", this);
  }
  /** Elementwise `x * x`. */
  square(): Tensor {
    return this.mul(this);
  }
  /** Elementwise logical not; the result is bool. */
  logicalNot(): Tensor {
    return ew.anyUnary("logicalNot", this);
  }
  /** Elementwise `this + other`, with broadcasting and dtype promotion. */
  add(other: TensorLike): Tensor {
    return ew.arith("add", this, other);
  }
  /** Elementwise `this - other`, with broadcasting and dtype promotion. */
  sub(other: TensorLike): Tensor {
    return ew.arith("sub", this, other);
  }
  /** Elementwise `this * other`, with broadcasting and dtype promotion. */
  mul(other: TensorLike): Tensor {
    return ew.arith("mul", this, other);
  }
  /** Elementwise true division `this / other` (integers promote to float). */
  div(other: TensorLike): Tensor {
    return ew.div(this, other);
  }
  /** Elementwise `this ** exponent`. */
  pow(exponent: TensorLike): Tensor {
    return ew.arith("pow", this, exponent);
  }
  /** Elementwise maximum of `this` and `other`. */
  maximum(other: TensorLike): Tensor {
    return ew.arith("maximum", this, other);
  }
  /** Elementwise minimum of `this` and `other`. */
  minimum(other: TensorLike): Tensor {
    return ew.arith("minimum", this, other);
  }
  /** Elementwise clamp into `[min, max]`; either bound may be omitted. */
  clamp(min?: number, max?: number): Tensor {
    return ew.clamp(this, min, max);
  }
  /** Elementwise `this == other`; the result is bool. */
  eq(other: TensorLike): Tensor {
    return ew.compare("eq", this, other);
  }
  /** Elementwise `this != other`; the result is bool. */
  ne(other: TensorLike): Tensor {
    return ew.compare("ne", this, other);
  }
  /** Elementwise `this < other`; the result is bool. */
  lt(other: TensorLike): Tensor {
    return ew.compare("lt", this, other);
  }
  /** Elementwise `this <= other`; the result is bool. */
  le(other: TensorLike): Tensor {
    return ew.compare("le", this, other);
  }
  /** Elementwise `this > other`; the result is bool. */
  gt(other: TensorLike): Tensor {
    return ew.compare("gt", this, other);
  }
  /** Elementwise `this >= other`; the result is bool. */
  ge(other: TensorLike): Tensor {
    return ew.compare("ge", this, other);
  }
  /** Elementwise logical and; the result is bool. */
  logicalAnd(other: TensorLike): Tensor {
    return ew.logical("logicalAnd", this, other);
  }
  /** Elementwise logical or; the result is bool. */
  logicalOr(other: TensorLike): Tensor {
    return ew.logical("logicalOr", this, other);
  }
  /** torch's `x.where(condition, y)`: x where condition holds, else y. */
  where(condition: TensorLike, other: TensorLike): Tensor {
    return ew.where(condition, this, other);
  }
  /** This tensor cast to `dtype` (itself when it already has it). */
  to(dtype: DType): Tensor {
    return ew.cast(this, dtype);
  }
  /** This tensor cast to float32. */
  float(): Tensor {
    return this.to("float32");
  }
  /** This tensor cast to float64. */
  double(): Tensor {
    return this.to("float64");
  }
  /** This tensor cast to int32. */
  int(): Tensor {
    return this.to("int32");
  }
  /** This tensor cast to int64. */
  long(): Tensor {
    return this.to("int64");
  }
  /** This tensor cast to bool. */
  bool(): Tensor {
    return this.to("bool");
  }

  // ---- reductions ----
  /** Sum over `dim` (all dimensions by default). */
  sum(options?: red.ReduceOptions): Tensor {
    return red.sum(this, options);
  }
  /** Mean over `dim` (all dimensions by default). */
  mean(options?: red.ReduceOptions): Tensor {
    return red.mean(this, options);
  }
  /** Maximum over `dim` (all dimensions by default). */
  amax(options?: red.ReduceOptions): Tensor {
    return red.extreme("amax", this, options);
  }
  /** Minimum over `dim` (all dimensions by default). */
  amin(options?: red.ReduceOptions): Tensor {
    return red.extreme("amin", this, options);
  }
  /** Index of the maximum over `dim` (of the flattened tensor by default); int64. */
  argmax(options?: { dim?: number; keepdim?: boolean }): Tensor {
    return red.argmax(this, options);
  }
  /** Variance over `dim`, with Bessel's `correction` (default 1, like torch). */
  var(options?: red.ReduceOptions & { correction?: number }): Tensor {
    return red.variance(this, options);
  }
  /** Standard deviation over `dim`, with Bessel's `correction` (default 1, like torch). */
  std(options?: red.ReduceOptions & { correction?: number }): Tensor {
    return red.variance(this, options).sqrt();
  }
  /** Softmax along `dim`. */
  softmax(dim: number): Tensor {
    return red.softmax(this, dim);
  }
  /** Log of the softmax along `dim`, computed stably. */
  logSoftmax(dim: number): Tensor {
    return red.logSoftmax(this, dim);
  }
  /** `log(sum(exp(x)))` over `dim`, computed stably. */
  logsumexp(options?: red.ReduceOptions): Tensor {
    return red.logsumexp(this, options);
  }

  // ---- layout ----
  /** The same elements in a new shape; one entry may be -1. */
  reshape(shape: readonly number[]): Tensor {
    return sh.reshape(this, shape);
  }
  /** Like reshape; aotjs tensors never alias, so this is a copy, not a view. */
  view(shape: readonly number[]): Tensor {
    return sh.reshape(this, shape);
  }
  /** The dimensions reordered by `dims`. */
  permute(dims: readonly number[]): Tensor {
    return sh.permute(this, dims);
  }
  /** Dimensions `dim0` and `dim1` swapped. */
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
  /** A broadcast view to `shape` (size-1 dimensions repeat; -1 keeps a size). */
  expand(shape: readonly number[]): Tensor {
    return sh.expand(this, shape);
  }
  /** This tensor broadcast to `other`'s shape. */
  expandAs(other: Tensor): Tensor {
    requireTensor(other, "expandAs", "other");
    return sh.expand(this, other.shape);
  }
  /** A new size-1 dimension inserted at `dim`. */
  unsqueeze(dim: number): Tensor {
    return sh.unsqueeze(this, dim);
  }
  /** Size-1 dimensions removed (all, or only those in `dim`). */
  squeeze(dim?: number | readonly number[]): Tensor {
    return sh.squeeze(this, dim);
  }
  /** Dimensions `startDim..endDim` merged into one. */
  flatten(startDim = 0, endDim = -1): Tensor {
    return sh.flatten(this, startDim, endDim);
  }
  /** Elements `start..end` (exclusive) with `step` along `dim`, like `x[start:end:step]`. */
  slice(dim: number, start?: number, end?: number, step = 1): Tensor {
    return sh.slice(this, dim, start, end, step);
  }
  /** `length` elements from `start` along `dim`. */
  narrow(dim: number, start: number, length: number): Tensor {
    return sh.narrow(this, dim, start, length);
  }
  /** The slice at `index` along `dim`, with that dimension removed. */
  select(dim: number, index: number): Tensor {
    return sh.select(this, dim, index);
  }
  /** Pieces along `dim`: of `sizes` each (the last may be smaller), or of the listed sizes. */
  split(sizes: number | readonly number[], dim = 0): Tensor[] {
    return sh.split(this, sizes, dim);
  }
  /** `chunks` nearly equal pieces along `dim`. */
  chunk(chunks: number, dim = 0): Tensor[] {
    return sh.chunk(this, chunks, dim);
  }
  /** Values picked along `dim` at `index`, like `torch.gather`. */
  gather(dim: number, index: Tensor): Tensor {
    return sh.gather(this, dim, index);
  }
  /** A copy with `src` added at `index` along `dim`, like `torch.scatter_add`. */
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return sh.scatterAdd(this, dim, index, src);
  }
  /** A copy that shares no history with in-place updates of this tensor. */
  clone(): Tensor {
    return sh.reshape(this, this.shape);
  }

  // ---- matrix ----
  /** Matrix product with NumPy-style batching and broadcasting, like `torch.matmul`. */
  matmul(other: Tensor): Tensor {
    return nn.matmul(this, other);
  }
}

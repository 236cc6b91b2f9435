import { type AnyNode, describeNode, type TensorMeta, type Value } from "@aotjs/ir";
import { create } from "@bufbuild/protobuf";
import {
  GraphProtoSchema,
  type NodeProto,
  NodeProtoSchema,
  type TensorProto,
  ValueInfoProtoSchema,
} from "onnx-buf";
import { OnnxBackendError } from "./errors.js";
import type { SymbolicSizes } from "./lower/symbolic-shape.js";
import { type Attr, attribute, type OnnxType, tensorProto, tensorType, typedArrayOf } from "./proto.js";

/** FNV-1a over a constant's bytes, 32 bits: a key for `staticConstant`, which compares in full. */
function contentHash(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return `${bytes.length}#${(h >>> 0).toString(16)}`;
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/** What makes two ONNX nodes compute the same thing: op type, inputs, attributes, output count. */
function nodeKey(
  domain: string,
  opType: string,
  inputs: readonly string[],
  attrs: Record<string, Attr>,
  outputs: number,
): string {
  const value = JSON.stringify(attrs, (_, v) =>
    typeof v === "bigint" ? `${v}n` : v instanceof Uint8Array ? Array.from(v) : v,
  );
  return `${domain}:${opType}(${inputs.join(",")})${value}#${outputs}`;
}

/**
 * A check that a lowering asks the runtime to make: `flag` names a bool scalar that is true when
 * the node's input was bad (an integer division by zero, say). The reference kernels throw in
 * those cases; ONNX has no way to throw, so `onnxCompiler` fetches every flag and raises the
 * error itself, naming the node. Exported models compute the same guarded values without flags.
 */
export interface RuntimeCheck {
  readonly node: AnyNode;
  readonly flag: string;
  readonly message: string;
}

/**
 * Which formulation a lowering with several uses, per op; "auto" (the default) picks per node
 * from its shapes, by rules measured on ORT's CPU kernels (see the README's Performance section).
 */
export interface Formulations {
  /** "conv": one Conv with g as the kernel; "gemm": im2col + one MatMul; "batchedGemm": im2col + a MatMul per sample. */
  readonly conv2dBackwardWeight?: "auto" | "conv" | "gemm" | "batchedGemm";
  /** "convTranspose": ConvTranspose; "conv": Conv with the flipped weight, one per stride phase. */
  readonly conv2dBackwardInput?: "auto" | "convTranspose" | "conv";
  /** "scatter": MaxPool's Indices + ScatterElements; "masks": per-tap equality masks. */
  readonly maxPool2dBackward?: "auto" | "scatter" | "masks";
}

/**
 * What a lowering writes into: ONNX nodes, constant initializers and runtime checks. A lowering
 * gets one IR node and the ONNX names of its inputs, and returns the name of its result; the
 * driver renames that to the IR node's name, so values keep their graph names.
 */
export class LoweringContext {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly checks: RuntimeCheck[] = [];
  /**
   * matmul nodes whose only reader is a permute swapping the last two dims: the permute lowers to
   * (a @ b)^T = b^T @ a^T, which ORT fuses into one FusedMatMul with transposed operands, and the
   * matmul's own value is never materialized. Maps each such permute to its matmul.
   */
  readonly transposedMatmuls = new Map<AnyNode, AnyNode>();
  /**
   * gather/scatterAdd nodes whose index is an `expand` of one index per slice along `dim` (an
   * embedding's rows): they lower to ONNX Gather / ScatterND over whole slices, reading the
   * unexpanded index (this map's value, an ONNX name) instead of one index per element.
   */
  readonly sliceIndexed = new Map<AnyNode, Value>();
  /**
   * IR values whose lowering returned another node's output (a shared node, see `opMulti`): the
   * ONNX name they go by. Only graph outputs get an Identity under their own name.
   */
  readonly aliases = new Map<string, string>();
  /** Operator domains besides ai.onnx that emitted nodes belong to (see `opIn`). */
  readonly domains = new Set<string>();
  readonly #names: Set<string>;
  readonly #constants = new Map<string, { readonly name: string; readonly bytes: Uint8Array }>();
  /** Emitted nodes by op type, inputs and attributes (see `opMulti`). */
  #emitted = new Map<string, readonly string[]>();
  /** Where `opMulti` puts nodes: `nodes`, or a branch's own list while `branch` builds it. */
  #sink: NodeProto[] = this.nodes;
  #node: AnyNode | undefined;
  #step = 0;
  /** Set when lowering a symbolic graph: constants derived from sizes become runtime values. */
  symbolic: SymbolicSizes | undefined;

  constructor(
    readonly opset: number,
    /** Every name already taken (graph inputs and node results), so helper names never collide. */
    taken: Iterable<string>,
    /** Whether to materialize runtime checks (onnxCompiler does; a plain export does not). */
    readonly runtimeChecks: boolean,
    readonly formulations: Formulations = {},
    /** ORT's NCHWc channel block for convs (`OnnxModelOptions.nchwcBlock`); 0 for standard ops only. */
    readonly nchwcBlock = 0,
  ) {
    this.#names = new Set(taken);
  }

  /** The IR node being lowered: helper names, node names and errors refer to it. */
  get node(): AnyNode {
    if (!this.#node) throw new OnnxBackendError("internal: no node is being lowered");
    return this.#node;
  }

  /** The name the current node's result must end up with. */
  get out(): string {
    return this.node.name;
  }

  begin(node: AnyNode): void {
    this.#node = node;
    this.#step = 0;
  }

  /** A name no other value uses: `<node>__<hint>`, with a counter on a clash. */
  fresh(hint: string): string {
    return this.unique(`${this.node.name}__${hint}`);
  }

  /** `base`, or `base_1`, `base_2`, ... whichever is free; the name is then taken. */
  unique(base: string): string {
    let name = base;
    for (let i = 1; this.#names.has(name); i++) name = `${base}_${i}`;
    this.#names.add(name);
    return name;
  }

  /**
   * Emit one ONNX node; returns its first output's name. `out` names the output (default: a fresh
   * helper name). ONNX node names are the IR node's name for its final node and `<node>/<k>` for
   * helpers, so an ORT error message points back at the IR node.
   */
  op(opType: string, inputs: readonly string[], attrs: Record<string, Attr> = {}, out?: string): string {
    return this.#single("", opType, inputs, attrs, out);
  }

  /**
   * `op` for an operator of another domain than ai.onnx (ORT's `com.microsoft.nchwc` kernels);
   * the model imports each domain used, at version 1.
   */
  opIn(
    domain: string,
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, Attr> = {},
    out?: string,
  ): string {
    this.domains.add(domain);
    return this.#single(domain, opType, inputs, attrs, out);
  }

  #single(
    domain: string,
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, Attr>,
    out?: string,
  ) {
    const shared = this.#emitted.get(nodeKey(domain, opType, inputs, attrs, 1));
    if (shared) return shared[0]!;
    return this.opMulti(opType, inputs, attrs, [out ?? this.fresh(opType.toLowerCase())], domain)[0]!;
  }

  /** Emit a node with several outputs, named by `outs` ("" leaves an optional output out). */
  opMulti(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, Attr>,
    outs: readonly string[],
    domain = "",
  ): string[] {
    // Every ONNX op this backend emits is a pure function of its inputs and attributes, so a node
    // equal to one already emitted (a composite's statistics and the graph's own mean of the same
    // tensor) is not emitted again: its outputs are the earlier node's. ORT's own CSE skips
    // nodes that produce graph outputs, which saved statistics are.
    const key = nodeKey(domain, opType, inputs, attrs, outs.length);
    const shared = this.#emitted.get(key);
    if (shared) return [...shared];
    if (opType !== "Identity") this.#emitted.set(key, outs);
    const node = this.node;
    const name = outs[0] === node.name ? node.name : `${node.name}/${this.#step++}`;
    this.#sink.push(
      create(NodeProtoSchema, {
        name,
        opType,
        ...(domain ? { domain } : {}),
        input: [...inputs],
        output: [...outs],
        attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
        docString: node.op,
      }),
    );
    return [...outs];
  }

  /**
   * An ONNX If: `whenTrue` or `whenFalse` runs, as `cond` (a bool scalar) says, and gives the
   * result, a tensor of `dtype`. Each builder emits its nodes into its own subgraph (they may read
   * any value emitted so far) and returns the name of its result. Nodes a branch emits are not
   * shared with later nodes outside it.
   */
  branch(
    cond: string,
    dtype: OnnxType,
    whenTrue: () => string,
    whenFalse: () => string,
    out?: string,
  ): string {
    const graph = (label: string, build: () => string) => {
      const [sink, emitted] = [this.#sink, this.#emitted];
      const restoreSizes = this.symbolic?.scope();
      this.#sink = [];
      this.#emitted = new Map(emitted);
      try {
        let result = build();
        // A subgraph's output must be computed inside it, not be a value it reads.
        if (!this.#sink.some((n) => n.output.includes(result))) {
          result = this.opMulti("Identity", [result], {}, [this.fresh(`${label}_result`)])[0]!;
        }
        return create(GraphProtoSchema, {
          name: this.fresh(label),
          node: this.#sink,
          output: [create(ValueInfoProtoSchema, { name: result, type: tensorType(dtype, undefined) })],
        });
      } finally {
        [this.#sink, this.#emitted] = [sink, emitted];
        restoreSizes?.();
      }
    };
    const thenBranch = graph("then", whenTrue);
    const elseBranch = graph("else", whenFalse);
    return this.opMulti(
      "If",
      [cond],
      { then_branch: { graph: thenBranch }, else_branch: { graph: elseBranch } },
      [out ?? this.fresh("if")],
    )[0]!;
  }

  /** A node outside any IR node (the Identity an output may need). */
  bareNode(opType: string, inputs: readonly string[], outputs: readonly string[], name: string): NodeProto {
    return create(NodeProtoSchema, { name, opType, input: [...inputs], output: [...outputs] });
  }

  /**
   * An initializer holding `values` (converted as `cast` converts). Equal constants are shared, so
   * the scalar 1 a hundred nodes use is stored once.
   */
  constant(dtype: OnnxType, shape: readonly number[], values: ArrayLike<number | bigint>): string {
    return this.symbolic?.constant(this, dtype, shape, values) ?? this.staticConstant(dtype, shape, values);
  }

  /** An initializer even in a symbolic graph: for values known not to depend on the symbols. */
  staticConstant(dtype: OnnxType, shape: readonly number[], values: ArrayLike<number | bigint>): string {
    // A Float32Array (the one-hot im2col kernels, up to 166 KB each) is copied as it is: through
    // a JS array and back, resnet18's took 70 ms of a 210 ms lowering.
    const data =
      dtype === "float32" && values instanceof Float32Array
        ? values.slice()
        : typedArrayOf(dtype, Array.from(values));
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    // Equal constants are stored once: a small one is keyed by its bytes, a large one by a hash
    // of them and compared in full (every conv weight gradient of one geometry has the same
    // one-hot kernels).
    const key = `${dtype}[${shape}]:${bytes.length <= 256 ? bytes.join(",") : contentHash(bytes)}`;
    const hit = this.#constants.get(key);
    if (hit && (bytes.length <= 256 || sameBytes(hit.bytes, bytes))) return hit.name;
    const name = this.fresh(`const${shape.length === 0 ? "" : `_${shape.join("x")}`}`);
    this.initializers.push(tensorProto(name, dtype, shape, data));
    if (!hit) this.#constants.set(key, { name, bytes });
    return name;
  }

  /** An unnamed TensorProto, for attributes (ConstantOfShape's `value`). */
  tensorProto(dtype: OnnxType, shape: readonly number[], values: ArrayLike<number | bigint>): TensorProto {
    this.symbolic?.checkTensorAttribute(this, shape, values);
    return tensorProto("", dtype, shape, typedArrayOf(dtype, Array.from(values)));
  }

  scalar(dtype: OnnxType, value: number | bigint): string {
    return this.constant(dtype, [], [value]);
  }

  /** A 1-D int64 constant: shapes, axes, pads, starts and ends. */
  ints(values: readonly number[]): string {
    return this.constant("int64", [values.length], values);
  }

  /**
   * Register a runtime check (see `RuntimeCheck`). `condition` emits a bool tensor of any shape that
   * is true where the input is bad; it is only called when checks are on, so exports stay lean.
   */
  check(condition: () => string, message: string): void {
    if (!this.runtimeChecks) return;
    const asInt = this.op("Cast", [condition()], { to: { int: 6 } });
    const any = this.reduce("ReduceMax", asInt, null, false);
    const flag = this.op("Greater", [any, this.scalar("int32", 0)], {}, this.fresh("check"));
    this.checks.push({ node: this.node, flag, message });
  }

  /**
   * A reduction over `axes` (null: all). Opset 18 moved the axes of every Reduce* op but ReduceSum
   * (moved at 13) from an attribute to an input; this hides the difference.
   */
  reduce(opType: string, x: string, axes: readonly number[] | null, keepdims: boolean, out?: string): string {
    const inputAxes = opType === "ReduceSum" || this.opset >= 18;
    const attrs: Record<string, Attr> = { keepdims: { int: keepdims ? 1 : 0 } };
    if (axes !== null && !inputAxes) attrs.axes = { ints: axes };
    const inputs = axes !== null && inputAxes ? [x, this.ints(axes)] : [x];
    return this.op(opType, inputs, attrs, out);
  }

  /** Throw a lowering error naming the current op, node and shapes. */
  fail(message: string): never {
    throw new OnnxBackendError(`cannot lower ${describeNode(this.node)} to ONNX: ${message}`);
  }

  /** The ONNX name of an IR value already lowered. */
  nameOf(v: Value): string {
    return this.aliases.get(v.name) ?? v.name;
  }

  metaOf(index: number): TensorMeta {
    return this.node.inputs[index]!.meta;
  }
}

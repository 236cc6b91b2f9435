import {
  type AnyNode,
  broadcastShapes,
  describeNode,
  dimToJSON,
  formatMeta,
  type Graph,
  messageOf,
  type Node,
  sameMeta,
  type TensorData,
  type TensorMeta,
  type Value,
} from "@aotjs/ir";
import { create, toBinary } from "@bufbuild/protobuf";
import {
  GraphProtoSchema,
  type ModelProto,
  ModelProtoSchema,
  OperatorSetIdProtoSchema,
  StringStringEntryProtoSchema,
} from "onnx-buf";
import pkg from "../package.json" with { type: "json" };
import { type Formulations, LoweringContext, type RuntimeCheck } from "./context.js";
import { OnnxBackendError } from "./errors.js";
import { lowerings, MIN_OPSET_FOR_RANDOM } from "./lower/index.js";
import { binaryLowerings } from "./lower/pointwise.js";
import { NotSymbolicError, type SizeLimit, SymbolicSizes } from "./lower/symbolic-shape.js";
import { sameShape } from "./lower/types.js";
import { tensorDataProto, valueInfo } from "./proto.js";
import { sha256 } from "./sha256.js";

/** The aotjs version recorded in every model's metadata (this package's version). */
export const AOTJS_VERSION: string = pkg.version;

/** The ONNX opset models are written for unless `opset` says otherwise (17: what Debian's onnx checker knows). */
export const DEFAULT_OPSET = 17;
/** The opsets the lowering is written and tested for, and the IR version each is paired with. */
const IR_VERSION_FOR_OPSET: Readonly<Record<number, number>> = { 17: 8, 18: 8, 19: 9, 20: 9, 21: 10, 22: 10 };
/** The opsets `opset` may name. */
export const SUPPORTED_OPSETS: readonly number[] = Object.keys(IR_VERSION_FOR_OPSET).map(Number);

/** How a graph becomes an ONNX model: opset, initializers, runtime checks, formulations, metadata. */
export interface OnnxModelOptions {
  /**
   * The ai.onnx opset, 17 to 22. Default 17 (IR version 8), which onnxruntime-web, older runtimes
   * and the ONNX 1.12 checker all load. A graph with random ops (`uniform`, `bernoulli`) needs
   * opset 18 for BitwiseXor: by default it gets 18; an explicit 17 is an error naming the node.
   */
  readonly opset?: number;
  /** Graph inputs to store in the model as initializers (by input name): captured constants, frozen weights. */
  readonly initializers?: Readonly<Record<string, TensorData>>;
  /**
   * Add one bool output per run-time check (integer division by zero, float-to-int overflow,
   * out-of-range indices, RNG counters), after the graph's own outputs. `onnxCompiler` turns a
   * raised flag into an error naming the node, as the reference kernels throw. Default false:
   * an exported model has exactly the graph's outputs and computes guarded values instead.
   */
  readonly runtimeChecks?: boolean;
  /**
   * Leave graph outputs that are graph inputs (a forward graph's saved primals, often every
   * weight) out of the ONNX outputs: `onnxCompiler` hands the caller's own input back instead of
   * a copy through ORT. Default false: an exported model has every output. See `passThrough`.
   */
  readonly omitPassThroughOutputs?: boolean;
  /**
   * Force a formulation for the ops that have several (conv2dBackwardWeight, conv2dBackwardInput,
   * maxPool2dBackward). Default "auto" for each: chosen per node from its shapes, by rules
   * measured on ORT's CPU kernels. All formulations compute the same values.
   */
  readonly formulations?: Formulations;
  /**
   * Run the convolutions that measured faster so on ORT's NCHWc kernels (the
   * `com.microsoft.nchwc` domain of onnxruntime's CPU provider), which block channels in groups
   * of this size: ORT's `MlasNchwcGetBlockSize()`, 16 with AVX-512, 8 with AVX2. `onnxCompiler`
   * from `@aotjs/backend-onnx/node` asks ORT for it (see its `nchwc` option). Default 0: standard
   * ONNX only, as an exported model or another runtime needs.
   */
  readonly nchwcBlock?: number;
  /** Extra metadata_props entries. */
  readonly metadata?: Readonly<Record<string, string>>;
  readonly docString?: string;
  /**
   * For a symbolic graph (`graph.symbolic`): write its symbolic dims as ONNX `dim_param`s and
   * compute every size that depends on a symbol at run time, so one model runs at every size the
   * guards allow. Throws `NotSymbolicError` where a lowering needs a size as a static number.
   * Default false: the model is the graph at its hints. No effect on a static graph.
   */
  readonly symbolic?: boolean;
  /**
   * With `symbolic`: make the lowerings that pick a method by a size (a float sum of at most
   * LONG_SUM values is one ReduceSum, a longer one is blocked and finished in float64) choose at
   * the hints, as a static model would, and list in `sizeLimits` the sizes those choices hold for.
   * Whoever runs the model must check them; `onnxCompiler` does. Default false: every choice holds
   * at every size (a symbolic float sum is always blocked), as an exported model needs.
   */
  readonly nearHints?: boolean;
}

/** A lowered graph: the ModelProto and how its inputs and outputs map to the graph's. */
export interface LoweredModel {
  readonly model: ModelProto;
  readonly opset: number;
  readonly irVersion: number;
  /** ONNX input names in order: the graph's inputs that did not become initializers. */
  readonly inputNames: readonly string[];
  /**
   * ONNX output names, one per graph output in order; usually the graph's names (see `lowerGraph`).
   * Undefined for an output left out with `omitPassThroughOutputs`.
   */
  readonly outputNames: readonly (string | undefined)[];
  /** For each graph output, the index of the graph input it is (when it is one), else undefined. */
  readonly passThrough: readonly (number | undefined)[];
  readonly checks: readonly RuntimeCheck[];
  /** sha256 of the graph's JSON form: what metadata_props records as `aotjs.graph_sha256`. */
  readonly graphHash: string;
  /** True when the model takes every size of a symbolic graph (see `OnnxModelOptions.symbolic`). */
  readonly symbolic: boolean;
  /** With `nearHints`: the sizes the model was specialized for (empty: it serves every size). */
  readonly sizeLimits: readonly SizeLimit[];
}

const RANDOM_OPS = new Set(["uniform", "bernoulli"]);

/** dims = [0, 1, ..., r-3, r-1, r-2]: a transpose of the last two dims only. */
const swapsLastTwo = (dims: readonly number[]) =>
  dims.length >= 2 &&
  dims.every((d, i) => d === (i < dims.length - 2 ? i : i === dims.length - 2 ? i + 1 : i - 1));

/** Ops whose ONNX lowering broadcasts its inputs numpy-style and reads nothing but their dtypes. */
const BROADCASTING = new Set<string>(Object.keys(binaryLowerings));

/**
 * Expands that need not run: every reader is a broadcasting pointwise op (a sum's gradient,
 * expanded, then multiplied by a full-size tensor), and broadcasting the expand's input instead
 * gives that reader the same result shape, so the same values: broadcasting x to S and then
 * against the other operands reads the same elements as broadcasting x against them directly.
 * Maps each such expand's result to the value its readers get instead. Decided in graph order,
 * each check seeing the expands already dropped, so a reader of two is checked with both.
 */
function droppedExpands(
  graph: Graph,
  outputs: ReadonlySet<Value>,
  sliceIndexed: ReadonlyMap<AnyNode, unknown>,
): Map<Value, Value> {
  const replaced = new Map<Value, Value>();
  for (const node of graph.nodes) {
    if (node.op !== "expand" || outputs.has(node.output)) continue;
    const users = graph.users(node.output);
    const source = node.inputs[0]!;
    const keepsShape = (user: Node) => {
      if (sliceIndexed.has(user as AnyNode) && user.inputs.indexOf(node.output) === 1) return true;
      if (!BROADCASTING.has(user.op)) return false;
      const fed = user.inputs.map((v) => (v === node.output ? source : (replaced.get(v) ?? v)).meta.shape);
      return sameShape(broadcastShapes(...fed), user.meta.shape);
    };
    if (users.length > 0 && users.every(keepsShape)) replaced.set(node.output, source);
  }
  return replaced;
}

/**
 * Reshapes that need not run, each mapped to the value its readers get instead: a reshape to the
 * shape its input already has, and one read only by reshapes (row-major order is the same either
 * way, so they reshape its input). ORT runs every Reshape as a kernel of a few microseconds:
 * gptMini's trainStep had 39 of the first kind and 27 of the second among its 153.
 */
function droppedReshapes(graph: Graph, outputs: ReadonlySet<Value>): Map<Node, Value> {
  const dropped = new Map<Node, Value>();
  for (const node of graph.nodes) {
    if (node.op !== "reshape" || outputs.has(node.output)) continue;
    const input = node.inputs[0]!;
    const source = (input.producer && dropped.get(input.producer)) ?? input;
    const users = graph.users(node.output);
    const readByReshapes = users.length > 0 && users.every((u) => u.op === "reshape");
    if (readByReshapes || sameShape(source.meta.shape, node.meta.shape)) dropped.set(node, source);
  }
  return dropped;
}

/**
 * gather (any dim) and scatterAdd (dim 0) whose index is `expand(i)`, with `i` of size 1 on every
 * dim but `dim` and the index as large as x on those dims: every slice along `dim` takes one
 * index, so ONNX's slice-wise Gather / ScatterND do it from `i` (an embedding and its gradient:
 * one row per token instead of one index per element, and a check over the tokens only).
 */
function sliceIndexedNodes(graph: Graph): Map<AnyNode, Value> {
  const found = new Map<AnyNode, Value>();
  for (const node of graph.nodes) {
    if (node.op !== "gather" && node.op !== "scatterAdd") continue;
    const { dim } = node.attrs;
    if (node.op === "scatterAdd" && dim !== 0) continue;
    const [x, index] = node.inputs as [Value, Value];
    const expand = index.producer;
    if (expand?.op !== "expand") continue;
    const i = expand.inputs[0]!;
    const is = i.meta.shape;
    const xs = x.meta.shape;
    const ok =
      is.length === xs.length &&
      is.every((d, k) => (k === dim ? d === index.meta.shape[k] : d === 1)) &&
      index.meta.shape.every((d, k) => k === dim || d === xs[k]);
    if (ok) found.set(node, i);
  }
  return found;
}

function chooseOpset(graph: Graph, requested: number | undefined): number {
  const random = graph.nodes.find((n) => RANDOM_OPS.has(n.op));
  if (requested !== undefined && !SUPPORTED_OPSETS.includes(requested)) {
    throw new OnnxBackendError(
      `graph '${graph.name}': opset ${requested} is not supported (supported: ${SUPPORTED_OPSETS.join(", ")})`,
    );
  }
  if (random && requested !== undefined && requested < MIN_OPSET_FOR_RANDOM) {
    throw new OnnxBackendError(
      `cannot lower ${describeNode(random)} at opset ${requested}: the random generator needs BitwiseXor ` +
        `(opset ${MIN_OPSET_FOR_RANDOM}); leave the opset unset or pass ${MIN_OPSET_FOR_RANDOM} or higher`,
    );
  }
  return Math.max(requested ?? DEFAULT_OPSET, random ? MIN_OPSET_FOR_RANDOM : 0);
}

/** Every node of `graph` lowered into a new context (see `lowerGraph`). */
function lowerNodes(graph: Graph, opset: number, options: OnnxModelOptions, sizes?: SymbolicSizes) {
  const ctx = new LoweringContext(
    opset,
    graph.values.map((v) => v.name),
    options.runtimeChecks ?? false,
    options.formulations,
    options.nchwcBlock ?? 0,
  );
  ctx.symbolic = sizes;
  const outputSet = new Set(graph.outputs);
  for (const node of graph.nodes) {
    const producer = node.inputs[0]?.producer;
    if (
      node.op === "permute" &&
      swapsLastTwo(node.attrs.dims) &&
      producer?.op === "matmul" &&
      graph.users(producer.output).length === 1 &&
      !outputSet.has(producer.output)
    ) {
      ctx.transposedMatmuls.set(node, producer as AnyNode);
    }
  }
  const sliced = sliceIndexedNodes(graph);
  const expands = droppedExpands(graph, outputSet, sliced);
  for (const [node, index] of sliced) ctx.sliceIndexed.set(node, index);
  // Matmuls folded into a permute are never read by name; dropped expands and reshapes become
  // aliases of the value their readers get instead, which `ctx.nameOf` resolves for every lowering.
  const elided = new Set(ctx.transposedMatmuls.values());
  const dropped = new Map<Node, Value>([
    ...[...expands].map(([v, source]) => [v.producer!, source] as const),
    ...droppedReshapes(graph, outputSet),
  ]);
  for (const node of graph.nodes) {
    if (elided.has(node)) continue;
    const source = dropped.get(node);
    if (source) {
      ctx.aliases.set(node.name, ctx.nameOf(source));
      continue;
    }
    ctx.begin(node);
    let result: string;
    try {
      result = (lowerings[node.op] as (c: LoweringContext, n: typeof node, i: string[]) => string)(
        ctx,
        node,
        node.inputs.map((v) => ctx.nameOf(v)),
      );
    } catch (e) {
      if (e instanceof OnnxBackendError) throw e;
      throw new OnnxBackendError(`cannot lower ${describeNode(node)} to ONNX: ${messageOf(e)}`, { cause: e });
    }
    if (result === node.name) continue;
    if (outputSet.has(node.output)) ctx.op("Identity", [result], {}, node.name);
    else ctx.aliases.set(node.name, result);
  }

  return { ctx, elided, outputSet };
}

/**
 * Lower every node of `graph` to ONNX (the ai.onnx domain, and ORT's NCHWc kernels with `nchwcBlock`) and assemble a ModelProto.
 * Values keep their graph names: inputs, node results and outputs are named as in the graph, and
 * helper values are `<node>__<what>`. An output that is a graph input, an initializer or repeats
 * an earlier output goes through an Identity named `<name>__out<i>` (ONNX outputs are distinct
 * node results).
 */
export function lowerGraph(symbolicGraph: Graph, options: OnnxModelOptions = {}): LoweredModel {
  const frozenNames = new Set(Object.keys(options.initializers ?? {}));
  const sizes =
    options.symbolic && symbolicGraph.symbolic
      ? new SymbolicSizes(
          symbolicGraph,
          new Set(symbolicGraph.inputs.filter((v) => !frozenNames.has(v.name)).map((v) => v.name)),
          options.nearHints,
        )
      : undefined;
  // A symbolic graph is lowered at its marker sizes; its model's types come from its symbolic dims.
  const graph = sizes?.graph ?? symbolicGraph;
  const symbolicDims = symbolicGraph.symbolic?.shapes;
  const info = (name: string, meta: TensorMeta, of = name) => {
    const dims = sizes && symbolicDims?.[of];
    return dims ? valueInfo(name, meta, dims.map(dimToJSON)) : valueInfo(name, meta);
  };
  if (graph.outputs.length === 0)
    throw new OnnxBackendError(`graph '${graph.name}' has no outputs; an ONNX model needs at least one`);
  const opset = chooseOpset(graph, options.opset);
  const irVersion = IR_VERSION_FOR_OPSET[opset]!;
  // A Map, not the options object: an initializer may be named `__proto__`.
  const frozen = new Map(Object.entries(options.initializers ?? {}));
  for (const [name, t] of frozen) {
    const input = graph.inputs.find((v) => v.name === name);
    if (!input)
      throw new OnnxBackendError(`graph '${graph.name}' has no input '${name}' to turn into an initializer`);
    if (sizes && symbolicDims?.[name])
      throw new NotSymbolicError(`graph '${graph.name}': initializer '${name}' has a symbolic shape`);
    if (!sameMeta(symbolicGraph.inputs.find((v) => v.name === name)!.meta, t)) {
      throw new OnnxBackendError(
        `initializer for input '${name}' is ${formatMeta(t)}, the graph says ${formatMeta(input.meta)}`,
      );
    }
  }
  // Lowered once at each marker set: the first records every constant, the second compares.
  if (sizes) sizes.recorded(lowerNodes(sizes.twin, opset, options, sizes).ctx.nodes);
  const { ctx, elided } = lowerNodes(graph, opset, options, sizes);
  sizes?.checkAttributes(ctx.nodes);

  const inputNames = graph.inputs.filter((v) => !frozen.has(v.name)).map((v) => v.name);
  const passThrough = graph.outputs.map((v) => {
    const k = graph.inputs.indexOf(v);
    return k >= 0 && !frozen.has(v.name) ? k : undefined;
  });
  // Omit pass-through outputs only while some ONNX output remains (a model needs one).
  const omit =
    (options.omitPassThroughOutputs ?? false) &&
    (ctx.checks.length > 0 || passThrough.some((k) => k === undefined));
  const seen = new Set<string>();
  const outputNames = graph.outputs.map((v, i) => {
    if (omit && passThrough[i] !== undefined) return undefined;
    // onnxruntime's JS API collects outputs in plain objects, where `__proto__` is no key.
    const direct = v.producer !== undefined && !seen.has(v.name) && v.name !== "__proto__";
    seen.add(v.name);
    if (direct) return v.name;
    const renamed = ctx.unique(`${v.name}__out${i}`);
    ctx.nodes.push(ctx.bareNode("Identity", [v.name], [renamed], renamed));
    return renamed;
  });

  const graphJson = JSON.stringify(symbolicGraph.toJSON());
  const graphHash = sha256(graphJson);
  const outputs = graph.outputs.flatMap((v, i) =>
    outputNames[i] === undefined ? [] : [info(outputNames[i]!, v.meta, v.name)],
  );
  const checkOutputs = ctx.checks.map((c) => valueInfo(c.flag, { shape: [], dtype: "bool" }));
  const outputNameSet = new Set(outputNames);
  const model = create(ModelProtoSchema, {
    irVersion: BigInt(irVersion),
    opsetImport: [
      create(OperatorSetIdProtoSchema, { domain: "", version: BigInt(opset) }),
      ...[...ctx.domains].map((domain) => create(OperatorSetIdProtoSchema, { domain, version: 1n })),
    ],
    producerName: "aotjs",
    producerVersion: AOTJS_VERSION,
    docString: options.docString ?? `aotjs graph '${graph.name}'`,
    graph: create(GraphProtoSchema, {
      name: graph.name,
      node: ctx.nodes,
      initializer: [...[...frozen].map(([name, t]) => tensorDataProto(name, t)), ...ctx.initializers],
      input: graph.inputs.filter((v) => !frozen.has(v.name)).map((v) => info(v.name, v.meta)),
      output: [...outputs, ...checkOutputs],
      // Every IR value's meta, so a reader (and the checker's shape inference) sees the graph's types.
      valueInfo: graph.nodes
        .filter((n) => !outputNameSet.has(n.name) && !elided.has(n) && !ctx.aliases.has(n.name))
        .map((n) => info(n.name, n.meta)),
    }),
    metadataProps: Object.entries({
      "aotjs.version": AOTJS_VERSION,
      "aotjs.graph_name": graph.name,
      "aotjs.graph_sha256": graphHash,
      "aotjs.graph_format": "aotjs.graph/1",
      ...options.metadata,
    }).map(([key, value]) => create(StringStringEntryProtoSchema, { key, value })),
  });
  return {
    model,
    opset,
    irVersion,
    inputNames,
    outputNames,
    passThrough,
    checks: ctx.checks,
    graphHash,
    symbolic: sizes !== undefined,
    sizeLimits: sizes?.limits ?? [],
  };
}

/** The serialized ModelProto of `graph` (see `lowerGraph` and `OnnxModelOptions`). */
export function toOnnxModel(graph: Graph, options: OnnxModelOptions = {}): Uint8Array {
  return toBinary(ModelProtoSchema, lowerGraph(graph, options).model);
}

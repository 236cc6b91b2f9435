// A backend a third party could publish: plain JavaScript, importing @aotjs/ir alone. It runs the
// pointwise ops (and `full`) on float32 and bool tensors, with broadcasting. Every other op (matmul, the
// reductions, layout) and dtype is left to aotjs's reference fallback, which splits each graph and
// hands this backend only the pieces it declares it can run.
import { AotjsError, TensorData } from "@aotjs/ir";

/** Errors this backend raises, under aotjs's common base class. */
export class PointwiseBackendError extends AotjsError {
  name = "PointwiseBackendError";
}

/** Unary float32 kernels, element by element in double precision, rounded once on store. */
const unary = {
  neg: (x) => -x,
  abs: Math.abs,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  sin: Math.sin,
  cos: Math.cos,
  tanh: Math.tanh,
  // Two branches so exp never overflows, as the reference kernel does.
  sigmoid: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  // NaN propagates; negatives and -0 give +0.
  relu: (x) => (x > 0 || Number.isNaN(x) ? x : 0),
};

/** Binary kernels: float32 in, float32 out (arithmetic) or bool out (comparisons). */
const binary = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  maximum: Math.max,
  minimum: Math.min,
  gt: (a, b) => (a > b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  eq: (a, b) => (a === b ? 1 : 0),
  ne: (a, b) => (a !== b ? 1 : 0),
};

// `full` too: backward graphs make their constants with it (tanh's 1 - y^2).
const ops = [...Object.keys(unary), ...Object.keys(binary), "where", "full"];

/** Element strides of `shape` read as `outShape` under broadcasting (0 along broadcast dims). */
function broadcastStrides(shape, outShape) {
  const strides = new Array(outShape.length).fill(0);
  let stride = 1;
  for (let i = shape.length - 1, j = outShape.length - 1; i >= 0; i--, j--) {
    strides[j] = shape[i] === 1 ? 0 : stride;
    stride *= shape[i];
  }
  return strides;
}

/** For each output element, the flat index into each input: an odometer over the output shape. */
function indexer(inputs, outShape) {
  const strides = inputs.map((t) => broadcastStrides(t.shape, outShape));
  const offsets = inputs.map(() => 0);
  const counter = new Array(outShape.length).fill(0);
  return function next() {
    const current = [...offsets];
    for (let d = outShape.length - 1; d >= 0; d--) {
      counter[d]++;
      for (let k = 0; k < offsets.length; k++) offsets[k] += strides[k][d];
      if (counter[d] < outShape[d]) break;
      for (let k = 0; k < offsets.length; k++) offsets[k] -= strides[k][d] * outShape[d];
      counter[d] = 0;
    }
    return current;
  };
}

const numel = (shape) => shape.reduce((n, d) => n * d, 1);

/** One node on its inputs' data; the node's meta gives the output shape and dtype. */
function runNode(node, args) {
  const { shape, dtype } = node.meta;
  const n = numel(shape);
  const out = dtype === "bool" ? new Uint8Array(n) : new Float32Array(n);
  const next = indexer(args, shape);
  const f = unary[node.op] ?? binary[node.op];
  if (node.op === "full") {
    out.fill(dtype === "bool" ? Number(node.attrs.value !== 0) : node.attrs.value);
  } else if (node.op === "where") {
    const [c, a, b] = args.map((t) => t.data);
    for (let k = 0; k < n; k++) {
      const [i, j, l] = next();
      out[k] = c[i] ? a[j] : b[l];
    }
  } else if (args.length === 1) {
    const x = args[0].data;
    for (let k = 0; k < n; k++) out[k] = f(x[next()[0]]);
  } else {
    const [a, b] = args.map((t) => t.data);
    for (let k = 0; k < n; k++) {
      const [i, j] = next();
      out[k] = f(a[i], b[j]);
    }
  }
  return new TensorData(dtype, shape, out);
}

/** An Executable: the graph's nodes in order, each value freed after its last use. */
class PointwiseExecutable {
  #graph;
  constructor(graph) {
    for (const node of graph.nodes) {
      if (!ops.includes(node.op)) {
        throw new PointwiseBackendError(
          `graph '${graph.name}': ${node.op} (node '${node.name}') is not an op this backend runs`,
        );
      }
    }
    this.#graph = graph;
  }

  run(inputs) {
    const env = new Map();
    this.#graph.inputs.forEach((v, i) => {
      env.set(v, inputs[i]);
    });
    for (const node of this.#graph.nodes) {
      env.set(
        node.output,
        runNode(
          node,
          node.inputs.map((v) => env.get(v)),
        ),
      );
    }
    return this.#graph.outputs.map((v) => env.get(v));
  }
}

/**
 * The Backend: `aotFunction(f, { backend: pointwiseBackend })`. It declares its ops and dtypes;
 * aotjs decomposes what it can (sigmoid is also native here) and runs the rest on the reference.
 */
export const pointwiseBackend = {
  name: "pointwise-js",
  supportedOps: new Set(ops),
  supportedDtypes: new Set(["float32", "bool"]),
  compiler: () => (graph) => new PointwiseExecutable(graph),
};

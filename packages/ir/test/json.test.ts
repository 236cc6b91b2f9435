// The versioned JSON form: round trip over random valid graphs, the JSON Schema, malformed input,
// node order, and proof that nothing read from a file is evaluated.
import { readdirSync, readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import fc from "fast-check";
import { describe, expect, test, vi } from "vitest";
import {
  broadcastShapes,
  type DType,
  dtypes,
  fromJSON,
  type Graph,
  GraphBuilder,
  graphJsonSchema,
  IRError,
  isFloating,
  isIntegral,
  meta,
  numel,
  type OpName,
  type Value,
} from "../src/index.js";

const ajv = new Ajv2020({ allErrors: true });
const shipped = JSON.parse(readFileSync(new URL("../schema/graph.schema.json", import.meta.url), "utf8"));
const validate = ajv.compile(shipped);
const schemaErrors = () => ajv.errorsText(validate.errors);

// ---- a random valid graph, built op by op from values that fit ----

const smallShape = fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 });
const dtypeArb = fc.constantFrom(...dtypes);
const inf = Number.POSITIVE_INFINITY;
const kinds1 = [
  "unary",
  "binary",
  "compare",
  "logical",
  "reduce",
  "argmax",
  "reshape",
  "permute",
  "unsqueeze",
] as const;
const kinds2 = ["squeeze", "slice", "expand", "cast", "full", "concat", "where", "matmul", "pad"] as const;
const stepArb = fc.record({
  kind: fc.constantFrom(...kinds1, ...kinds2),
  a: fc.nat(),
  b: fc.nat(),
  c: fc.nat(),
  keys: fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
  flag: fc.boolean(),
  dtype: dtypeArb,
  shape: smallShape,
  value: fc.oneof(fc.double(), fc.constantFrom(inf, -inf, Number.NaN, -0)), // fc.double() has them too
  name: fc.option(fc.constantFrom("constructor", "__proto__", "toString", "tmp"), { nil: undefined }),
});
type Step = typeof stepArb extends fc.Arbitrary<infer T> ? T : never;

const recipeArb = fc.record({
  inputs: fc.array(fc.record({ dtype: dtypeArb, shape: smallShape }), { minLength: 1, maxLength: 4 }),
  steps: fc.array(stepArb, { minLength: 2, maxLength: 30, size: "medium" }),
  outputs: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
});

const intUnary = ["neg", "abs", "sign", "relu"] as const;
const floatUnary = [
  ...intUnary,
  "exp",
  "log",
  "sqrt",
  "rsqrt",
  "reciprocal",
  "sin",
  "cos",
  "tanh",
  "sigmoid",
  "erf",
];
const cmpOps = ["eq", "ne", "lt", "le", "gt", "ge"] as const;
const arith = ["add", "sub", "mul", "div", "pow", "maximum", "minimum"] as const;
const numeric = (v: Value) => v.meta.dtype !== "bool";
const fits = (...shapes: (readonly number[])[]) => {
  try {
    broadcastShapes(...shapes);
    return true;
  } catch {
    return false;
  }
};
const at = <T>(xs: readonly T[], n: number): T => xs[n % xs.length]!;

function addStep(b: GraphBuilder, vals: Value[], s: Step): Value | undefined {
  const pick = (n: number, pred: (v: Value) => boolean = () => true) => {
    const c = vals.filter(pred);
    return c.length ? at(c, n) : undefined;
  };
  const x =
    s.kind === "full"
      ? undefined
      : pick(s.a, s.kind === "logical" || s.kind === "where" ? (v) => v.meta.dtype === "bool" : undefined);
  const shape = x?.meta.shape ?? [];
  const rank = shape.length;
  const key = (i: number) => s.keys[i % s.keys.length]!; // ranks can grow past 4 through unsqueeze
  const dt = x?.meta.dtype;
  const op = <K extends OpName>(k: K, inputs: Value[], attrs?: object) =>
    b.op(k, inputs, attrs as never, s.name);
  switch (s.kind) {
    case "full": {
      const { dtype, value } = s; // integer and bool dtypes get an integer that fits
      const int = dtype === "bool" ? Number(s.flag) : Number.isFinite(value) ? Math.trunc(value % 1e6) : 7;
      return op("full", [], { shape: s.shape, value: isFloating(dtype) ? value : int, dtype });
    }
    case "cast":
      return x && op("cast", [x], { dtype: s.dtype });
    case "unary":
      if (!x || dt === "bool") return op("logicalNot", [x!]);
      return op((isFloating(dt!) ? at(floatUnary, s.b) : at(intUnary, s.b)) as "neg", [x]);
    case "binary":
    case "compare": {
      if (!x || (dt === "bool" && s.kind === "binary")) return undefined;
      const y = pick(s.b, (v) => v.meta.dtype === dt && fits(shape, v.meta.shape))!;
      const ops = s.kind === "binary" ? arith : cmpOps.slice(0, dt === "bool" ? 2 : 6);
      return op(at(ops, s.c), [x, y]);
    }
    case "logical": {
      if (!x) return undefined;
      const y = pick(s.b, (v) => v.meta.dtype === "bool" && fits(shape, v.meta.shape))!;
      return op(s.flag ? "logicalAnd" : "logicalOr", [x, y]);
    }
    case "where": {
      if (!x) return undefined;
      const a = pick(s.b, (v) => fits(shape, v.meta.shape))!;
      const c = pick(s.c, (v) => v.meta.dtype === a.meta.dtype && fits(shape, a.meta.shape, v.meta.shape))!;
      return op("where", [x, a, c]);
    }
    case "reduce": {
      if (!x || !numeric(x)) return undefined;
      const dims = shape.map((_, i) => i).filter((i) => (s.b >> i) & 1);
      let k: OpName = at(["sum", "amax", "amin", "mean"] as const, s.c);
      if (k === "mean" && isIntegral(dt!)) k = "sum";
      if ((k === "amax" || k === "amin") && dims.some((d) => shape[d] === 0)) k = "sum";
      return op(k, [x], { dims, keepdim: s.flag });
    }
    case "argmax": {
      const dims = shape.map((_, i) => i).filter((i) => shape[i]! > 0);
      if (!x || !numeric(x) || !dims.length) return undefined;
      return op("argmax", [x], { dim: at(dims, s.b), keepdim: s.flag });
    }
    case "reshape": {
      if (!x) return undefined;
      const n = numel(shape);
      const cands: number[][] = [[n], [1, n], [n, 1]];
      for (let d = 2; d < n; d++) if (n % d === 0) cands.push([d, n / d]);
      if (n === 1) cands.push([]);
      if (n === 0) cands.push([3, 0], [0, 2, 1]);
      return op("reshape", [x], { shape: at(cands, s.b) });
    }
    case "permute": {
      const dims = shape.map((_, i) => i).sort((i, j) => key(i) - key(j) || i - j);
      return x && op("permute", [x], { dims });
    }
    case "unsqueeze":
      return x && op("unsqueeze", [x], { dims: [s.b % (rank + 1)] });
    case "squeeze": {
      const ones = shape.map((_, i) => i).filter((i) => shape[i] === 1);
      return x && op("squeeze", [x], { dims: ones.filter((_, j) => (s.b >> j) & 1) });
    }
    case "slice": {
      if (!x || rank === 0) return undefined;
      const dim = s.b % rank;
      const size = shape[dim]!;
      const start = s.c % (size + 1);
      const end = start + (s.keys[0]! % (size - start + 1));
      return op("slice", [x], { dim, start, end, step: 1 + (s.keys[1]! % 3) });
    }
    case "expand": {
      const target = [...(s.flag ? [2] : []), ...shape.map((d, i) => (d === 1 ? key(i) % 4 : d))];
      return x && op("expand", [x], { shape: target });
    }
    case "concat": {
      if (!x || rank === 0) return undefined;
      const dim = s.b % rank;
      const off = (sh: readonly number[]) => `${sh.length}:${sh.toSpliced(dim, 1)}`; // rank, and dims off dim
      const same = (v: Value) => v.meta.dtype === dt && off(v.meta.shape) === off(shape);
      const parts = [x, pick(s.c, same)!, pick(s.keys[0]!, same)!];
      return op("concat", parts.slice(0, 1 + (s.keys[1]! % 3)), { dim });
    }
    case "matmul": {
      if (!x || !numeric(x) || rank < 2) return undefined;
      const w = op("full", [], { shape: [shape[rank - 1]!, 1 + (s.b % 3)], value: 1, dtype: dt });
      vals.push(w);
      return op("matmul", [x, w]);
    }
    case "pad": {
      if (!x) return undefined;
      const before = shape.map((_, i) => key(i) % 2);
      return op("pad", [x], { before, after: [...before].reverse(), value: s.value });
    }
  }
}

const graphArb = recipeArb.map((r): Graph => {
  const b = new GraphBuilder("random");
  const vals: Value[] = r.inputs.map((m, i) => b.input(`x${i}`, meta(m.shape, m.dtype)));
  for (const s of r.steps) {
    const v = addStep(b, vals, s);
    if (v) vals.push(v);
  }
  b.output(r.outputs.map((n) => at(vals, n)));
  return b.build();
});

describe("round trip", () => {
  test("fromJSON(JSON.stringify(toJSON)) gives the same code and JSON; both lint; the schema accepts it", () => {
    fc.assert(
      fc.property(graphArb, (g) => {
        g.lint();
        const json = g.toJSON();
        const text = JSON.stringify(json);
        const back = fromJSON(text);
        back.lint();
        expect(back.code).toBe(g.code);
        expect(back.toJSON()).toEqual(json);
        expect(JSON.stringify(back)).toBe(text);
        expect(validate(JSON.parse(text)), schemaErrors()).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  test("non-finite and negative-zero float attributes survive", () => {
    const b = new GraphBuilder("g");
    const vs = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, -0, 0, 1e-300].map((value) =>
      b.op("full", [], { shape: [], value }),
    );
    b.output(vs);
    const back = fromJSON(JSON.stringify(b.build()));
    const values = back.nodes.map((n) => (n.op === "full" ? n.attrs.value : undefined));
    expect(values).toEqual([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, -0, 0, 1e-300]);
    expect(Object.is(values[3], -0)).toBe(true);
    expect(Object.is(values[4], 0)).toBe(true);
  });
});

test("checkpoint regions survive a round trip; a bad one is refused with its path", () => {
  const b = new GraphBuilder("g");
  const x = b.input("x", meta([2]));
  b.region = 3;
  const y = b.op("exp", [x]);
  b.region = undefined;
  b.output([b.op("neg", [y])]);
  const json = JSON.stringify(b.build());
  expect(validate(JSON.parse(json)), schemaErrors()).toBe(true);
  expect(fromJSON(json).nodes.map((n) => n.region)).toEqual([3, undefined]);
  const bad = json.replace('"region":3', '"region":0');
  expect(validate(JSON.parse(bad))).toBe(false);
  expect(() => fromJSON(bad)).toThrow(/\$\.nodes\[0\]\.region.*integer >= 1|integer >= 1/);
});

describe("JSON Schema", () => {
  test(`the shipped schema is graphJsonSchema(), written out`, () => {
    expect(shipped, "schema/graph.schema.json is stale: run `pnpm --filter @aotjs/ir run schema`").toEqual(
      graphJsonSchema(),
    );
  });
});

// ---- malformed input: each with its own JSON path and reason ----

const userInput0 = { kind: "user_input", index: 0 };
const out = (value: string, index = 0) => ({ value, role: { kind: "user_output", index } });
const base = (): any => ({
  format: "aotjs.graph",
  version: 2,
  name: "g",
  inputs: [{ name: "x", dtype: "float32", shape: [2, 3], role: userInput0 }],
  nodes: [{ name: "c", op: "cos", inputs: ["x"], attrs: {}, dtype: "float32", shape: [2, 3] }],
  outputs: [out("c")],
});
const edit = (f: (d: any) => void) => {
  const d = base();
  f(d);
  return d;
};
const node = (fields: Record<string, unknown>) => edit((d) => Object.assign(d.nodes[0], fields));
const input = (fields: Record<string, unknown>) => edit((d) => Object.assign(d.inputs[0], fields));
const reshape = (attrs: unknown) => node({ op: "reshape", attrs });
const cos = (name: string, from: string) => ({
  name,
  op: "cos",
  inputs: [from],
  attrs: {},
  dtype: "float32",
  shape: [2, 3],
});

interface Malformed {
  readonly what: string;
  readonly path: string;
  readonly reason: string;
  readonly doc: unknown;
  /** Whether the JSON Schema alone rejects it; undefined when it is not an object at all. */
  readonly schemaRejects?: boolean;
}
const m = (what: string, path: string, reason: string, doc: unknown, schemaRejects?: boolean): Malformed => ({
  what,
  path,
  reason,
  doc,
  schemaRejects,
});
const [S, F] = [true, false]; // the schema rejects it too / only fromJSON can tell
const cycle = [cos("a", "b"), cos("b", "a")];
const malformed: Malformed[] = [
  m("an array", "$", "expected an object, got an array", [], S),
  m("null", "$", "expected an object, got null", null, S),
  m("a number", "$", "expected an object, got number", 42, S),
  m("invalid JSON text", "$", "not valid JSON: ", '{"format": "aotjs.graph",'),
  m(
    "wrong format",
    "$.format",
    'expected format "aotjs.graph", got "onnx"',
    edit((d) => (d.format = "onnx")),
    S,
  ),
  m(
    "wrong version",
    "$.version",
    "unsupported version 3 (this reader knows 1 and 2)",
    edit((d) => (d.version = 3)),
    S,
  ),
  m(
    "unknown top-level field",
    "$.comment",
    "unknown field 'comment'",
    edit((d) => (d.comment = "hi")),
    S,
  ),
  m("unknown op", "$.nodes[0].op", `unknown op "conv3d" in node 'c'`, node({ op: "conv3d" }), S),
  m("wrong arity", "$.nodes[0]", "cos (node 'c'): takes 1 input (x), got 2", node({ inputs: ["x", "x"] }), F),
  m(
    "attribute of the wrong type",
    "$.nodes[0].attrs.shape",
    `'shape' must be a list of integers, each >= 0, got "6"`,
    reshape({ shape: "6" }),
    S,
  ),
  m(
    "missing required attribute",
    "$.nodes[0].attrs.shape",
    "reshape (node 'c'): missing attribute 'shape'",
    reshape({}),
    S,
  ),
  m(
    "no attrs object, required attribute",
    "$.nodes[0].attrs.dtype",
    "missing attribute 'dtype'",
    node({ op: "cast", attrs: undefined }),
    S,
  ),
  m(
    "unknown attribute",
    "$.nodes[0].attrs.alpha",
    "unknown attribute 'alpha' (this op takes none)",
    node({ attrs: { alpha: 1 } }),
    S,
  ),
  m(
    "stride 0 (out of range)",
    "$.nodes[0].attrs.stride",
    "'stride' must be a list of integers of length 2, each >= 1, got [0,1]",
    node({ op: "maxPool2d", attrs: { kernelSize: [2, 2], stride: [0, 1] } }),
    S,
  ),
  m("unknown node field (attrs typo)", "$.nodes[0].attr", "unknown field 'attr'", node({ attr: {} }), S),
  m(
    "unknown input field",
    "$.inputs[0].requiresGrad",
    "unknown field 'requiresGrad'",
    input({ requiresGrad: true }),
    S,
  ),
  m(
    "dangling value reference",
    "$.nodes[0].inputs[0]",
    "'y' is not defined by any input or node (dangling reference)",
    node({ inputs: ["y"] }),
    F,
  ),
  m(
    "cycle a -> b -> a",
    "$.nodes[0]",
    "cycle through a -> b -> a",
    edit((d) => (d.nodes = cycle)),
    F,
  ),
  m(
    "recorded shape disagrees",
    "$.nodes[0]",
    "cos (node 'c') records f32[3,2] but its rule gives f32[2,3]",
    node({ shape: [3, 2] }),
    F,
  ),
  m(
    "recorded dtype disagrees",
    "$.nodes[0]",
    "cos (node 'c') records f64[2,3] but its rule gives f32[2,3]",
    node({ dtype: "float64" }),
    F,
  ),
  m(
    "shape rule fails",
    "$.nodes[0]",
    "matmul (node 'c'): inner dims differ: f32[2,3] @ f32[2,3] (3 vs 2); inputs: a=x: f32[2,3], b=x: f32[2,3]",
    node({ op: "matmul", inputs: ["x", "x"] }),
    F,
  ),
  m(
    "duplicate name: node vs input",
    "$.nodes[0].name",
    "name 'x' is already defined at $.inputs[0].name",
    node({ name: "x" }),
    F,
  ),
  m(
    "duplicate name: node vs node",
    "$.nodes[1].name",
    "name 'c' is already defined at $.nodes[0].name",
    edit((d) => d.nodes.push(cos("c", "x"))),
    F,
  ),
  m(
    "bad dtype",
    "$.inputs[0].dtype",
    'unknown dtype "float16" (expected one of float32, float64, int32, int64, bool)',
    input({ dtype: "float16" }),
    S,
  ),
  m(
    "dtype 'constructor'",
    "$.nodes[0].dtype",
    'unknown dtype "constructor"',
    node({ dtype: "constructor" }),
    S,
  ),
  m(
    "negative shape",
    "$.inputs[0].shape",
    "shape must be a list of non-negative integers, got [-1,3]",
    input({ shape: [-1, 3] }),
    S,
  ),
  m(
    "non-integer shape",
    "$.nodes[0].shape",
    "shape must be a list of non-negative integers, got [2.5,3]",
    node({ shape: [2.5, 3] }),
    S,
  ),
  m(
    "non-identifier name",
    "$.inputs[0].name",
    'expected an identifier name, got "my-input"',
    input({ name: "my-input" }),
    S,
  ),
  m(
    "dangling output",
    "$.outputs[1].value",
    'output "nope" is not defined by any input or node',
    edit((d) => (d.outputs = [out("c"), out("nope", 1)])),
    F,
  ),
  m(
    "an output as a bare name (v1's form)",
    "$.outputs[0]",
    "expected an object, got string",
    edit((d) => (d.outputs = ["c"])),
    S,
  ),
  m("input without a role", "$.inputs[0].role", "missing field 'role'", input({ role: undefined }), S),
  m(
    "unknown role kind",
    "$.inputs[0].role.kind",
    'unknown role kind "weight" (expected one of user_input, parameter, buffer, tangent, rng_seed, rng_offset, constant, saved)',
    input({ role: { kind: "weight" } }),
    S,
  ),
  m(
    "negative role index",
    "$.inputs[0].role.index",
    "'index' must be a non-negative integer, got -1",
    input({ role: { kind: "user_input", index: -1 } }),
    S,
  ),
  m(
    "parameter without a path",
    "$.inputs[0].role.path",
    "'path' must be a non-empty string, got undefined",
    input({ role: { kind: "parameter" } }),
    S,
  ),
  m(
    "unknown role field",
    "$.outputs[0].role.input",
    "unknown field 'input' for a user_output role",
    edit((d) => (d.outputs[0].role.input = 0)),
    S,
  ),
  m(
    "gradient of a tangent",
    "$.outputs[0].role.of.kind",
    "a gradient is of a user input, parameter or buffer, not of a tangent",
    edit((d) => (d.outputs[0].role = { kind: "gradient", of: { kind: "tangent", output: 0 } })),
    S,
  ),
  m(
    "two inputs with one role",
    "$.inputs[1].role",
    "graph 'g' signature: input 1 'y' and input 0 'x' are both the user input 0",
    edit((d) => d.inputs.push({ ...d.inputs[0], name: "y" })),
    F,
  ),
  m(
    "mutation output of another meta",
    "$.outputs[1].role",
    "output 1 's' is the new value of input 0 'x', but is f32[] where the input is f32[2,3]",
    edit((d) => {
      d.nodes.push({
        name: "s",
        op: "sum",
        inputs: ["c"],
        attrs: { dims: [0, 1] },
        dtype: "float32",
        shape: [],
      });
      d.outputs.push({ value: "s", role: { kind: "mutation", input: 0 } });
    }),
    F,
  ),
  m(
    "user outputs not numbered from 0",
    "$.outputs[0].role",
    "user outputs must be numbered 0..0, got 3",
    edit((d) => (d.outputs = [out("c", 3)])),
    F,
  ),
];

function errorOf(fn: () => unknown): IRError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(IRError);
    return e as IRError;
  }
  throw new Error("expected an error, got none");
}

describe("malformed JSON", () => {
  test("the base document is valid, so each case fails for its own reason", () => {
    expect(fromJSON(base()).code).toContain("const c: f32[2,3] = cos(x);");
    expect(validate(base()), schemaErrors()).toBe(true);
  });
  test.each(malformed)("$what", ({ doc, path, reason, schemaRejects }) => {
    const err = errorOf(() => fromJSON(doc));
    expect(err.path).toBe(path);
    expect(err.message.startsWith(`${path}: `), err.message).toBe(true);
    expect(err.message).toContain(reason);
    if (typeof doc !== "string")
      expect(errorOf(() => fromJSON(JSON.stringify(doc))).message).toBe(err.message);
    if (schemaRejects !== undefined)
      expect(validate(doc), `schema on ${JSON.stringify(doc)}`).toBe(!schemaRejects);
  });
  test("every case has a distinct message", () => {
    const messages = malformed.map((m) => errorOf(() => fromJSON(m.doc)).message);
    expect(new Set(messages).size).toBe(malformed.length);
  });
});

describe("node order", () => {
  const build = () => {
    const b = new GraphBuilder("g");
    const x = b.input("x", meta([4]));
    const p1 = b.op("neg", [x], {}, "p1");
    const q1 = b.op("exp", [x], {}, "q1");
    const p2 = b.op("neg", [p1], {}, "p2");
    const q2 = b.op("exp", [q1], {}, "q2");
    b.output([b.op("add", [p2, q2], {}, "s")]);
    return b.build();
  };
  const names = (g: Graph) => g.nodes.map((n) => n.name);
  test("nodes listed out of topological order are sorted", () => {
    const json = build().toJSON();
    const back = fromJSON({ ...json, nodes: [...json.nodes].reverse() });
    // depth-first from the first listed node (s), inputs in order: hand-computed
    expect(names(back)).toEqual(["p1", "p2", "q1", "q2", "s"]);
    back.lint();
  });
  test("an order that is already topological is kept, even when it is not the builder's", () => {
    const json = build().toJSON();
    const byName = new Map(json.nodes.map((n) => [n.name, n]));
    const order = ["q1", "p1", "q2", "p2", "s"];
    expect(names(fromJSON({ ...json, nodes: order.map((n) => byName.get(n)!) }))).toEqual(order);
    expect(names(fromJSON(json))).toEqual(["p1", "q1", "p2", "q2", "s"]);
  });
  test("a 10000-node chain in reverse order is read without exhausting the stack", () => {
    const b = new GraphBuilder("chain");
    let v = b.input("x", meta([2]));
    for (let i = 0; i < 10_000; i++) v = b.op("neg", [v]);
    b.output([v]);
    const g = b.build();
    const json = g.toJSON();
    const back = fromJSON({ ...json, nodes: [...json.nodes].reverse() });
    expect(back.code).toBe(g.code);
  });
});

describe("nothing from the file is evaluated", () => {
  const evil = "});process.exit(1);//";
  test("names that are Object.prototype keys are plain data", () => {
    const b = new GraphBuilder("constructor");
    const x = b.input("__proto__", meta([2]));
    const y = b.op("neg", [x], {}, "constructor");
    b.output([b.op("add", [x, y], {}, "toString"), b.op("exp", [y], {}, "hasOwnProperty")]);
    const g = b.build();
    const back = fromJSON(JSON.stringify(g));
    expect(back.code).toBe(g.code);
    expect(back.code).toContain("const constructor: f32[2] = neg(__proto__);");
    expect(back.value("__proto__").isInput).toBe(true);
  });
  test.each([
    ["graph name", edit((d) => (d.name = evil)), "$.name"],
    ["input name", input({ name: evil }), "$.inputs[0].name"],
    ["node name", node({ name: evil }), "$.nodes[0].name"],
    ["op", node({ op: evil }), "$.nodes[0].op"],
    ["op 'constructor'", node({ op: "constructor" }), "$.nodes[0].op"],
    ["op '__proto__'", node({ op: "__proto__" }), "$.nodes[0].op"],
    ["op 'toString'", node({ op: "toString" }), "$.nodes[0].op"],
    ["dtype '__proto__'", input({ dtype: "__proto__" }), "$.inputs[0].dtype"],
    [
      "float attribute",
      node({ op: "full", inputs: [], attrs: { shape: [2, 3], value: evil } }),
      "$.nodes[0].attrs.value",
    ],
    ["dtype attribute", node({ op: "cast", attrs: { dtype: evil } }), "$.nodes[0].attrs.dtype"],
    ["attribute name", node({ attrs: { [evil]: 1 } }), `$.nodes[0].attrs.${evil}`],
    ["output", edit((d) => (d.outputs = [out(evil)])), "$.outputs[0].value"],
    ["role kind", input({ role: { kind: evil } }), "$.inputs[0].role.kind"],
    ["parameter path", input({ role: { kind: "parameter", path: evil } }), undefined],
  ])("code in a %s is rejected as data (or kept as plain text)", (_, doc, path) => {
    const exit = vi.spyOn(process, "exit").mockImplementation(() => {
      throw new Error("process.exit was called");
    });
    try {
      if (path === undefined)
        expect(fromJSON(JSON.stringify(doc)).signature.inputs[0]).toEqual(doc.inputs[0].role);
      else expect(errorOf(() => fromJSON(JSON.stringify(doc))).path).toBe(path);
      expect(exit).not.toHaveBeenCalled();
    } finally {
      exit.mockRestore();
    }
  });
  test("__proto__ keys in the file neither pollute prototypes nor slip through", () => {
    const text = JSON.stringify(node({ attrs: "ATTRS" })).replace(
      '"ATTRS"',
      `{"__proto__":{"polluted":true}}`,
    );
    expect(errorOf(() => fromJSON(text)).message).toContain("unknown attribute '__proto__'");
    const top = JSON.stringify(base()).replace('{"format"', `{"__proto__":{"polluted":true},"format"`);
    expect(errorOf(() => fromJSON(top)).path).toBe("$.__proto__");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty("polluted");
  });
  test("the package source never calls eval or the Function constructor", () => {
    const dir = new URL("../src/", import.meta.url);
    const files = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      const text = readFileSync(new URL(f, dir), "utf8");
      expect(text, f).not.toMatch(/\beval\s*\(|\bnew\s+Function\b|\bFunction\s*\(/);
    }
  });
});

test("fromJSON accepts every dtype on inputs and round-trips it", () => {
  for (const dtype of dtypes as readonly DType[]) {
    const b = new GraphBuilder("g");
    b.output([b.input("x", meta([1, 0], dtype))]);
    expect(fromJSON(JSON.stringify(b.build())).inputs[0]!.meta).toEqual(meta([1, 0], dtype));
  }
});

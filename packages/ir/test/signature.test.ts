// The graph signature: the builder's defaults and explicit roles, every pass keeping it, JSON v2
// round trips and v1 reads, the printer's role comments, and lint naming what is wrong. Oracles:
// the roles written by hand in each test, and the messages below.
import { describe, expect, test } from "vitest";
import {
  cse,
  dce,
  fromJSON,
  Graph,
  GraphBuilder,
  type GraphSignature,
  type InputRole,
  IRError,
  meta,
  type OutputRole,
  rewriteGraph,
  topologicalSort,
} from "../src/index.js";

/** A forward graph with every input role a forward graph has, a mutation and a saved value. */
function forwardGraph(): Graph {
  const b = new GraphBuilder("forward");
  const w = b.input("fc_weight", meta([4, 3]), { kind: "parameter", path: "fc.weight" });
  const rm = b.input("bn_running_mean", meta([4]), { kind: "buffer", path: "bn.running_mean" });
  const x = b.input("primals_3", meta([2, 3]), { kind: "user_input", index: 2 });
  const seed = b.input("rng_seed", meta([], "int64"), { kind: "rng_seed" });
  const offset = b.input("rng_offset", meta([], "int64"), { kind: "rng_offset" });
  const c = b.input("_tensor_constant_0", meta([2, 4]), { kind: "constant", index: 0 });
  const y = b.op("matmul", [x, b.op("permute", [w], { dims: [1, 0] })]);
  const mask = b.op("bernoulli", [seed, offset], { shape: [2, 4], p: 0.5 });
  const out = b.op("add", [b.op("mul", [y, b.op("cast", [mask], { dtype: "float32" })]), c]);
  const mean = b.op("add", [rm, b.op("mean", [out], { dims: [0] })]);
  b.output(
    [out, mean, y, y],
    [{ kind: "user_output", index: 0 }, { kind: "mutation", input: 1 }, { kind: "saved" }, { kind: "saved" }],
  );
  return b.build();
}

/** A backward graph: saved values and a tangent in, gradients of a parameter and a user input out. */
function backwardGraph(): Graph {
  const b = new GraphBuilder("backward");
  const x = b.input("primals_3", meta([2, 3]), { kind: "saved", forwardOutput: 2 });
  const t = b.input("tangents_1", meta([2, 4]), { kind: "tangent", output: 0 });
  const gw = b.op("matmul", [b.op("permute", [t], { dims: [1, 0] }), x]);
  b.output(
    [gw, b.op("matmul", [t, gw])],
    [
      { kind: "gradient", of: { kind: "parameter", path: "fc.weight" } },
      { kind: "gradient", of: { kind: "user_input", index: 2 } },
    ],
  );
  return b.build();
}

describe("the builder", () => {
  test("inputs and outputs given no role are user inputs and outputs, numbered among themselves", () => {
    const b = new GraphBuilder("g");
    const x = b.input("x", meta([3]));
    const t = b.input("t", meta([3]), { kind: "tangent", output: 1 });
    const y = b.input("y", meta([3]));
    b.output([x, b.op("mul", [t, y]), y]);
    b.mutation(y, 2);
    expect(b.build().signature).toEqual({
      inputs: [
        { kind: "user_input", index: 0 },
        { kind: "tangent", output: 1 },
        { kind: "user_input", index: 1 },
      ],
      outputs: [
        { kind: "user_output", index: 0 },
        { kind: "user_output", index: 1 },
        { kind: "mutation", input: 2 },
      ],
    });
  });

  test("explicit roles are kept, frozen, and mutations are a view of them", () => {
    const g = forwardGraph();
    expect(g.signature.inputs.map((r) => r.kind)).toEqual([
      "parameter",
      "buffer",
      "user_input",
      "rng_seed",
      "rng_offset",
      "constant",
    ]);
    expect(g.mutations).toEqual([{ input: 1, output: 1 }]);
    expect(Object.isFrozen(g.signature.inputs[0])).toBe(true);
    const gradient = backwardGraph().signature.outputs[0] as Extract<OutputRole, { kind: "gradient" }>;
    expect(Object.isFrozen(gradient.of)).toBe(true);
  });

  test("a malformed role from an untyped caller is refused at once, naming the input", () => {
    const b = new GraphBuilder("g");
    expect(() => b.input("x", meta([3]), { kind: "parameter", path: "" } as InputRole)).toThrow(
      "input 'x' role.path: 'path' must be a non-empty string",
    );
    b.input("y", meta([3]));
    expect(() => b.mutation(b.input("z", meta([3])), 0)).toThrow(
      /output index 0 is out of range \(0 outputs/,
    );
  });
});

describe("every pass keeps the signature", () => {
  const graphs = () => [forwardGraph(), backwardGraph()];
  test.each(["rewriteGraph", "dce", "cse", "topologicalSort", "JSON"])("%s", (pass) => {
    for (const g of graphs()) {
      const after =
        pass === "rewriteGraph"
          ? rewriteGraph(g, () => undefined)
          : pass === "dce"
            ? dce(g)
            : pass === "cse"
              ? cse(g)
              : pass === "topologicalSort"
                ? new Graph(g.name, g.inputs, topologicalSort([...g.nodes].reverse()), g.outputs, g.signature)
                : fromJSON(JSON.stringify(g));
      after.lint();
      expect(after.signature).toEqual(g.signature);
      expect(after.code).toBe(g.code);
    }
  });
  test("cse merges nodes and dce drops them; the roles stay on the same positions", () => {
    const b = new GraphBuilder("g");
    const x = b.input("x", meta([3]), { kind: "parameter", path: "w" });
    const a = b.op("exp", [x]);
    const a2 = b.op("exp", [x]);
    b.op("neg", [x]); // dead
    b.output([b.op("add", [a, a2]), a2], [{ kind: "user_output", index: 0 }, { kind: "saved" }]);
    const g = b.build();
    const after = cse(g);
    expect(after.nodes.length).toBe(2);
    expect(after.signature).toEqual(g.signature);
  });
});

describe("JSON", () => {
  test("version 2 round-trips every role kind, and writes each role next to its input or output", () => {
    for (const g of [forwardGraph(), backwardGraph()]) {
      const json = g.toJSON();
      expect(json.version).toBe(2);
      expect(json.inputs.map((input) => input.role)).toEqual(g.signature.inputs);
      json.outputs.forEach((output, k) => {
        expect(output).toEqual({ value: g.outputs[k]!.name, role: g.signature.outputs[k] });
      });
      const back = fromJSON(JSON.stringify(json));
      expect(back.signature).toEqual(g.signature);
      expect(back.toJSON()).toEqual(json);
    }
  });

  // A v1 document as the v1 writer produced it: no roles, names as aotjs gave them, a mutation list.
  const v1 = {
    format: "aotjs.graph",
    version: 1,
    name: "joint",
    inputs: [
      { name: "primals_1", dtype: "float32", shape: [3] },
      { name: "primals_2", dtype: "float32", shape: [3] },
      { name: "tangents_1", dtype: "float32", shape: [3] },
      { name: "rng_seed", dtype: "int64", shape: [] },
      { name: "rng_offset", dtype: "int64", shape: [] },
      { name: "_tensor_constant_0", dtype: "float32", shape: [3] },
    ],
    nodes: [
      {
        name: "len",
        op: "argmax",
        inputs: ["primals_1"],
        attrs: { dim: 0, keepdim: false },
        dtype: "int64",
        shape: [],
      },
      { name: "cos", op: "cos", inputs: ["primals_1"], attrs: {}, dtype: "float32", shape: [3] },
      {
        name: "upd",
        op: "add",
        inputs: ["primals_2", "_tensor_constant_0"],
        attrs: {},
        dtype: "float32",
        shape: [3],
      },
      { name: "g", op: "mul", inputs: ["tangents_1", "cos"], attrs: {}, dtype: "float32", shape: [3] },
    ],
    outputs: ["len", "cos", "upd", "g"],
    mutations: [{ input: "primals_2", output: 2 }],
  };
  test("version 1 is read, with roles derived once from its mutations and aotjs's input names", () => {
    const g = fromJSON(JSON.stringify(v1));
    g.lint();
    expect(g.signature).toEqual({
      inputs: [
        { kind: "user_input", index: 0 },
        { kind: "user_input", index: 1 },
        // The first user output of its meta: `len` is int64, so `cos`.
        { kind: "tangent", output: 1 },
        { kind: "rng_seed" },
        { kind: "rng_offset" },
        { kind: "constant", index: 0 },
      ],
      outputs: [
        { kind: "user_output", index: 0 },
        { kind: "user_output", index: 1 },
        { kind: "mutation", input: 1 },
        { kind: "user_output", index: 2 },
      ],
    } satisfies GraphSignature);
    expect(g.toJSON().version).toBe(2);
    expect(fromJSON(JSON.stringify(g)).signature).toEqual(g.signature);
  });
  test("a version 1 mutation that does not fit is reported at $.mutations", () => {
    const bad = { ...v1, mutations: [{ input: "primals_2", output: 0 }] };
    expect(() => fromJSON(bad)).toThrow(
      "$.mutations: graph 'joint' signature: output 0 'len' is the new value of input 1 'primals_2', but is i64[] where the input is f32[3]",
    );
  });
  test("version 1 has no role fields", () => {
    const bad = {
      ...v1,
      inputs: [{ ...v1.inputs[0], role: { kind: "user_input", index: 0 } }, ...v1.inputs.slice(1)],
    };
    expect(() => fromJSON(bad)).toThrow("$.inputs[0].role: unknown field 'role'");
  });
});

describe("the printer shows roles in comments", () => {
  test("a short signature inline; a long one, one per line, after the comma", () => {
    expect(backwardGraph().code).toMatchInlineSnapshot(`
      "function backward(primals_3: f32[2,3] /* saved: forward output 2 */, tangents_1: f32[2,4] /* tangent of output 0 */) {
        const permute: f32[4,2] = permute(tangents_1, {dims: [1, 0]});
        const matmul: f32[4,3] = matmul(permute, primals_3);
        const matmul_1: f32[2,3] = matmul(tangents_1, matmul);
        return [matmul /* gradient of parameter fc.weight */, matmul_1 /* gradient of user input 2 */];
      }"
    `);
    const lines = forwardGraph().code.split("\n");
    expect(lines.slice(0, 8)).toEqual([
      "function forward(",
      "  fc_weight: f32[4,3], // parameter fc.weight",
      "  bn_running_mean: f32[4], // buffer bn.running_mean",
      "  primals_3: f32[2,3], // user input 2",
      "  rng_seed: i64[], // rng seed",
      "  rng_offset: i64[], // rng offset",
      "  _tensor_constant_0: f32[2,4], // constant 0",
      ") {",
    ]);
    expect(lines.at(-2)).toBe(
      "  return [add /* user output 0 */, add_1 /* mutation of input 1 */, matmul /* saved */, matmul /* saved */];",
    );
  });
  test("a graph of user inputs and user outputs in order prints as it always did", () => {
    const b = new GraphBuilder("f");
    const x = b.input("x", meta([3]));
    b.output([b.op("cos", [x])]);
    expect(b.build().code).toBe("function f(x: f32[3]) {\n  const cos: f32[3] = cos(x);\n  return [cos];\n}");
  });
  test("without the comments, the text is the roleless graph's", () => {
    for (const g of [forwardGraph(), backwardGraph()]) {
      const plain = new Graph(g.name, g.inputs, g.nodes, g.outputs);
      const strip = (s: string) => s.replace(/ \/\* [^*]* \*\//g, "").replace(/ \/\/ .*$/gm, "");
      // The line a mutation always had is kept; the roleless graph has no mutation.
      const lines = g.code.split("\n").filter((l) => !l.includes("is updated in place"));
      expect(strip(lines.join("\n"))).toBe(plain.code);
    }
  });
});

describe("lint names what is wrong", () => {
  const lintOf = (g: Graph) => {
    try {
      g.lint();
    } catch (e) {
      expect(e).toBeInstanceOf(IRError);
      return (e as Error).message;
    }
    throw new Error("lint passed");
  };
  const withSignature = (g: Graph, edit: (s: { inputs: InputRole[]; outputs: OutputRole[] }) => void) => {
    const s = { inputs: [...g.signature.inputs], outputs: [...g.signature.outputs] };
    edit(s);
    return new Graph(g.name, g.inputs, g.nodes, g.outputs, s);
  };
  test.each<[string, (s: { inputs: InputRole[]; outputs: OutputRole[] }) => void, string]>([
    ["too few input roles", (s) => s.inputs.pop(), "graph 'forward' signature: 5 input roles for 6 inputs"],
    ["too many output roles", (s) => s.outputs.push({ kind: "saved" }), "5 output roles for 4 outputs"],
    [
      "two rng seeds",
      (s) => (s.inputs[4] = { kind: "rng_seed" }),
      "input 4 'rng_offset' and input 3 'rng_seed' are both the rng seed",
    ],
    [
      "a mutation out of range",
      (s) => (s.outputs[1] = { kind: "mutation", input: 9 }),
      "output 1 'add_1' is a mutation of input 9, out of range (6 inputs)",
    ],
    [
      "a mutation of an rng input",
      (s) => (s.outputs[1] = { kind: "mutation", input: 3 }),
      "output 1 'add_1' is a mutation of input 3 'rng_seed', a rng seed; only user inputs, parameters and buffers are updated in place",
    ],
    [
      "a mutation of another meta",
      (s) => (s.outputs[1] = { kind: "mutation", input: 0 }),
      "output 1 'add_1' is the new value of input 0 'fc_weight', but is f32[4] where the input is f32[4,3]",
    ],
    [
      "an input mutated twice",
      (s) => (s.outputs[3] = { kind: "mutation", input: 1 }),
      "input 1 'bn_running_mean' is mutated twice, by output 1 'add_1' and output 3 'matmul'",
    ],
    [
      "two user outputs 0",
      (s) => (s.outputs[2] = { kind: "user_output", index: 0 }),
      "output 2 'matmul' and output 0 'add' are both user output 0",
    ],
    [
      "a gradient of another meta than its primal",
      (s) => (s.outputs[2] = { kind: "gradient", of: { kind: "parameter", path: "fc.weight" } }),
      "output 2 'matmul' is the gradient of input 0 'fc_weight', but is f32[2,4] where the input is f32[4,3]",
    ],
    [
      "a tangent of an output the graph does not return",
      (s) => (s.inputs[5] = { kind: "tangent", output: 4 }),
      "input 5 '_tensor_constant_0' is the tangent of output 4, which the graph does not return",
    ],
    [
      "a tangent of another meta than its output",
      (s) => (s.inputs[2] = { kind: "tangent", output: 0 }),
      "input 2 'primals_3' is the tangent of output 0 'add', but is f32[2,3] where the output is f32[2,4]",
    ],
    [
      "a malformed role",
      (s) => (s.inputs[0] = { kind: "constant", index: 1.5 } as InputRole),
      "graph 'forward' signature: role.index: 'index' must be a non-negative integer, got 1.5",
    ],
  ])("%s", (_, edit, message) => {
    expect(lintOf(withSignature(forwardGraph(), edit))).toContain(message);
  });
  test("the two graphs above lint", () => {
    forwardGraph().lint();
    backwardGraph().lint();
  });
});

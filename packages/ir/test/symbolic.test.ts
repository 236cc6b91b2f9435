// Symbolic dims: the expression algebra, every kind of shape rule on symbols, symbolize over two
// traces, the printer, JSON round trip (and the schema), lint, and guard errors.
import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import {
  bindSymbols,
  type Dim,
  decodeNumber,
  formatDim,
  fromJSON,
  type Graph,
  GraphBuilder,
  inferSymbolic,
  lint,
  MARKER_SETS,
  parseDim,
  ShapeError,
  specialize,
  sym,
  symbolize,
  toJSON,
  withSymbolic,
} from "../src/index.js";

const B = sym("B");
const T = sym("T");
const show = (shape: readonly Dim[]) => `[${shape.map((d) => formatDim(d)).join(",")}]`;
const f32 = (...shape: Dim[]) => ({ shape, dtype: "float32" as const });

describe("expressions", () => {
  it("format and parse round trip, normalized", () => {
    // Oracle: the canonical spellings written out by hand.
    for (const [text, canonical] of [
      ["B", "B"],
      ["784*B", "784*B"],
      ["B*784", "784*B"],
      ["T*B + 3*B - 1", "B*T + 3*B - 1"],
      ["1/(784*B)", "1/(784*B)"],
      ["(49*B)/(49*B - 1)", "49*B/(49*B - 1)"],
      ["B - B + 4", "4"],
    ] as const)
      expect(formatDim(parseDim(text)), text).toBe(canonical);
    expect(() => parseDim("B +")).toThrow(ShapeError);
  });
});

describe("decoding numbers a trace computed", () => {
  const markers = new Map([["B", 30011]]);
  it("reads a large n/(n - 1), whose low bits float64 loses, as n/(n - 1)", () => {
    const n = 12544 * 30011;
    expect(formatDim(decodeNumber(n / (n - 1), markers))).toBe("12544*B/(12544*B - 1)");
  });
});

describe("shape rules on symbols", () => {
  // Oracle: the rules' results worked out by hand on the symbols.
  it("broadcast, matmul, reductions, layout", () => {
    expect(show(inferSymbolic("add", [f32(B, 1), f32(1, T)]).shape)).toBe("[B,T]");
    expect(show(inferSymbolic("matmul", [f32(B, 784), f32(784, 10)]).shape)).toBe("[B,10]");
    expect(show(inferSymbolic("matmul", [f32(B, 4, T, 16), f32(B, 4, 16, T)]).shape)).toBe("[B,4,T,T]");
    expect(show(inferSymbolic("sum", [f32(B, T, 8)], { dims: [1], keepdim: true }).shape)).toBe("[B,1,8]");
    expect(show(inferSymbolic("argmax", [f32(B, 10)], { dim: 1 }).shape)).toBe("[B]");
    const flat = inferSymbolic("reshape", [f32(B, T, 8)], { shape: [parseDim("B*T"), 8] });
    expect(show(flat.shape)).toBe("[B*T,8]");
    expect(show(inferSymbolic("reshape", [f32(parseDim("B*T"), 8)], { shape: [B, T, 8] }).shape)).toBe(
      "[B,T,8]",
    );
    expect(show(inferSymbolic("permute", [f32(B, T, 8)], { dims: [2, 0, 1] }).shape)).toBe("[8,B,T]");
    expect(show(inferSymbolic("expand", [f32(1, 8)], { shape: [B, 8] }).shape)).toBe("[B,8]");
    expect(show(inferSymbolic("slice", [f32(B, T)], { dim: 1, start: 1, end: T }).shape)).toBe("[B,T - 1]");
    expect(show(inferSymbolic("concat", [f32(B, 8), f32(B, 8)], { dim: 0 }).shape)).toBe("[2*B,8]");
    expect(show(inferSymbolic("full", [], { shape: [T, T], value: 0 }).shape)).toBe("[T,T]");
  });

  it("conv and pool with a symbolic batch; a symbolic height through a stride is refused", () => {
    const w = f32(8, 3, 3, 3);
    const attrs = { stride: [2, 2], padding: [1, 1] };
    expect(show(inferSymbolic("conv2d", [f32(B, 3, 32, 32), w], attrs).shape)).toBe("[B,8,16,16]");
    expect(
      show(inferSymbolic("maxPool2d", [f32(B, 8, 16, 16)], { kernelSize: [2, 2], stride: [2, 2] }).shape),
    ).toBe("[B,8,8,8]");
    const H = sym("H");
    expect(() => inferSymbolic("conv2d", [f32(B, 3, H, 32), w], attrs)).toThrow(
      /dim 2 of 'out' is not a polynomial of the symbols .*keep that size static/,
    );
  });

  it("a rule's own error still reads as the rule's", () => {
    expect(() => inferSymbolic("matmul", [f32(B, 784), f32(T, 10)])).toThrow(/inner dims differ/);
  });
});

/** `relu(x @ w) -> reshape to [B*2, 5]`, built at one marker set (as a trace at marker sizes would be). */
function buildAt(markers: ReadonlyMap<string, number>): Graph {
  const b = markers.get("B")!;
  const g = new GraphBuilder("mlp");
  const x = g.input("x", { shape: [b, 4], dtype: "float32" });
  const w = g.input("w", { shape: [4, 10], dtype: "float32" });
  const h = g.op("relu", [g.op("matmul", [x, w])]);
  const r = g.op("reshape", [h], { shape: [b * 2, 5] });
  const scaled = g.op("mul", [r, g.op("full", [], { shape: [], value: 1 / (b * 10) })]);
  g.output([scaled]);
  return g.build();
}

function symbolicMlp(hint = 8, max?: number): Graph {
  const markers = MARKER_SETS.map((set) => new Map([["B", set[0]!]])) as [
    Map<string, number>,
    Map<string, number>,
  ];
  return symbolize([buildAt(markers[0]), buildAt(markers[1])], markers, [
    { name: "B", hint, min: 1, ...(max === undefined ? {} : { max }) },
  ]);
}

describe("symbolic graphs", () => {
  it("an upper bound (sizeAtMost) is a guard: checked, printed, kept by JSON and the schema", () => {
    const g = symbolicMlp(8, 32);
    expect(g.code.split("\n")[0]).toBe("// symbols: B >= 1 and <= 32 (hint 8)");
    expect([
      ...bindSymbols(g, [
        [32, 4],
        [4, 10],
      ]),
    ]).toEqual([["B", 32]]);
    expect(() =>
      bindSymbols(g, [
        [33, 4],
        [4, 10],
      ]),
    ).toThrow("graph 'mlp': guard B <= 32 failed: B = 33 (from input 0 'x' dim 0)");
    const json = JSON.parse(JSON.stringify(toJSON(g)));
    expect(json.symbolic.symbols).toEqual([{ name: "B", hint: 8, min: 1, max: 32 }]);
    expect(fromJSON(json).code).toBe(g.code);
    const ajv = new Ajv2020({ allErrors: true });
    const schema = JSON.parse(readFileSync(new URL("../schema/graph.schema.json", import.meta.url), "utf8"));
    expect(ajv.validate(schema, json), ajv.errorsText(ajv.errors)).toBe(true);
    // A hint past its own bound is no valid graph.
    expect(() => symbolicMlp(40, 32)).toThrow("symbol B has hint 40 above its guard B <= 32");
  });

  it("symbolize reads shapes and attributes back; the printer shows them", () => {
    const g = symbolicMlp();
    // Oracle: the graph above, written with B by hand.
    expect(g.code).toBe(
      [
        "// symbols: B >= 1 (hint 8)",
        "function mlp(x: f32[B,4], w: f32[4,10]) {",
        "  const matmul: f32[B,10] = matmul(x, w);",
        "  const relu: f32[B,10] = relu(matmul);",
        "  const reshape: f32[2*B,5] = reshape(relu, {shape: [2*B, 5]});",
        "  const full: f32[] = full({shape: [], value: 1/(10*B)});",
        "  const mul: f32[2*B,5] = mul(reshape, full);",
        "  return [mul];",
        "}",
      ].join("\n"),
    );
    // The metas hold the hint sizes, so symbol-blind code sees a valid static graph.
    expect(g.inputs[0]!.meta.shape).toEqual([8, 4]);
    expect(g.nodes[3]!.attrs).toMatchObject({ value: 1 / 80 });
  });

  it("JSON round trip keeps the symbols, and the schema accepts it", () => {
    const g = symbolicMlp();
    const json = JSON.parse(JSON.stringify(toJSON(g)));
    expect(json.symbolic.shapes.reshape).toEqual(["2*B", 5]);
    const back = fromJSON(json);
    expect(back.code).toBe(g.code);
    const ajv = new Ajv2020({ allErrors: true });
    const schema = JSON.parse(readFileSync(new URL("../schema/graph.schema.json", import.meta.url), "utf8"));
    expect(ajv.validate(schema, json), ajv.errorsText(ajv.errors)).toBe(true);
  });

  it("lint refuses a symbolic size that does not match the graph at the hints", () => {
    const g = symbolicMlp();
    const bad = { ...g.symbolic!, shapes: { ...g.symbolic!.shapes, relu: [parseDim("B + 1"), 10] } };
    expect(() => withSymbolic(g, bad)).toThrow(
      /dim 0 of 'relu' is B \+ 1 = 9 at the hints, but the graph holds 8/,
    );
    expect(() => lint(g)).not.toThrow();
  });

  it("specialize gives the static graph at other sizes", () => {
    const g = specialize(symbolicMlp(), new Map([["B", 3]]));
    // Oracle: the same graph built statically at B = 3.
    expect(g.code).toBe(buildAt(new Map([["B", 3]])).code);
    expect(g.symbolic).toBeUndefined();
  });

  it("guards: each symbol at least its min, a symbol read twice has one value, static dims stay", () => {
    const g = symbolicMlp();
    expect([
      ...bindSymbols(g, [
        [5, 4],
        [4, 10],
      ]),
    ]).toEqual([["B", 5]]);
    expect(() =>
      bindSymbols(g, [
        [0, 4],
        [4, 10],
      ]),
    ).toThrow("graph 'mlp': guard B >= 1 failed: B = 0 (from input 0 'x' dim 0)");
    expect(() =>
      bindSymbols(g, [
        [5, 3],
        [4, 10],
      ]),
    ).toThrow("graph 'mlp': input 0 'x' dim 1 is 3, the graph was compiled for 4 there");
    const two = new GraphBuilder("pair");
    const a = two.input("a", { shape: [30011], dtype: "float32" });
    const c = two.input("c", { shape: [30011], dtype: "float32" });
    two.output([two.op("add", [a, c])]);
    const pair = withSymbolic(specialize(two.build(), new Map()).renamed("pair"), {
      symbols: [{ name: "B", hint: 30011, min: 1 }],
      shapes: { a: [B], c: [B], add: [B] },
      attrs: {},
    });
    expect(() => bindSymbols(pair, [[5], [6]])).toThrow(
      "graph 'pair': guard B == B failed: input 1 'c' dim 0 is 6 but input 0 'a' dim 0 is 5",
    );
  });
});

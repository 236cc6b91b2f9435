// Printer snapshots. Every expected text here was written by hand before running the printer;
// the seed graph's oracle is DESIGN.md.
import { describe, expect, test } from "vitest";
import { GraphBuilder, meta, printGraph } from "../src/index.js";

describe("printGraph", () => {
  test("the DESIGN.md seed forward graph prints exactly as documented", () => {
    const b = new GraphBuilder("forward");
    const x = b.input("primals_1", meta([3]));
    const cos = b.op("cos", [x]);
    const cos1 = b.op("cos", [cos]);
    b.output([cos1, x, cos]);
    const g = b.build();
    // Copied verbatim from DESIGN.md, "The seed example in TypeScript".
    const documented = [
      "function forward(primals_1: f32[3]) {",
      "  const cos: f32[3] = cos(primals_1);",
      "  const cos_1: f32[3] = cos(cos);",
      "  return [cos_1, primals_1, cos];",
      "}",
    ].join("\n");
    expect(g.code).toBe(documented);
    expect(printGraph(g)).toBe(documented);
    expect(String(g)).toBe(documented);
    expect(g.code).toMatchInlineSnapshot(`
      "function forward(primals_1: f32[3]) {
        const cos: f32[3] = cos(primals_1);
        const cos_1: f32[3] = cos(cos);
        return [cos_1, primals_1, cos];
      }"
    `);
  });

  test("attributes: only non-default ones, in schema order; -Infinity and -0 spelled out", () => {
    const b = new GraphBuilder("attrs");
    const x = b.input("x", meta([1, 3, 224, 224]));
    const w = b.input("w", meta([64, 3, 7, 7]));
    const conv = b.op("conv2d", [x, w], { stride: [2, 2], padding: [3, 3], dilation: [1, 1], groups: 1 });
    const pool = b.op("maxPool2d", [conv], {
      kernelSize: [3, 3],
      stride: [2, 2],
      padding: [1, 1],
      ceilMode: false,
    });
    const s = b.op("sum", [pool], { dims: [2, 3], keepdim: true });
    const m = b.op("mean", [pool], { dims: [2, 3] });
    const sl = b.op("slice", [m], { dim: 1, start: 0, end: 64, step: 2 });
    const c = b.op("cast", [sl], { dtype: "float64" });
    const f = b.op("full", [], { shape: [], value: Number.NEGATIVE_INFINITY });
    const p = b.op("pad", [x], { before: [0, 0, 1, 1], after: [0, 0, 1, 1], value: -0 });
    const q = b.op("pad", [x], { before: [0, 0, 1, 1], after: [0, 0, 1, 1], value: 0 });
    b.output([s, c, f, p, q]);
    expect(b.build().code).toMatchInlineSnapshot(`
      "function attrs(x: f32[1,3,224,224], w: f32[64,3,7,7]) {
        const conv2d: f32[1,64,112,112] = conv2d(x, w, {stride: [2, 2], padding: [3, 3]});
        const maxPool2d: f32[1,64,56,56] = maxPool2d(conv2d, {kernelSize: [3, 3], stride: [2, 2], padding: [1, 1]});
        const sum: f32[1,64,1,1] = sum(maxPool2d, {dims: [2, 3], keepdim: true});
        const mean: f32[1,64] = mean(maxPool2d, {dims: [2, 3]});
        const slice: f32[1,32] = slice(mean, {dim: 1, start: 0, end: 64, step: 2});
        const cast: f64[1,32] = cast(slice, {dtype: "float64"});
        const full: f32[] = full({shape: [], value: -Infinity});
        const pad: f32[1,3,226,226] = pad(x, {before: [0, 0, 1, 1], after: [0, 0, 1, 1], value: -0});
        const pad_1: f32[1,3,226,226] = pad(x, {before: [0, 0, 1, 1], after: [0, 0, 1, 1]});
        return [sum, cast, full, pad, pad_1];
      }"
    `);
  });

  test("many inputs: parameters, a long call and the return list wrap one per line", () => {
    const b = new GraphBuilder("many");
    const xs = Array.from({ length: 12 }, (_, i) => b.input(`input_${i}`, meta([16, 16])));
    const cat = b.op("concat", xs, { dim: 0 });
    const total = b.op("sum", [cat], { dims: [0, 1] });
    b.output([cat, total, ...xs.slice(0, 10)]);
    expect(b.build().code).toMatchInlineSnapshot(`
      "function many(
        input_0: f32[16,16],
        input_1: f32[16,16],
        input_2: f32[16,16],
        input_3: f32[16,16],
        input_4: f32[16,16],
        input_5: f32[16,16],
        input_6: f32[16,16],
        input_7: f32[16,16],
        input_8: f32[16,16],
        input_9: f32[16,16],
        input_10: f32[16,16],
        input_11: f32[16,16],
      ) {
        const concat: f32[192,16] = concat(
          input_0,
          input_1,
          input_2,
          input_3,
          input_4,
          input_5,
          input_6,
          input_7,
          input_8,
          input_9,
          input_10,
          input_11,
          {dim: 0},
        );
        const sum: f32[] = sum(concat, {dims: [0, 1]});
        return [
          concat,
          sum,
          input_0,
          input_1,
          input_2,
          input_3,
          input_4,
          input_5,
          input_6,
          input_7,
          input_8,
          input_9,
        ];
      }"
    `);
  });

  test("the parameter list wraps only past 80 characters", () => {
    // "a: f32[1]" is 9 characters; 8 of them joined by ", " make 86, 7 make 75.
    const sig = (n: number) => {
      const b = new GraphBuilder("f");
      const xs = Array.from({ length: n }, (_, i) => b.input(String.fromCharCode(97 + i), meta([1])));
      b.output([xs[0]!]);
      return b.build().code.split("\n")[0];
    };
    expect(sig(7)).toBe(
      "function f(a: f32[1], b: f32[1], c: f32[1], d: f32[1], e: f32[1], f: f32[1], g: f32[1]) {",
    );
    expect(sig(8)).toBe("function f(");
  });

  test("int64 and bool values print as i64 and bool; 0-d as []", () => {
    const b = new GraphBuilder("masks");
    const x = b.input("x", meta([2, 5]));
    const labels = b.input("labels", meta([2], "int64"));
    const valid = b.input("valid", meta([2], "bool"));
    const idx = b.op("argmax", [x], { dim: 1 });
    const hit = b.op("eq", [idx, labels]);
    const both = b.op("logicalAnd", [hit, valid]);
    const none = b.op("logicalNot", [both]);
    const r = b.op("arange", [], { end: 2 });
    const sel = b.op("where", [both, r, labels]);
    const n = b.op("cast", [both], { dtype: "int32" });
    const count = b.op("sum", [n], { dims: [0] });
    b.output([sel, none, count]);
    expect(b.build().code).toMatchInlineSnapshot(`
      "function masks(x: f32[2,5], labels: i64[2], valid: bool[2]) {
        const argmax: i64[2] = argmax(x, {dim: 1});
        const eq: bool[2] = eq(argmax, labels);
        const logicalAnd: bool[2] = logicalAnd(eq, valid);
        const logicalNot: bool[2] = logicalNot(logicalAnd);
        const arange: i64[2] = arange({end: 2});
        const where: i64[2] = where(logicalAnd, arange, labels);
        const cast: i32[2] = cast(logicalAnd, {dtype: "int32"});
        const sum: i32[] = sum(cast, {dims: [0]});
        return [where, logicalNot, sum];
      }"
    `);
  });

  test("a graph with no inputs and no nodes", () => {
    const b = new GraphBuilder("constant");
    const f = b.op("full", [], { shape: [2, 2], value: 1, dtype: "float64" });
    b.output([f]);
    expect(b.build().code).toMatchInlineSnapshot(`
      "function constant() {
        const full: f64[2,2] = full({shape: [2, 2], value: 1, dtype: "float64"});
        return [full];
      }"
    `);
  });
});

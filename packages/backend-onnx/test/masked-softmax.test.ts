// softmax over a -inf mask (attention's causal mask) on ORT: lowered without ORT's Softmax, whose
// exp goes through denormals on every masked entry. Oracle: the reference interpreter, plus
// PyTorch's exact zeros at masked positions and NaN rows.
import { type Executable, type Graph, GraphBuilder, meta, TensorData } from "@aotjs/ir";
import { interpret } from "@aotjs/tensor";
import { afterAll, describe, expect, test } from "vitest";
import { lowerGraph, onnxCompiler } from "../src/node.js";

const compile = onnxCompiler({ intraOpNumThreads: 1 });
const live: Executable[] = [];
afterAll(async () => {
  await Promise.all(live.map((e) => e.dispose?.()));
});

const T = 6;
const shape = [2, 3, T, T];

/** softmax(where(causal, x, -inf)) over the last dim; `flipped` writes it where(!causal, -inf, x). */
function masked(flipped = false, dtype: "float32" | "float64" = "float32"): Graph {
  const b = new GraphBuilder("masked_softmax");
  const x = b.input("x", meta(shape, dtype));
  const keep = b.input("keep", meta([T, T], "bool"));
  const inf = b.op("full", [], { shape: [], value: Number.NEGATIVE_INFINITY, dtype });
  const w = flipped ? b.op("where", [b.op("logicalNot", [keep]), inf, x]) : b.op("where", [keep, x, inf]);
  b.output([b.op("softmax", [w], { dim: 3 })]);
  return b.build();
}

const causal = new TensorData(
  "bool",
  [T, T],
  Uint8Array.from({ length: T * T }, (_, i) => (i % T <= Math.floor(i / T) ? 1 : 0)),
);

/** A seeded uniform [-3, 3) input, with the overrides at flat indices. */
function input(overrides: Record<number, number> = {}, dtype: "float32" | "float64" = "float32") {
  const n = shape.reduce((a, d) => a * d, 1);
  let seed = 11;
  const data = dtype === "float32" ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    data[i] = (seed / 2 ** 32) * 6 - 3;
  }
  for (const [i, v] of Object.entries(overrides)) data[Number(i)] = v;
  return new TensorData(dtype, shape, data);
}

async function onOrt(g: Graph, inputs: TensorData[]): Promise<TensorData> {
  const exe = (await compile(g, g.inputMetas)) as Executable;
  live.push(exe);
  return (await exe.run(inputs))[0]!;
}

const opTypes = (g: Graph) => lowerGraph(g).model.graph!.node.map((n) => n.opType);

describe("softmax over a -inf mask on ORT", () => {
  test.each([false, true])(
    "matches the reference, masked entries exactly 0 (where(drop, -inf, x) form: %s)",
    async (flipped) => {
      const g = masked(flipped);
      // The slow path is ORT's Softmax; this lowering must not use it.
      expect(opTypes(g)).not.toContain("Softmax");
      const x = input();
      const got = await onOrt(g, [x, causal]);
      const [want] = interpret(g, [x, causal]);
      let worst = 0;
      got.data.forEach((v, i) => {
        const col = i % T;
        const row = Math.floor(i / T) % T;
        if (col > row) expect(v).toBe(0);
        worst = Math.max(worst, Math.abs(Number(v) - Number(want!.data[i])));
      });
      expect(worst).toBeLessThan(1e-6);
    },
  );

  test("a kept entry far below its row's max stays within 2e-28 of the reference; a NaN makes its row NaN", async () => {
    const g = masked();
    // Row 5 of the first head keeps all six entries: one is 200 below the rest (e^-200 underflows
    // to 0 in float32; the clamp gives e^-64/sum instead), and row 4 gets a NaN in a kept entry.
    const far = 5 * T + 2;
    const nan = 4 * T + 1;
    const x = input({ [far]: -200, [nan]: Number.NaN });
    const got = await onOrt(g, [x, causal]);
    const [want] = interpret(g, [x, causal]);
    expect(Math.abs(Number(got.data[far]) - Number(want!.data[far]))).toBeLessThan(2e-28);
    for (let c = 0; c < T; c++) {
      expect(Number.isNaN(Number(got.data[4 * T + c]))).toBe(true);
      expect(Number.isNaN(Number(want!.data[4 * T + c]))).toBe(true);
    }
    // The other rows are untouched by the NaN.
    for (let c = 0; c < T; c++) expect(Number.isNaN(Number(got.data[3 * T + c]))).toBe(false);
  });

  test("a fully masked row is NaN, as in the reference", async () => {
    const g = masked();
    const none = new TensorData("bool", [T, T], new Uint8Array(T * T));
    const x = input();
    const got = await onOrt(g, [x, none]);
    const [want] = interpret(g, [x, none]);
    expect(Number.isNaN(Number(want!.data[0]))).toBe(true);
    expect([...got.data].every((v) => Number.isNaN(Number(v)))).toBe(true);
  });

  test("float64 and unmasked softmaxes keep ORT's Softmax", () => {
    expect(opTypes(masked(false, "float64"))).toContain("Softmax");
    const b = new GraphBuilder("plain_softmax");
    b.output([b.op("softmax", [b.input("x", meta(shape))], { dim: 3 })]);
    expect(opTypes(b.build())).toContain("Softmax");
  });
});

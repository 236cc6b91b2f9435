// The table on its own: complete, valid for every op's shape rule, reproducible from its seed; and
// the generators keep the properties the consumers rely on (no kinks near 0, no ties).
import { checkNode, isFloating, type OpName, opNames, Value } from "@aotjs/ir";
import { expect, test } from "vitest";
import {
  awayFromZero,
  distinct,
  halfGrid,
  indices,
  makeSamples,
  type OpSample,
  positive,
  quarterGrid,
  rng,
  sampleSeed,
} from "../src/index.js";

const table = makeSamples();
const samplesOf = (op: OpName) => table[op] as readonly OpSample[];
const values = (t: { data: ArrayLike<number | bigint> }) => Array.from(t.data, Number);

test("every op has samples with distinct names, and every sample passes the op's shape rule", () => {
  for (const op of opNames) {
    const names = samplesOf(op).map((s) => s.name);
    expect(names.length, op).toBeGreaterThan(0);
    expect(new Set(names).size, `${op}: sample names`).toBe(names.length);
    for (const s of samplesOf(op)) {
      const inputs = s.inputs.map((t, i) => new Value(`x${i}`, t.meta));
      expect(() => checkNode(op, inputs, s.attrs, undefined), `${op} ${s.name}`).not.toThrow();
    }
  }
});

test("float inputs are float64 (consumers convert them to the dtype under test)", () => {
  for (const op of opNames) {
    for (const s of samplesOf(op)) {
      for (const t of s.inputs) if (isFloating(t.dtype)) expect(t.dtype, `${op} ${s.name}`).toBe("float64");
    }
  }
});

test("the same seed gives the same table; another seed other values", () => {
  const flat = (seed?: number) =>
    opNames.flatMap((op) =>
      (makeSamples(seed)[op] as readonly OpSample[]).flatMap((s) => s.inputs.map(values)),
    );
  expect(flat()).toEqual(flat(20240601));
  expect(flat(7)).not.toEqual(flat());
});

test("each op draws from its own stream: ops with the same recipe get different values", () => {
  // sin and cos (and lt and le) build their samples with the same generators and shapes, so only
  // their seeds, which mix in the op name, can make them differ.
  const inputsOf = (op: OpName) => samplesOf(op).flatMap((s) => s.inputs.map(values));
  expect(inputsOf("sin")).not.toEqual(inputsOf("cos"));
  expect(inputsOf("lt")).not.toEqual(inputsOf("le"));
  expect(sampleSeed(20240601, "sin")).not.toBe(sampleSeed(20240601, "cos"));
  expect(sampleSeed(7, "sin")).not.toBe(sampleSeed(20240601, "sin"));
  expect(new Set(opNames.map((op) => sampleSeed(20240601, op))).size).toBe(opNames.length);
});

test("generators: away from 0, positive, distinct, grids that never tie, indices in range", () => {
  const r = rng(1);
  expect(values(awayFromZero(r, [500])).every((v) => Math.abs(v) >= 0.3 && Math.abs(v) < 2)).toBe(true);
  expect(values(positive(r, [500])).every((v) => v >= 0.5 && v < 2)).toBe(true);
  const d = values(distinct(r, [200])).sort((a, b) => a - b);
  expect(d.slice(1).every((v, i) => v - d[i]! >= 0.05)).toBe(true);
  const half = new Set(values(halfGrid(r, [500])));
  expect(values(quarterGrid(r, [500])).some((v) => half.has(v))).toBe(false);
  const idx = indices(r, [500], 3, "int32");
  expect(idx.dtype).toBe("int32");
  expect(new Set(values(idx))).toEqual(new Set([0, 1, 2]));
});

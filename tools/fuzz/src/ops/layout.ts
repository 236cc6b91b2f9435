// Layout ops: reshape, permute, transpose, expand, squeeze/unsqueeze, flatten, slice, select, concat, pad, chunk.
import { cat, pad } from "@aotjs/tensor";
import { type Meta, numel, promoteDTypes, wrapDim } from "../program.js";
import { isFloat, isNumeric, shapeText } from "./helpers.js";
import { defineOps, type GenContext } from "./types.js";

const anyValue = (g: GenContext) => g.pick(() => true) ?? g.newInput(g.randomShape(), "float");
const ranked = (g: GenContext, min: number) =>
  g.pick((v) => v.meta.shape.length >= min) ??
  g.newInput([2, ...g.randomShape()].slice(0, Math.max(min, 2)), "float");
const neg = (g: GenContext, d: number, rank: number) => (g.rng.bool(0.3) ? d - rank : d);

function primeFactors(n: number): number[] {
  const out: number[] = [];
  for (let p = 2; n > 1 && p * p <= n; p++)
    while (n % p === 0) {
      out.push(p);
      n /= p;
    }
  if (n > 1) out.push(n);
  return out;
}

/** A random shape with `n` elements (ranks 0-4), one dim sometimes -1. */
function reshapeTarget(g: GenContext, n: number): number[] {
  const rank = g.rng.int(n === 1 ? 0 : 1, 4);
  const shape = Array.from({ length: rank }, () => 1);
  if (n === 0) {
    shape[g.rng.int(0, rank - 1)] = 0;
    return shape.map((d) => (d === 0 ? 0 : g.rng.pick([1, 2])));
  }
  for (const p of primeFactors(n)) shape[g.rng.int(0, rank - 1)]! *= p;
  if (rank > 0 && g.rng.bool(0.4)) shape[g.rng.int(0, rank - 1)] = -1;
  return shape;
}

function reshapeMeta(x: Meta, target: readonly number[]): Meta | string {
  const minus = target.filter((d) => d === -1).length;
  const known = numel(target.filter((d) => d !== -1));
  const n = numel(x.shape);
  if (minus > 1) return "reshape: more than one -1";
  if (minus === 1) {
    if (known === 0 || n % known !== 0) return `reshape: [${target}] is invalid for ${n} elements`;
    return { shape: target.map((d) => (d === -1 ? n / known : d)), dtype: x.dtype };
  }
  return known === n
    ? { shape: target, dtype: x.dtype }
    : `reshape: [${target}] is invalid for ${n} elements`;
}

export const layoutOps = defineOps({
  reshape: {
    weight: 1.2,
    gen(g) {
      const x = anyValue(g);
      return { args: [x.ref], attrs: { shape: reshapeTarget(g, numel(x.meta.shape)) } };
    },
    infer: ([x], attrs) => reshapeMeta(x!, attrs.shape as number[]),
    apply: ([x], attrs) => x!.reshape(attrs.shape as number[]),
    list: ([x], attrs) => `${x}.reshape(${shapeText(attrs.shape as number[])})`,
  },
  permute: {
    weight: 1,
    gen(g) {
      const x = ranked(g, 2);
      const rank = x.meta.shape.length;
      const dims = g.rng.shuffle(Array.from({ length: rank }, (_, i) => i)).map((d) => neg(g, d, rank));
      return { args: [x.ref], attrs: { dims } };
    },
    infer([x], attrs) {
      const rank = x!.shape.length;
      const dims = (attrs.dims as number[]).map((d) => wrapDim(d, rank));
      if (dims.length !== rank || dims.some((d) => d === undefined) || new Set(dims).size !== rank)
        return `permute: [${attrs.dims}] is not a permutation of ${rank} dims`;
      return { shape: dims.map((d) => x!.shape[d!]!), dtype: x!.dtype };
    },
    apply: ([x], attrs) => x!.permute(attrs.dims as number[]),
    list: ([x], attrs) => `${x}.permute(${shapeText(attrs.dims as number[])})`,
  },
  transpose: {
    weight: 0.8,
    gen(g) {
      const x = ranked(g, 2);
      const rank = x.meta.shape.length;
      const [a, b] = g.rng.shuffle(Array.from({ length: rank }, (_, i) => i));
      return { args: [x.ref], attrs: { dim0: neg(g, a!, rank), dim1: neg(g, b!, rank) } };
    },
    infer([x], attrs) {
      const rank = x!.shape.length;
      const a = wrapDim(attrs.dim0 as number, rank);
      const b = wrapDim(attrs.dim1 as number, rank);
      if (a === undefined || b === undefined || rank === 0) return "transpose: dims out of range";
      const shape = [...x!.shape];
      [shape[a], shape[b]] = [shape[b]!, shape[a]!];
      return { shape, dtype: x!.dtype };
    },
    apply: ([x], attrs) => x!.transpose(attrs.dim0 as number, attrs.dim1 as number),
    list: ([x], attrs) => `${x}.transpose(${attrs.dim0}, ${attrs.dim1})`,
  },
  expand: {
    weight: 1,
    gen(g) {
      const x = g.pick((v) => v.meta.shape.some((d) => d === 1) || v.meta.shape.length < 3) ?? anyValue(g);
      const lead = g.rng.bool(0.4) ? [g.rng.int(1, 3)] : [];
      const shape = [
        ...lead,
        ...x.meta.shape.map((d) => (d === 1 && g.rng.bool(0.7) ? g.rng.int(2, 4) : g.rng.bool(0.3) ? -1 : d)),
      ];
      return { args: [x.ref], attrs: { shape } };
    },
    infer([x], attrs) {
      const target = attrs.shape as number[];
      const offset = target.length - x!.shape.length;
      if (offset < 0) return "expand: fewer dims";
      const shape: number[] = [];
      for (let i = 0; i < target.length; i++) {
        const d = target[i]!;
        const own = i < offset ? undefined : x!.shape[i - offset]!;
        if (d === -1) {
          if (own === undefined) return "expand: -1 in a new leading dim";
          shape.push(own);
        } else if (own !== undefined && own !== 1 && own !== d) return `expand: [${x!.shape}] to [${target}]`;
        else shape.push(d);
      }
      return { shape, dtype: x!.dtype };
    },
    apply: ([x], attrs) => x!.expand(attrs.shape as number[]),
    list: ([x], attrs) => `${x}.expand(${shapeText(attrs.shape as number[])})`,
  },
  squeeze: {
    weight: 0.7,
    gen(g) {
      const x = g.pick((v) => v.meta.shape.includes(1)) ?? anyValue(g);
      const rank = x.meta.shape.length;
      const ones = x.meta.shape.flatMap((d, i) => (d === 1 ? [i] : []));
      const r = g.rng.next();
      const dim =
        r < 0.3 || rank === 0
          ? rank === 0 && g.rng.bool()
            ? g.rng.pick([0, -1])
            : null
          : r < 0.8 && ones.length
            ? neg(g, g.rng.pick(ones), rank)
            : g.rng.shuffle(Array.from({ length: rank }, (_, i) => i)).slice(0, g.rng.int(1, rank));
      return { args: [x.ref], attrs: { dim } };
    },
    infer([x], attrs) {
      const rank = x!.shape.length;
      const list =
        attrs.dim === null
          ? x!.shape.map((_, i) => i)
          : typeof attrs.dim === "number"
            ? [attrs.dim]
            : (attrs.dim as number[]);
      const dims = list.map((d) => wrapDim(d, rank));
      if (dims.some((d) => d === undefined) || new Set(dims).size !== dims.length) return "squeeze: bad dims";
      return { shape: x!.shape.filter((d, i) => !(d === 1 && dims.includes(i))), dtype: x!.dtype };
    },
    apply: ([x], attrs) => (attrs.dim === null ? x!.squeeze() : x!.squeeze(attrs.dim as number | number[])),
    list: ([x], attrs) => `${x}.squeeze(${attrs.dim === null ? "" : JSON.stringify(attrs.dim)})`,
  },
  unsqueeze: {
    weight: 0.7,
    gen(g) {
      const x = anyValue(g);
      const rank = x.meta.shape.length + 1;
      return { args: [x.ref], attrs: { dim: neg(g, g.rng.int(0, rank - 1), rank) } };
    },
    infer([x], attrs) {
      const d = wrapDim(attrs.dim as number, x!.shape.length + 1);
      if (d === undefined) return "unsqueeze: dim out of range";
      const shape = [...x!.shape];
      shape.splice(d, 0, 1);
      return { shape, dtype: x!.dtype };
    },
    apply: ([x], attrs) => x!.unsqueeze(attrs.dim as number),
    list: ([x], attrs) => `${x}.unsqueeze(${attrs.dim})`,
  },
  flatten: {
    weight: 0.5,
    gen(g) {
      const x = anyValue(g);
      const rank = x.meta.shape.length;
      if (rank === 0) return { args: [x.ref], attrs: { start: 0, end: -1 } };
      const a = g.rng.int(0, rank - 1);
      return { args: [x.ref], attrs: { start: a, end: neg(g, g.rng.int(a, rank - 1), rank) } };
    },
    infer([x], attrs) {
      const rank = x!.shape.length;
      if (rank === 0) return { shape: [1], dtype: x!.dtype };
      const s = wrapDim(attrs.start as number, rank);
      const e = wrapDim(attrs.end as number, rank);
      if (s === undefined || e === undefined || s > e) return "flatten: bad dims";
      const shape = [...x!.shape.slice(0, s), numel(x!.shape.slice(s, e + 1)), ...x!.shape.slice(e + 1)];
      return { shape, dtype: x!.dtype };
    },
    apply: ([x], attrs) => x!.flatten(attrs.start as number, attrs.end as number),
    list: ([x], attrs) => `${x}.flatten(${attrs.start}, ${attrs.end})`,
  },
  slice: {
    weight: 1,
    gen(g) {
      const x = ranked(g, 1);
      const rank = x.meta.shape.length;
      const d = g.rng.int(0, rank - 1);
      const size = x.meta.shape[d]!;
      const start = g.rng.int(-size - 1, size);
      const end = g.rng.bool(0.2) ? start : g.rng.int(start, size + 1);
      return { args: [x.ref], attrs: { dim: neg(g, d, rank), start, end, step: g.rng.pick([1, 1, 2, 3]) } };
    },
    infer([x], attrs) {
      const rank = x!.shape.length;
      const d = wrapDim(attrs.dim as number, rank);
      if (rank === 0 || d === undefined) return "slice: dim out of range";
      const size = x!.shape[d]!;
      const clamp = (i: number) => Math.min(size, Math.max(0, i < 0 ? i + size : i));
      const s = clamp(attrs.start as number);
      const e = Math.max(s, clamp(attrs.end as number));
      const shape = [...x!.shape];
      shape[d] = Math.ceil((e - s) / (attrs.step as number));
      return { shape, dtype: x!.dtype };
    },
    apply: ([x], attrs) =>
      x!.slice(attrs.dim as number, attrs.start as number, attrs.end as number, attrs.step as number),
    list: ([x], attrs) => `${x}.slice(${attrs.dim}, ${attrs.start}, ${attrs.end}, ${attrs.step})`,
  },
  select: {
    weight: 0.5,
    gen(g) {
      const x = g.pick((v) => v.meta.shape.length >= 1 && !v.meta.shape.includes(0)) ?? ranked(g, 1);
      const rank = x.meta.shape.length;
      const d = g.rng.int(0, rank - 1);
      const size = x.meta.shape[d]!;
      return { args: [x.ref], attrs: { dim: neg(g, d, rank), index: g.rng.int(-size, size - 1) } };
    },
    infer([x], attrs) {
      const rank = x!.shape.length;
      const d = wrapDim(attrs.dim as number, rank);
      if (rank === 0 || d === undefined) return "select: dim out of range";
      const size = x!.shape[d]!;
      const i = attrs.index as number;
      if (i < -size || i >= size) return `select: index ${i} out of range for size ${size}`;
      return { shape: x!.shape.filter((_, k) => k !== d), dtype: x!.dtype };
    },
    apply: ([x], attrs) => x!.select(attrs.dim as number, attrs.index as number),
    list: ([x], attrs) => `${x}.select(${attrs.dim}, ${attrs.index})`,
  },
  concat: {
    weight: 1,
    gen(g) {
      const x = ranked(g, 1);
      const rank = x.meta.shape.length;
      const d = g.rng.int(0, rank - 1);
      const fits = (m: Meta) =>
        m.shape.length === rank &&
        m.shape.every((s, i) => i === d || s === x.meta.shape[i]) &&
        m.dtype === x.meta.dtype;
      const others = Array.from({ length: g.rng.int(1, 2) }, () => {
        const r = g.rng.next();
        const found = r < 0.5 ? g.pick((v) => fits(v.meta)) : undefined;
        if (found) return found;
        if (r < 0.65) return x;
        const shape = [...x.meta.shape];
        shape[d] = g.rng.int(0, 3);
        return g.newInput(shape, x.meta.dtype);
      });
      return { args: [x.ref, ...others.map((o) => o.ref)], attrs: { dim: neg(g, d, rank) } };
    },
    infer(args, attrs) {
      const rank = args[0]!.shape.length;
      const d = wrapDim(attrs.dim as number, rank);
      if (rank === 0 || d === undefined) return "concat: 0-d tensors or dim out of range";
      if (
        !args.every(
          (m) => m.shape.length === rank && m.shape.every((s, i) => i === d || s === args[0]!.shape[i]),
        )
      )
        return "concat: shapes differ outside the dim";
      const shape = [...args[0]!.shape];
      shape[d] = args.reduce((n, m) => n + m.shape[d]!, 0);
      return { shape, dtype: args.map((m) => m.dtype).reduce(promoteDTypes) };
    },
    apply: (args, attrs) => cat(args, attrs.dim as number),
    list: (args, attrs) => `cat([${args.join(", ")}], ${attrs.dim})`,
  },
  pad: {
    weight: 0.7,
    gen(g) {
      const x = g.pick((v) => isNumeric(v.meta)) ?? anyValue(g);
      const rank = x.meta.shape.length;
      const amount = () => (g.rng.bool(0.5) ? 0 : g.rng.int(1, 2));
      return {
        args: [x.ref],
        attrs: {
          before: Array.from({ length: rank }, amount),
          after: Array.from({ length: rank }, amount),
          value: isFloat(x.meta) ? g.rng.pick([0, 1.5, -1]) : g.rng.pick([0, 2]),
        },
      };
    },
    infer([x], attrs) {
      const before = attrs.before as number[];
      const after = attrs.after as number[];
      if (!isNumeric(x!)) return "pad: bool tensors";
      if (before.length !== x!.shape.length || after.length !== x!.shape.length)
        return "pad: one entry per dim";
      return { shape: x!.shape.map((d, i) => d + before[i]! + after[i]!), dtype: x!.dtype };
    },
    apply: ([x], attrs) => pad(x!, attrs.before as number[], attrs.after as number[], attrs.value as number),
    list: ([x], attrs) =>
      `pad(${x}, ${shapeText(attrs.before as number[])}, ${shapeText(attrs.after as number[])}, ${attrs.value})`,
  },
  /** One piece of x.chunk(chunks, dim). */
  chunk: {
    weight: 0.5,
    gen(g) {
      const x = g.pick((v) => v.meta.shape.some((d) => d > 1)) ?? ranked(g, 1);
      const rank = x.meta.shape.length;
      const d = g.rng.int(0, rank - 1);
      const size = x.meta.shape[d]!;
      const chunks = g.rng.int(1, Math.max(1, size));
      const pieces = size === 0 ? 1 : Math.ceil(size / Math.ceil(size / chunks));
      return { args: [x.ref], attrs: { chunks, dim: neg(g, d, rank), index: g.rng.int(0, pieces - 1) } };
    },
    infer([x], attrs) {
      const rank = x!.shape.length;
      const d = wrapDim(attrs.dim as number, rank);
      if (rank === 0 || d === undefined) return "chunk: dim out of range";
      const size = x!.shape[d]!;
      const chunks = attrs.chunks as number;
      if (size === 0) return "chunk: empty dim";
      const piece = Math.ceil(size / chunks);
      const count = Math.ceil(size / piece);
      const index = attrs.index as number;
      if (index >= count) return `chunk: piece ${index} of ${count}`;
      const shape = [...x!.shape];
      shape[d] = Math.min(piece, size - index * piece);
      return { shape, dtype: x!.dtype };
    },
    apply: ([x], attrs) => x!.chunk(attrs.chunks as number, attrs.dim as number)[attrs.index as number]!,
    list: ([x], attrs) => `${x}.chunk(${attrs.chunks}, ${attrs.dim})[${attrs.index}]`,
  },
});

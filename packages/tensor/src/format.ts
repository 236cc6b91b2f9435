import { formatMeta, type TensorData } from "@aotjs/ir";
import type { Tensor } from "./tensor.js";

/** A tensor's values as nested arrays (what `toArray()` returns). */
export type Nested = number | boolean | Nested[];

export function toNested(t: TensorData): Nested {
  const read = (i: number): number | boolean => (t.dtype === "bool" ? t.data[i] !== 0 : Number(t.data[i]!));
  const build = (dim: number, offset: number, stride: number): Nested => {
    if (dim === t.shape.length) return read(offset);
    const size = t.shape[dim]!;
    const inner = stride / Math.max(size, 1);
    return Array.from({ length: size }, (_, i) => build(dim + 1, offset + i * inner, inner));
  };
  return build(0, 0, t.data.length);
}

const EDGE = 3;
const SUMMARIZE_OVER = 1000;

/** How torch picks a float style: fixed with 4 decimals, or scientific when the range is extreme. */
function floatFormatter(values: number[]): (v: number) => string {
  const finite = values.filter((v) => Number.isFinite(v));
  const nonzero = finite.map(Math.abs).filter((v) => v > 0);
  const max = nonzero.length ? Math.max(...nonzero) : 0;
  const min = nonzero.length ? Math.min(...nonzero) : 0;
  const special = (v: number) => (Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf");
  // torch's _Formatter: scientific when the nonzero magnitudes span more than 1000x or exceed 1e8,
  // or (for non-integral values) when one is below 1e-4. Exponents have two digits, as Python's.
  const wide = max > 1e8 || max / (min || 1) > 1000;
  const integral = finite.every(Number.isInteger);
  if (integral && !wide) return (v) => (Number.isFinite(v) ? `${v}.` : special(v));
  if (wide || (!integral && min > 0 && min < 1e-4)) {
    return (v) =>
      Number.isFinite(v)
        ? v.toExponential(4).replace(/e([+-])(\d)$/, (_, sign, digit) => `e${sign}0${digit}`)
        : special(v);
  }
  return (v) => (Number.isFinite(v) ? v.toFixed(4) : special(v));
}

/** torch-style printing: aligned columns, large tensors summarized with `...`. */
export function formatTensor(t: Tensor): string {
  const extras: string[] = [];
  if (t.dtype !== "float32" && t.dtype !== "int64" && t.dtype !== "bool") extras.push(`dtype=${t.dtype}`);
  if (t.gradFn) extras.push(`gradFn=<${t.gradFn.name}>`);
  else if (t.requiresGrad) extras.push("requiresGrad=true");
  const tail = extras.length ? `, ${extras.join(", ")}` : "";
  const d = t.dataOrUndefined;
  if (!d) return `FakeTensor(${formatMeta(t)}${tail})`;

  const summarize = d.size > SUMMARIZE_OVER;
  const shape = t.shape;
  const shown = (dim: number): (number | null)[] => {
    const n = shape[dim]!;
    if (!summarize || n <= 2 * EDGE) return Array.from({ length: n }, (_, i) => i);
    return [
      ...Array.from({ length: EDGE }, (_, i) => i),
      null,
      ...Array.from({ length: EDGE }, (_, i) => n - EDGE + i),
    ];
  };
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const visible: number[] = [];
  const collect = (dim: number, offset: number) => {
    if (dim === shape.length) return void visible.push(offset);
    for (const i of shown(dim)) if (i !== null) collect(dim + 1, offset + i * strides[dim]!);
  };
  collect(0, 0);
  const num = (i: number) => Number(d.data[i]!);
  const format =
    d.dtype === "bool"
      ? (i: number) => (d.data[i] ? "true" : "false")
      : d.dtype === "float32" || d.dtype === "float64"
        ? (
            (f) => (i: number) =>
              f(num(i))
          )(floatFormatter(visible.map(num)))
        : (i: number) => String(d.data[i]!);
  // As torch, only finite values set the column width: nan and inf are padded to it, never widen it.
  const isFloat = d.dtype === "float32" || d.dtype === "float64";
  const sized = isFloat ? visible.filter((i) => Number.isFinite(num(i))) : visible;
  const width = Math.max(1, ...sized.map((i) => format(i).length));
  const prefix = "tensor(";
  const render = (dim: number, offset: number, indent: number): string => {
    if (dim === shape.length) return format(offset).padStart(width);
    const parts = shown(dim).map((i) =>
      // torch writes the elided run as " ..." inside a row, "..." on a line of its own.
      i === null
        ? dim === shape.length - 1
          ? " ..."
          : "..."
        : render(dim + 1, offset + i * strides[dim]!, indent + 1),
    );
    const newlines = shape.length - dim - 1;
    const sep = newlines === 0 ? ", " : `,${"\n".repeat(newlines)}${" ".repeat(indent + 1)}`;
    return `[${parts.join(sep)}]`;
  };
  return `${prefix}${render(0, 0, prefix.length)}${tail})`;
}

import { attr } from "../attrs.js";
import { numel, type TensorMeta } from "../tensor-data.js";
import { checkDims, defineOp, fail, requireKind, requireSameDType } from "./define.js";

const fmt = (s: readonly number[]) => `[${s.join(",")}]`;

/** Shared by gather and scatterAdd: torch's rule that index fits inside x off the indexed dim. */
function checkIndex(x: TensorMeta, index: TensorMeta, dim: number): void {
  requireKind(index, "index", "int");
  if (index.shape.length !== x.shape.length) {
    fail(`index ${fmt(index.shape)} must have the same rank as x ${fmt(x.shape)}`);
  }
  checkDims([dim], x.shape.length, "dim");
  index.shape.forEach((d, i) => {
    if (i !== dim && d > x.shape[i]!)
      fail(`index ${fmt(index.shape)} is larger than x ${fmt(x.shape)} at dim ${i}`);
  });
}

export const layoutOps = {
  reshape: defineOp({
    category: "layout",
    inputs: ["x"],
    attrs: { shape: attr.ints({ min: 0 }) },
    infer: ([x], { shape }) => {
      if (numel(shape) !== numel(x!.shape)) {
        fail(
          `cannot reshape ${fmt(x!.shape)} (${numel(x!.shape)} elements) to ${fmt(shape)} (${numel(shape)})`,
        );
      }
      return { shape, dtype: x!.dtype };
    },
    doc: "same elements in row-major order, new shape (fully specified: no -1)",
  }),
  permute: defineOp({
    category: "layout",
    inputs: ["x"],
    attrs: { dims: attr.ints({ min: 0 }) },
    infer: ([x], { dims }) => {
      if (dims.length !== x!.shape.length)
        fail(`dims ${fmt(dims)} must list all ${x!.shape.length} dims of x`);
      checkDims(dims, dims.length);
      return { shape: dims.map((d) => x!.shape[d]!), dtype: x!.dtype };
    },
    doc: "output dim i is input dim dims[i]",
  }),
  expand: defineOp({
    category: "layout",
    inputs: ["x"],
    attrs: { shape: attr.ints({ min: 0 }) },
    infer: ([x], { shape }) => {
      const s = x!.shape;
      if (shape.length < s.length) fail(`cannot expand ${fmt(s)} to fewer dims ${fmt(shape)}`);
      s.forEach((d, i) => {
        const t = shape[shape.length - s.length + i]!;
        if (d !== t && d !== 1) fail(`cannot expand ${fmt(s)} to ${fmt(shape)}: size ${d} is not 1 or ${t}`);
      });
      return { shape, dtype: x!.dtype };
    },
    doc: "broadcast x to shape (fully specified: no -1)",
  }),
  squeeze: defineOp({
    category: "layout",
    inputs: ["x"],
    attrs: { dims: attr.ints({ min: 0 }) },
    infer: ([x], { dims }) => {
      checkDims(dims, x!.shape.length);
      for (const d of dims)
        if (x!.shape[d] !== 1) fail(`cannot squeeze dim ${d} of ${fmt(x!.shape)}: size is not 1`);
      return { shape: x!.shape.filter((_, i) => !dims.includes(i)), dtype: x!.dtype };
    },
    doc: "remove the listed size-1 dims",
  }),
  unsqueeze: defineOp({
    category: "layout",
    inputs: ["x"],
    attrs: { dims: attr.ints({ min: 0 }) },
    infer: ([x], { dims }) => {
      const rank = x!.shape.length + dims.length;
      checkDims(dims, rank);
      const rest = [...x!.shape];
      return {
        shape: Array.from({ length: rank }, (_, i) => (dims.includes(i) ? 1 : rest.shift()!)),
        dtype: x!.dtype,
      };
    },
    doc: "insert size-1 dims; dims are positions in the output",
  }),
  slice: defineOp({
    category: "layout",
    inputs: ["x"],
    attrs: {
      dim: attr.int({ min: 0 }),
      start: attr.int({ min: 0 }),
      end: attr.int({ min: 0 }),
      step: attr.int({ default: 1, min: 1 }),
    },
    infer: ([x], { dim, start, end, step }) => {
      checkDims([dim], x!.shape.length, "dim");
      const size = x!.shape[dim]!;
      if (start > end || end > size)
        fail(`slice [${start}:${end}] is not within 0 <= start <= end <= ${size} on dim ${dim}`);
      const shape = [...x!.shape];
      shape[dim] = Math.ceil((end - start) / step);
      return { shape, dtype: x!.dtype };
    },
    doc: "x[start:end:step] along dim; bounds are canonical (clamped, non-negative)",
  }),
  concat: defineOp({
    category: "layout",
    inputs: ["tensors"],
    variadic: true,
    attrs: { dim: attr.int({ min: 0 }) },
    infer: (xs, { dim }) => {
      const dtype = requireSameDType(
        xs,
        xs.map((_, i) => `tensors[${i}]`),
      );
      const first = xs[0]!.shape;
      checkDims([dim], first.length, "dim");
      let total = 0;
      xs.forEach((x, i) => {
        if (x.shape.length !== first.length || x.shape.some((d, j) => j !== dim && d !== first[j])) {
          fail(`tensors[${i}] ${fmt(x.shape)} does not match tensors[0] ${fmt(first)} off dim ${dim}`);
        }
        total += x.shape[dim]!;
      });
      const shape = [...first];
      shape[dim] = total;
      return { shape, dtype };
    },
    doc: "join tensors along dim",
  }),
  pad: defineOp({
    category: "layout",
    inputs: ["x"],
    attrs: { before: attr.ints({ min: 0 }), after: attr.ints({ min: 0 }), value: attr.float({ default: 0 }) },
    infer: ([x], { before, after }) => {
      const r = x!.shape.length;
      if (before.length !== r || after.length !== r)
        fail(`before and after must each have ${r} entries (one per dim)`);
      return { shape: x!.shape.map((d, i) => d + before[i]! + after[i]!), dtype: x!.dtype };
    },
    doc: "constant padding: before[i] and after[i] elements of value (converted as `cast` does) around dim i",
  }),
  gather: defineOp({
    category: "layout",
    inputs: ["x", "index"],
    attrs: { dim: attr.int({ min: 0 }) },
    infer: ([x, index], { dim }) => {
      checkIndex(x!, index!, dim);
      return { shape: index!.shape, dtype: x!.dtype };
    },
    doc: "torch.gather: out[i][j] = x[index[i][j]][j] for dim 0 (ONNX GatherElements); an out-of-range index is an error",
  }),
  scatterAdd: defineOp({
    category: "layout",
    inputs: ["x", "index", "src"],
    attrs: { dim: attr.int({ min: 0 }) },
    infer: ([x, index, src], { dim }) => {
      checkIndex(x!, index!, dim);
      requireSameDType([x!, src!], ["x", "src"]);
      if (fmt(index!.shape) !== fmt(src!.shape))
        fail(`index ${fmt(index!.shape)} and src ${fmt(src!.shape)} must have one shape`);
      return { shape: x!.shape, dtype: x!.dtype };
    },
    doc:
      "torch.scatter_add: a copy of x with src[i][j] added at x[index[i][j]][j] for dim 0, in src's row-major order " +
      "(bool adds as logical or); an out-of-range index is an error",
  }),
};

import type { LayoutOpName, ReductionOpName } from "@aotjs/ir";
import { pad, type Tensor, where } from "@aotjs/tensor";
import { sumToShape, unreduce, zerosOf } from "./helpers.js";
import { notDifferentiable, type RulesFor } from "./types.js";

type Structural = ReductionOpName | LayoutOpName;

/** amax/amin: ties share the gradient evenly, as in PyTorch. Needs a bool mask and a count only. */
function extremeRule(g: Tensor, x: Tensor, out: Tensor, dims: readonly number[], keepdim: boolean): Tensor {
  const mask = x.eq(unreduce(out, dims, keepdim));
  const count = mask.sum({ dim: [...dims], keepdim: true }).to(x.dtype);
  return where(mask, unreduce(g, dims, keepdim).div(count), 0);
}

/** Scatter a strided slice's gradient back: interleave zeros, then pad to the full dim. */
function sliceBackward(
  g: Tensor,
  shape: readonly number[],
  dim: number,
  start: number,
  end: number,
  step: number,
): Tensor {
  let spread = g;
  if (step > 1) {
    // [.., n, ..] -> [.., n, step, ..] with zeros after each element -> [.., n*step, ..], trimmed.
    const n = g.shape[dim]!;
    const before = g.shape.map(() => 0);
    const after = [...before, 0];
    after[dim + 1] = step - 1;
    spread = pad(g.unsqueeze(dim + 1), [...before, 0], after);
    const merged = [...g.shape];
    merged[dim] = n * step;
    spread = spread.reshape(merged).slice(dim, 0, end - start);
  }
  const before = shape.map(() => 0);
  const after = shape.map(() => 0);
  before[dim] = start;
  after[dim] = shape[dim]! - start - spread.shape[dim]!;
  return pad(spread, before, after);
}

export const structuralRules: RulesFor<Structural> = {
  sum: (g, { inputs: [x], attrs }) => [unreduce(g, attrs.dims, attrs.keepdim).expand(x!.shape)],
  mean: (g, { inputs: [x], attrs }) => {
    const count = attrs.dims.reduce((n, d) => n * x!.shape[d]!, 1);
    return [unreduce(g, attrs.dims, attrs.keepdim).div(count).expand(x!.shape)];
  },
  amax: (g, { inputs: [x], output, attrs }) => [extremeRule(g, x!, output, attrs.dims, attrs.keepdim)],
  amin: (g, { inputs: [x], output, attrs }) => [extremeRule(g, x!, output, attrs.dims, attrs.keepdim)],
  argmax: notDifferentiable,
  reshape: (g, { inputs: [x] }) => [g.reshape(x!.shape)],
  permute: (g, { attrs }) => {
    const inverse = new Array<number>(attrs.dims.length);
    attrs.dims.forEach((d, i) => {
      inverse[d] = i;
    });
    return [g.permute(inverse)];
  },
  expand: (g, { inputs: [x] }) => [sumToShape(g, x!.shape)],
  squeeze: (g, { inputs: [x] }) => [g.reshape(x!.shape)],
  unsqueeze: (g, { inputs: [x] }) => [g.reshape(x!.shape)],
  slice: (g, { inputs: [x], attrs }) => [
    sliceBackward(g, x!.shape, attrs.dim, attrs.start, attrs.end, attrs.step),
  ],
  concat: (g, { inputs, attrs, needsGrad }) => {
    let at = 0;
    return inputs.map((x, i) => {
      const n = x.shape[attrs.dim]!;
      const part = needsGrad[i] ? g.slice(attrs.dim, at, at + n) : null;
      at += n;
      return part;
    });
  },
  pad: (g, { inputs: [x], attrs }) => {
    let out = g;
    x!.shape.forEach((size, d) => {
      if (attrs.before[d] || attrs.after[d]) out = out.slice(d, attrs.before[d]!, attrs.before[d]! + size);
    });
    return [out];
  },
  gather: (g, { inputs: [x, index], attrs }) => [zerosOf(x!.shape, g).scatterAdd(attrs.dim, index!, g), null],
  scatterAdd: (g, { inputs: [, index], attrs, needsGrad }) => [
    needsGrad[0] ? g : null,
    null,
    needsGrad[2] ? g.gather(attrs.dim, index!) : null,
  ],
};

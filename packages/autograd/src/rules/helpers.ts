import { type Tensor, zeros } from "@aotjs/tensor";

/**
 * Undo broadcasting: sum `grad` down to `shape` (leading dims added by broadcasting, and dims where
 * the input had size 1). Every rule of a broadcasting op ends with this.
 */
export function sumToShape(grad: Tensor, shape: readonly number[]): Tensor {
  const lead = grad.ndim - shape.length;
  const dims: number[] = [];
  grad.shape.forEach((d, i) => {
    if (i < lead || (shape[i - lead] === 1 && d !== 1)) dims.push(i);
  });
  const summed = dims.length ? grad.sum({ dim: dims, keepdim: true }) : grad;
  return lead > 0 || summed.ndim !== shape.length ? summed.reshape(shape) : summed;
}

/** Zeros of `shape` with `like`'s dtype, for the gradient of a slice or gather. */
export const zerosOf = (shape: readonly number[], like: Tensor): Tensor =>
  zeros(shape, { dtype: like.dtype });

/** Put back the dims a reduction removed, so the gradient broadcasts against the input. */
export function unreduce(grad: Tensor, dims: readonly number[], keepdim: boolean): Tensor {
  if (keepdim) return grad;
  let g = grad;
  for (const d of [...dims].sort((a, b) => a - b)) g = g.unsqueeze(d);
  return g;
}

import { AotjsError, formatMeta, type TensorMeta } from "@aotjs/ir";

/** Every error `@aotjs/nn` raises; messages name the module or function, the op and the shapes. */
export class NNError extends AotjsError {
  override name = "NNError";
}

/** `f32[2,3]`, or a readable stand-in for a value that is not a tensor. */
export const describe = (x: unknown): string => {
  if (x !== null && typeof x === "object" && "shape" in x && "dtype" in x) return formatMeta(x as TensorMeta);
  if (x === null) return "null";
  return typeof x === "object" ? ((x as object).constructor?.name ?? "object") : typeof x;
};

/** `[2,3]`: a bare shape, spelled as in `formatMeta`. */
export const fmtShape = (s: readonly number[]): string => `[${s.join(",")}]`;

/** Decides a size bound while a tracer stands in for sizes: undefined leaves it to the plain comparison. */
export type SizeBoundHook = (size: number, max: number) => boolean | undefined;

let hook: SizeBoundHook | undefined;

/**
 * `size <= max`, for a size a model needs bounded (GPT's `T <= seqLen`; PyTorch's `torch._check`).
 * Written through this rather than `<=`, the bound survives symbolic tracing: aot traces a
 * symbolic dim at a large stand-in size, which a plain comparison would refuse; here the bound
 * becomes the guard `T <= max` on that symbol, checked at each call of the compiled function.
 */
export function sizeAtMost(size: number, max: number): boolean {
  return hook?.(size, max) ?? size <= max;
}

/** Run `fn` with size bounds decided by `h` (for tracers); restores the previous hook after. */
export function withSizeBounds<T>(h: SizeBoundHook, fn: () => T): T {
  const previous = hook;
  hook = h;
  try {
    return fn();
  } finally {
    hook = previous;
  }
}

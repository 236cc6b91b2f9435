// Shared by the Tensor API tests: flattening nested arrays and a tolerance comparison.
import { expect } from "vitest";
import type { Nested, Tensor } from "../src/index.js";

/** All leaves of a nested array as numbers (booleans become 0/1). */
export const flat = (x: Nested): number[] => (Array.isArray(x) ? x.flatMap(flat) : [Number(x)]);

/** The shape of a rectangular nested array. */
export function nestedShape(x: Nested): number[] {
  const shape: number[] = [];
  for (let level: Nested = x; Array.isArray(level); level = level[0] as Nested) shape.push(level.length);
  return shape;
}

/**
 * `t` has the shape of `expected` (a number stands for any one-element tensor) and each value is
 * within `tol` (relative above 1, absolute below); NaN must meet NaN, infinities must be equal.
 */
export function expectClose(t: Tensor, expected: Nested, tol = 1e-6): void {
  if (Array.isArray(expected)) expect(t.shape).toEqual(nestedShape(expected));
  else expect(t.numel()).toBe(1);
  const got = flat(t.toArray());
  const want = flat(expected);
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => {
    const w = want[i]!;
    if (Number.isNaN(w)) expect(g, `element ${i}`).toBeNaN();
    else if (!Number.isFinite(w)) expect(g, `element ${i}`).toBe(w);
    else
      expect(Math.abs(g - w), `element ${i}: ${g} vs ${w}`).toBeLessThanOrEqual(
        tol * Math.max(1, Math.abs(w)),
      );
  });
}

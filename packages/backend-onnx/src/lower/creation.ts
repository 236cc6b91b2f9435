import { type CreationOpName, numel } from "@aotjs/ir";
import type { LoweringContext } from "../context.js";
import { CAST_TO, type LoweringsFor } from "./types.js";

type CreationOp = CreationOpName;

/**
 * The reference generator (packages/ir/src/random.ts) in ONNX ops, bit for bit.
 *
 * It needs 32-bit xor, shifts, wrapping multiplies and adds. Opset 17 has no bitwise xor
 * (BitwiseXor arrived in opset 18), so graphs with random ops are exported at opset 18 or higher
 * (see `MIN_OPSET_FOR_RANDOM`). Everything runs on int64 holding values in [0, 2^32): shifts are
 * divisions by powers of two, wrap-around is Mod 2^32, and a 32-bit multiply is split into 16-bit
 * halves so no product passes 2^49 (no signed overflow, whose C++ behaviour is undefined):
 *   a * c mod 2^32 = (lo(a) * c + (hi(a) * c mod 2^16) * 2^16) mod 2^32.
 */
class Rng {
  constructor(readonly ctx: LoweringContext) {}
  k(v: number): string {
    return this.ctx.scalar("int64", v);
  }
  xor(a: string, b: string): string {
    return this.ctx.op("BitwiseXor", [a, b]);
  }
  shr(a: string, bits: number): string {
    return this.ctx.op("Div", [a, this.k(2 ** bits)]);
  }
  mod32(a: string): string {
    return this.ctx.op("Mod", [a, this.k(2 ** 32)]);
  }
  /** Math.imul(a, c) >>> 0 for a in [0, 2^32) and a constant c. */
  mul(a: string, c: number): string {
    const lo = this.ctx.op("Mod", [a, this.k(2 ** 16)]);
    const hi = this.shr(a, 16);
    const high = this.ctx.op("Mul", [
      this.ctx.op("Mod", [this.ctx.op("Mul", [hi, this.k(c)]), this.k(2 ** 16)]),
      this.k(2 ** 16),
    ]);
    return this.mod32(this.ctx.op("Add", [this.ctx.op("Mul", [lo, this.k(c)]), high]));
  }
  fmix32(h: string): string {
    h = this.xor(h, this.shr(h, 16));
    h = this.mul(h, 0x85ebca6b);
    h = this.xor(h, this.shr(h, 13));
    h = this.mul(h, 0xc2b2ae35);
    return this.xor(h, this.shr(h, 16));
  }
  /** `randomBits(seed, counter)` for int64 seed (scalar) and counters (any shape), all < 2^53. */
  bits(seed: string, counter: string): string {
    const seedLo = this.mod32(seed);
    const seedHi = this.shr(seed, 32);
    const ctrLo = this.mod32(counter);
    const ctrHi = this.shr(counter, 32);
    let h = this.fmix32(this.xor(ctrLo, this.fmix32(this.xor(seedLo, this.k(0x9e3779b9)))));
    h = this.fmix32(this.xor(this.xor(h, this.mul(ctrHi, 0x85ebca6b)), seedHi));
    return this.fmix32(this.mod32(this.ctx.op("Add", [h, this.k(0x27d4eb2f)])));
  }
  toDouble(a: string): string {
    return this.ctx.op("Cast", [a], { to: { int: CAST_TO.float64 } });
  }
}

/** The largest float32 strictly below `high`, as the reference's clamp uses. */
function largestFloat32Below(high: number): number {
  const f = new Float32Array([high]);
  if (f[0]! < high) return f[0]!;
  if (f[0] === 0) return -(2 ** -149);
  const bits = new Int32Array(f.buffer);
  bits[0]! += f[0]! > 0 ? -1 : 1;
  return f[0]!;
}

function largestFloat64Below(high: number): number {
  const f = new Float64Array([high]);
  if (f[0] === 0) return -(2 ** -1074);
  const bits = new BigInt64Array(f.buffer);
  bits[0]! += f[0]! > 0 ? -1n : 1n;
  return f[0]!;
}

/**
 * Reads the seed and offset inputs as int64 and builds the counter tensor offset + i (i < n) at
 * `scale` counters per element. Raises the runtime check the reference's range errors become.
 */
function counters(
  ctx: LoweringContext,
  node: { inputs: readonly { meta: { dtype: string } }[] },
  seedIn: string,
  offsetIn: string,
  n: number,
  limit: number,
): { seed: string; offset: string; index: string } {
  const asInt64 = (x: string, i: number) =>
    node.inputs[i]!.meta.dtype === "int64" ? x : ctx.op("Cast", [x], { to: { int: CAST_TO.int64 } });
  const seed = asInt64(seedIn, 0);
  const offset = asInt64(offsetIn, 1);
  ctx.check(
    () => {
      const bad = (x: string, max: number) =>
        ctx.op("Or", [
          ctx.op("Less", [x, ctx.scalar("int64", 0)]),
          ctx.op("Greater", [x, ctx.scalar("int64", max)]),
        ]);
      return ctx.op("Or", [bad(seed, 2 ** 53 - 1), bad(offset, Math.min(2 ** 53 - 1, limit - n))]);
    },
    `seed and offset must be in [0, 2^53) and offset + ${n} at most 2^${Math.log2(limit)}`,
  );
  const index = ctx.op("Range", [ctx.scalar("int64", 0), ctx.scalar("int64", n), ctx.scalar("int64", 1)]);
  return { seed, offset, index };
}

/** A uniform draw in [0, 1) as float64, with 24 random bits per element (exact in float32). */
function uniform24(rng: Rng, seed: string, ctr: string): string {
  const bits = rng.shr(rng.bits(seed, ctr), 8);
  return rng.ctx.op("Mul", [rng.toDouble(bits), rng.ctx.scalar("float64", 2 ** -24)]);
}

export const creationLowerings: LoweringsFor<CreationOp> = {
  full: (ctx, node) => {
    const { shape, value, dtype } = node.attrs;
    // A value computed from sizes (a mean's -count in its backward) cannot sit in an attribute.
    if (ctx.symbolic?.attrIsSymbolic(node.name, "value")) {
      const v = ctx.constant(dtype, [], [value]);
      return shape.length === 0
        ? ctx.op("Identity", [v], {}, ctx.out)
        : ctx.op("Expand", [v, ctx.ints(shape)], {}, ctx.out);
    }
    return ctx.op(
      "ConstantOfShape",
      [ctx.ints(shape)],
      { value: { tensor: ctx.tensorProto(dtype, [1], [value]) } },
      ctx.out,
    );
  },
  // start + i * step in float64, then converted: the value torch.arange (and the reference) gives.
  // ONNX Range in float32 would accumulate in float32, so the index runs in int64 and the affine
  // map in double; the length is the IR's, not recomputed.
  arange: (ctx, node) => {
    const { start, step, dtype } = node.attrs;
    const n = node.meta.shape[0]!;
    const i = ctx.op("Range", [ctx.scalar("int64", 0), ctx.scalar("int64", n), ctx.scalar("int64", 1)]);
    const v = ctx.op("Add", [
      ctx.op("Mul", [ctx.op("Cast", [i], { to: { int: CAST_TO.float64 } }), ctx.scalar("float64", step)]),
      ctx.scalar("float64", start),
    ]);
    return ctx.op("Cast", [v], { to: { int: CAST_TO[dtype] } }, ctx.out);
  },
  uniform: (ctx, node, [seedIn, offsetIn]) => {
    const { shape, low, high, dtype } = node.attrs;
    const n = numel(shape);
    const wide = dtype === "float64";
    const rng = new Rng(ctx);
    const { seed, offset, index } = counters(ctx, node, seedIn!, offsetIn!, n, wide ? 2 ** 52 : 2 ** 53);
    const ctr = ctx.op("Add", [offset, index]);
    let u: string;
    if (!wide) u = uniform24(rng, seed, ctr);
    else {
      // uniform53: counters 2c and 2c + 1, 27 + 26 bits joined exactly in a double.
      const even = ctx.op("Mul", [ctr, rng.k(2)]);
      const a = rng.toDouble(rng.shr(rng.bits(seed, even), 5));
      const b = rng.toDouble(rng.shr(rng.bits(seed, ctx.op("Add", [even, rng.k(1)])), 6));
      const joined = ctx.op("Add", [ctx.op("Mul", [a, ctx.scalar("float64", 2 ** 26)]), b]);
      u = ctx.op("Mul", [joined, ctx.scalar("float64", 2 ** -53)]);
    }
    // low + (high - low) * u in double, rounded once to the dtype, then clamped below high.
    let v = ctx.op("Add", [
      ctx.op("Mul", [u, ctx.scalar("float64", high - low)]),
      ctx.scalar("float64", low),
    ]);
    if (!wide) v = ctx.op("Cast", [v], { to: { int: CAST_TO.float32 } });
    const ceiling = low < high ? (wide ? largestFloat64Below(high) : largestFloat32Below(high)) : low;
    const clamped = ctx.op("Min", [v, ctx.scalar(dtype, ceiling)]);
    // allowzero = 1: an empty shape's 0 is a dim, not "copy the input's dim".
    return ctx.op("Reshape", [clamped, ctx.ints(shape)], { allowzero: { int: 1 } }, ctx.out);
  },
  bernoulli: (ctx, node, [seedIn, offsetIn]) => {
    const { shape, p } = node.attrs;
    const n = numel(shape);
    const rng = new Rng(ctx);
    const { seed, offset, index } = counters(ctx, node, seedIn!, offsetIn!, n, 2 ** 53);
    const u = uniform24(rng, seed, ctx.op("Add", [offset, index]));
    return ctx.op(
      "Reshape",
      [ctx.op("Less", [u, ctx.scalar("float64", p)]), ctx.ints(shape)],
      { allowzero: { int: 1 } },
      ctx.out,
    );
  },
};

/** BitwiseXor, which the generator needs, is an opset 18 op. */
export const MIN_OPSET_FOR_RANDOM = 18;

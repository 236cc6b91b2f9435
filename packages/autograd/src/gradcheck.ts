import { formatMeta, isFloating, TensorData } from "@aotjs/ir";
import { Tensor, zerosLike } from "@aotjs/tensor";
import { AutogradError, gradSync, noGrad } from "./engine.js";

/** Options of `gradcheck`: finite-difference step, tolerances, and whether a failure throws. */
export interface GradcheckOptions {
  readonly eps?: number;
  readonly atol?: number;
  readonly rtol?: number;
  /** Throw an AutogradError describing the worst element when the check fails (default true). */
  readonly raise?: boolean;
}

export interface GradcheckWorst {
  readonly input: number;
  readonly inputIndex: readonly number[];
  readonly output: number;
  readonly outputIndex: readonly number[];
  readonly analytic: number;
  readonly numeric: number;
}

/** What `gradcheck` found: whether analytic and numeric gradients agree, and the worst mismatch. */
export interface GradcheckResult {
  readonly passed: boolean;
  /** The element with the largest |analytic - numeric| - (atol + rtol * |numeric|). */
  readonly worst: GradcheckWorst | undefined;
}

const unravel = (i: number, shape: readonly number[]) => {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d]!;
    i = Math.floor(i / shape[d]!);
  }
  return idx;
};

const withElement = (t: Tensor, i: number, delta: number): Tensor => {
  const d = t.toData();
  const copy = (d.data as Float64Array).slice();
  copy[i] = copy[i]! + delta;
  return new Tensor(new TensorData("float64", d.shape, copy));
};

/**
 * torch.autograd.gradcheck: compares the analytic Jacobian (one backward per output element)
 * with central finite differences, in float64. Floating inputs are copied to float64 leaves (integer
 * and bool inputs are passed as they are and not checked); the function
 * may return a tensor or a list of tensors. Reports the worst element with its indices.
 */
export function gradcheck(
  fn: (...inputs: Tensor[]) => Tensor | readonly Tensor[],
  inputs: readonly Tensor[],
  { eps = 1e-6, atol = 1e-5, rtol = 1e-3, raise = true }: GradcheckOptions = {},
): GradcheckResult {
  const call = (xs: readonly Tensor[]): Tensor[] => {
    const out = fn(...xs);
    return Array.isArray(out) ? [...out] : [out as Tensor];
  };
  // Floating inputs become float64 leaves and are checked; integer and bool inputs (indices,
  // conditions) pass through as they are and are never perturbed.
  const checked = inputs.map((t) => isFloating(t.dtype));
  const leaves = inputs.map((t, i) =>
    checked[i] ? (t.dtype === "float64" ? t.detach() : t.detach().to("float64")).requiresGrad_() : t,
  );
  const wrt = leaves.filter((_, i) => checked[i]);
  const outputs = call(leaves);
  const diffOutputs = outputs.map((o, k) => [o, k] as const).filter(([o]) => o.requiresGrad);
  let worst: (GradcheckWorst & { excess: number }) | undefined;
  const consider = (w: GradcheckWorst) => {
    const excess = Math.abs(w.analytic - w.numeric) - (atol + rtol * Math.abs(w.numeric));
    if (!worst || excess > worst.excess) worst = { ...w, excess };
  };
  // Analytic: row (output element) by row, via vector-Jacobian products with one-hot vectors.
  const analytic = leaves.map((l) => diffOutputs.map(([o]) => new Float64Array(o.numel() * l.numel())));
  diffOutputs.forEach(([o], oi) => {
    for (let e = 0; e < o.numel(); e++) {
      const oneHot = noGrad(() => zerosLike(o).to("float64"));
      const hot = withElement(oneHot, e, 1).to(o.dtype);
      const grads = gradSync([o], wrt, { gradOutputs: [hot], retainGraph: true, allowUnused: true });
      let next = 0;
      leaves.forEach((l, i) => {
        if (!checked[i]) return;
        const gd = grads[next++]!.to("float64").toData().data as Float64Array;
        analytic[i]![oi]!.set(gd, e * l.numel());
      });
    }
  });
  // Numeric: column (input element) by column, central differences.
  noGrad(() => {
    leaves.forEach((l, i) => {
      if (!checked[i]) return;
      for (let j = 0; j < l.numel(); j++) {
        const plus = call(leaves.map((x, k) => (k === i ? withElement(x, j, eps) : x)));
        const minus = call(leaves.map((x, k) => (k === i ? withElement(x, j, -eps) : x)));
        diffOutputs.forEach(([o, k], oi) => {
          const p = plus[k]!.to("float64").toData().data as Float64Array;
          const m = minus[k]!.to("float64").toData().data as Float64Array;
          for (let e = 0; e < o.numel(); e++) {
            consider({
              input: i,
              inputIndex: unravel(j, l.shape),
              output: k,
              outputIndex: unravel(e, o.shape),
              numeric: (p[e]! - m[e]!) / (2 * eps),
              analytic: analytic[i]![oi]![e * l.numel() + j]!,
            });
          }
        });
      }
    });
  });
  const passed = worst === undefined || worst.excess <= 0;
  if (!passed && raise) {
    const w = worst!;
    throw new AutogradError(
      `gradcheck failed: d output ${w.output}[${w.outputIndex}] / d input ${w.input}[${w.inputIndex}] ` +
        `(${formatMeta(leaves[w.input]!)}): analytic ${w.analytic}, numeric ${w.numeric} (atol ${atol}, rtol ${rtol})`,
    );
  }
  if (!worst) return { passed, worst: undefined };
  const { excess: _excess, ...report } = worst;
  return { passed, worst: report };
}

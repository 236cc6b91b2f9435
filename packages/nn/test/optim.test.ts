import { type Tensor, tensor, zeros } from "@aotjs/tensor";
import { describe, expect, test } from "vitest";
import { Adam, AdamW, Linear, type Optimizer, Parameter, SGD } from "../src/index.js";
import { maxAbsDiff, values } from "./support.js";

// A 3-element float64 parameter and the gradients fed to it on steps 1, 2 and 3.
const p0 = [1, -2, 3];
const grads = [
  [0.5, -1, 2],
  [-0.3, 0.2, 1],
  [0.1, 0.4, -2],
];

const param = () => new Parameter(tensor(p0, { dtype: "float64" }));
const f64 = (xs: number[]) => tensor(xs, { dtype: "float64" });

function run(p: Tensor, opt: { step(): void; zeroGrad(): void }): number[][] {
  const history: number[][] = [];
  for (const g of grads) {
    p.grad = f64(g);
    opt.step();
    opt.zeroGrad();
    history.push(values(p));
  }
  return history;
}

/** torch.optim.SGD's documented algorithm, per element in float64. */
function sgdReference(o: {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}) {
  const { lr, momentum = 0, dampening = 0, weightDecay = 0, nesterov = false } = o;
  const p = [...p0];
  const buf: number[] = [];
  return grads.map((g, step) =>
    p.map((_, i) => {
      let gi = g[i]! + weightDecay * p[i]!;
      if (momentum !== 0) {
        buf[i] = step === 0 ? gi : momentum * buf[i]! + (1 - dampening) * gi;
        gi = nesterov ? gi + momentum * buf[i]! : buf[i]!;
      }
      p[i] = p[i]! - lr * gi;
      return p[i]!;
    }),
  );
}

/** torch.optim.Adam / AdamW's documented algorithm, per element in float64. */
function adamReference(o: {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  decoupled: boolean;
}) {
  const [b1, b2] = o.betas;
  const p = [...p0];
  const m = [0, 0, 0];
  const v = [0, 0, 0];
  return grads.map((g, k) => {
    const t = k + 1;
    return p.map((_, i) => {
      let gi = g[i]!;
      if (o.decoupled) p[i] = p[i]! * (1 - o.lr * o.weightDecay);
      else gi += o.weightDecay * p[i]!;
      m[i] = b1 * m[i]! + (1 - b1) * gi;
      v[i] = b2 * v[i]! + (1 - b2) * gi * gi;
      const mHat = m[i]! / (1 - b1 ** t);
      const vHat = v[i]! / (1 - b2 ** t);
      p[i] = p[i]! - (o.lr * mHat) / (Math.sqrt(vHat) + o.eps);
      return p[i]!;
    });
  });
}

const expectHistory = (got: number[][], want: number[][]) => {
  for (const [k, row] of got.entries())
    expect(maxAbsDiff(row, want[k]!), `step ${k + 1}`).toBeLessThanOrEqual(1e-12);
};

describe("SGD against PyTorch's formulas", () => {
  test("plain: p - lr * g (by hand: 1 - 0.1 * 0.5 = 0.95 after step 1)", () => {
    const p = param();
    const got = run(p, new SGD([p], { lr: 0.1 }));
    expect(got[0]![0]).toBeCloseTo(0.95, 14);
    expectHistory(got, sgdReference({ lr: 0.1 }));
  });

  test("momentum and dampening", () => {
    const p = param();
    expectHistory(
      run(p, new SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.2 })),
      sgdReference({ lr: 0.1, momentum: 0.9, dampening: 0.2 }),
    );
  });

  test("momentum with weight decay", () => {
    const p = param();
    const o = { lr: 0.05, momentum: 0.8, weightDecay: 0.1 };
    expectHistory(run(p, new SGD([p], o)), sgdReference(o));
  });

  test("nesterov", () => {
    const p = param();
    const o = { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 };
    expectHistory(run(p, new SGD([p], o)), sgdReference(o));
    expect(() => new SGD([param()], { lr: 0.1, nesterov: true })).toThrow(
      "SGD: nesterov needs momentum > 0 and dampening 0",
    );
  });

  test("parameters without a grad are skipped", () => {
    const a = param();
    const b = param();
    const opt = new SGD([a, b], { lr: 1 });
    a.grad = f64([1, 1, 1]);
    opt.step();
    expect(values(a)).toEqual([0, -3, 2]);
    expect(values(b)).toEqual(p0);
  });
});

describe("AdamW / Adam against PyTorch's formulas", () => {
  test("AdamW with decoupled weight decay, defaults betas (0.9, 0.999), eps 1e-8", () => {
    const p = param();
    const got = run(p, new AdamW([p], { lr: 0.01, weightDecay: 0.1 }));
    expectHistory(
      got,
      adamReference({ lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.1, decoupled: true }),
    );
    // By hand, step 1 moves each element by about lr * sign(g) after decay: 1 * (1 - 0.001) - 0.01.
    expect(got[0]![0]).toBeCloseTo(0.989, 6);
  });

  test("AdamW's default weight decay is 0.01", () => {
    const p = param();
    expectHistory(
      run(p, new AdamW([p], { lr: 0.1, betas: [0.8, 0.99] })),
      adamReference({ lr: 0.1, betas: [0.8, 0.99], eps: 1e-8, weightDecay: 0.01, decoupled: true }),
    );
  });

  test("Adam adds weight decay to the gradient (L2)", () => {
    const p = param();
    expectHistory(
      run(p, new Adam([p], { lr: 0.05, weightDecay: 0.2 })),
      adamReference({ lr: 0.05, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.2, decoupled: false }),
    );
  });
});

describe("Optimizer plumbing", () => {
  test("over module.parameters(); zeroGrad sets grads to null; groups override options", () => {
    const m = new Linear(3, 2);
    const opt = new SGD([{ params: [m.weight], lr: 0 }, { params: [m.bias!] }], { lr: 1 });
    const w = values(m.weight);
    const b = values(m.bias!);
    for (const p of m.parameters()) p.grad = p.mul(0).add(1);
    opt.step();
    expect(values(m.weight)).toEqual(w);
    expect(
      maxAbsDiff(
        values(m.bias!),
        b.map((v) => v - 1),
      ),
    ).toBeLessThan(1e-6);
    expect(m.weight.requiresGrad).toBe(true); // restored after the update
    opt.zeroGrad();
    expect(m.parameters().every((p) => p.grad === null)).toBe(true);
    expect(() => new SGD([], { lr: 1 })).toThrow("SGD: got an empty parameter list");
    expect(() => new SGD([m.weight, m.weight], { lr: 1 })).toThrow(/appears in more than one place/);
  });
  test("a grad of the wrong shape is an error before any parameter changes", () => {
    const a = param();
    const b = param();
    const opt = new SGD([a, b], { lr: 0.1, momentum: 0.9 });
    a.grad = f64([1, 1, 1]);
    b.grad = f64([1, 1]);
    expect(() => opt.step()).toThrow("SGD.step: grad f64[2] does not match its parameter f64[3]");
    expect(values(a)).toEqual(p0);
    expect(opt.state.size).toBe(0);
  });

  test("Optimizer.zeroGrad(false) zeroes NaN and infinite gradients too", () => {
    const p = new Parameter(zeros([2]));
    p.grad = tensor([Number.NaN, Number.POSITIVE_INFINITY]);
    new SGD([p], { lr: 0.1 }).zeroGrad(false);
    expect(p.grad?.toArray()).toEqual([0, 0]);
    expect(p.grad?.dtype).toBe("float32");
  });
});

describe("initialState: what a compiled step creates before its first trace", () => {
  // Oracle: the same optimizer's lazy eager first step. Starting from initialState's tensors
  // must give the same parameters and state, bit for bit.
  const make = {
    "SGD momentum": (ps: Parameter[]) => new SGD(ps, { lr: 0.1, momentum: 0.9 }),
    "SGD nesterov": (ps: Parameter[]) => new SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true }),
    Adam: (ps: Parameter[]) => new Adam(ps, { lr: 0.01, weightDecay: 0.1 }),
    "AdamW amsgrad": (ps: Parameter[]) => new AdamW(ps, { lr: 0.01, amsgrad: true }),
  } as const;
  test.each(Object.keys(make) as (keyof typeof make)[])(
    "%s: two steps equal the lazy path exactly",
    (name) => {
      const w = [0.3, -1.2, 2.5, 0.01, -0.7, 4];
      const gs = [
        [0.5, -0.25, 1.5, -3, 0.125, 2],
        [-1, 0.75, 0.5, 2, -0.5, 0.25],
      ];
      const run = (init: boolean) => {
        const p = new Parameter(tensor(w).reshape([2, 3]));
        const opt: Optimizer<object> = make[name]([p]);
        if (init) {
          const state = {};
          opt.state.set(p, state);
          opt.initialState(p, state, opt.paramGroups[0]!);
        }
        for (const g of gs) {
          p.grad = tensor(g).reshape([2, 3]);
          opt.step();
        }
        const st = opt.state.get(p)!;
        return [
          values(p),
          ...Object.keys(st)
            .sort()
            .map((k) => (typeof st[k] === "number" ? [st[k]] : values(st[k] as Tensor))),
        ];
      };
      expect(run(true)).toEqual(run(false));
    },
  );

  test("SGD with dampening keeps its buffer lazy (its first step is buf = g)", () => {
    const p = new Parameter(zeros([2]));
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.5 });
    const state: Record<string, unknown> = {};
    opt.initialState(p, state, opt.paramGroups[0]!);
    expect(state).toEqual({});
  });
});

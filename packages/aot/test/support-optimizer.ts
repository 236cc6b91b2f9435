// The aotOptimizer checks, shared by the interpreter run (aot-optimizer.test.ts) and the ORT run
// (backend-onnx/test/aot-optimizer.test.ts; aot cannot depend on backend-onnx, which depends on it).
// The oracle everywhere is the optimizer's own eager `step()` on an equal copy of the parameters,
// fed equal gradients.
import type { Compiler, DType } from "@aotjs/ir";
import { Adam, AdamW, F, Linear, Module, type Optimizer, Parameter, SGD } from "@aotjs/nn";
import { manualSeed, randn, Tensor } from "@aotjs/tensor";
import { describe, expect, test } from "vitest";
import { type AotOptimizerOptions, aotOptimizer } from "../src/index.js";
import { maxRelDiff } from "./support.js";

/** Shapes of the test "model": small and larger tensors, a 0-d one, so flattening has something to group. */
const SHAPES: readonly (readonly number[])[] = [[4, 3], [3], [2, 2, 5], [1], [], [6]];
const STEPS = 5;

type MakeOptimizer = (params: Tensor[][]) => Optimizer<object>;
/** What a step does: "c" compiled, "e" eager on the compiled side's optimizer. */
type Schedule = readonly ("c" | "e")[];

export interface SuiteOptions {
  readonly name: string;
  readonly compiler: () => Compiler;
  /** Largest relative difference allowed from eager, per dtype. */
  readonly tol: Readonly<Record<"float32" | "float64", number>>;
}

interface RunOptions {
  readonly dtype?: DType;
  /** Parameter groups: which of SHAPES each group holds. Default one group with all. */
  readonly groups?: readonly (readonly number[])[];
  /** Null grad for parameter `i` at step `s`. */
  readonly nullGrad?: (step: number, i: number) => boolean;
  readonly schedule?: Schedule;
  /** Called before step `s` on both optimizers (a scheduler). */
  readonly before?: (step: number, opt: Optimizer<object>) => void;
  readonly aot?: AotOptimizerOptions;
}

function makeParams(dtype: DType, groups: readonly (readonly number[])[]): Tensor[][] {
  manualSeed(11);
  const all = SHAPES.map((s) => new Parameter(randn(s, { dtype })));
  return groups.map((g) => g.map((i) => all[i]!));
}

const copyParams = (ps: Tensor[][]): Tensor[][] =>
  ps.map((g) => g.map((p) => new Parameter(new Tensor(p.toData()))));

function expectStateClose(
  actual: Record<string, unknown>,
  expected: Record<string, unknown>,
  tol: number,
  what: string,
) {
  expect(Object.keys(actual).sort(), `${what}: state keys`).toEqual(Object.keys(expected).sort());
  for (const [k, v] of Object.entries(expected)) {
    const a = actual[k];
    if (v instanceof Tensor) {
      expect(a, `${what}: state.${k}`).toBeInstanceOf(Tensor);
      expect(maxRelDiff(a as Tensor, v), `${what}: state.${k}`).toBeLessThanOrEqual(tol);
    } else expect(a, `${what}: state.${k}`).toEqual(v);
  }
}

/**
 * Runs STEPS steps on two equal copies, eagerly and per `schedule`, with the same gradients, and
 * compares every parameter and every state entry after each step. Returns the compiled side.
 */
async function againstEager(make: MakeOptimizer, suite: SuiteOptions, o: RunOptions = {}) {
  const dtype = o.dtype ?? "float32";
  const tol = suite.tol[dtype as "float32" | "float64"];
  const groups = o.groups ?? [SHAPES.map((_, i) => i)];
  const eagerParams = makeParams(dtype, groups);
  const aotParams = copyParams(eagerParams);
  const eager = make(eagerParams);
  const opt = make(aotParams);
  const compiled = aotOptimizer(opt, { compiler: suite.compiler(), ...o.aot });
  const flatEager = eagerParams.flat();
  const flatAot = aotParams.flat();
  manualSeed(5);
  try {
    for (let s = 0; s < STEPS; s++) {
      flatEager.forEach((p, i) => {
        const g = o.nullGrad?.(s, i) ? null : randn(p.shape, { dtype });
        p.grad = g;
        flatAot[i]!.grad = g && new Tensor(g.toData());
      });
      o.before?.(s, eager);
      o.before?.(s, opt);
      eager.step();
      if ((o.schedule?.[s] ?? "c") === "c") await compiled.step();
      else opt.step();
      flatEager.forEach((p, i) => {
        const q = flatAot[i]!;
        expect(maxRelDiff(q, p), `step ${s} param ${i}`).toBeLessThanOrEqual(tol);
        const es = eager.state.get(p);
        const as = opt.state.get(q);
        if (!es) expect(as, `step ${s} param ${i}: no state`).toBeUndefined();
        else expectStateClose(as!, es, tol, `step ${s} param ${i}`);
      });
    }
    return { compiled, opt, params: flatAot };
  } finally {
    await compiled.dispose();
  }
}

const FLATTEN: readonly (readonly [string, AotOptimizerOptions])[] = [
  ["per parameter", { flattenBelow: 0 }],
  ["some flattened", { flattenBelow: 10 }],
  ["all flattened", { flattenBelow: Number.POSITIVE_INFINITY }],
];

const cases: readonly (readonly [string, MakeOptimizer])[] = [
  ["SGD", (ps) => new SGD(ps.flat(), { lr: 0.1 })],
  ["SGD momentum", (ps) => new SGD(ps.flat(), { lr: 0.1, momentum: 0.9 })],
  ["SGD momentum + dampening", (ps) => new SGD(ps.flat(), { lr: 0.1, momentum: 0.9, dampening: 0.3 })],
  ["SGD nesterov", (ps) => new SGD(ps.flat(), { lr: 0.1, momentum: 0.9, nesterov: true })],
  ["SGD weightDecay", (ps) => new SGD(ps.flat(), { lr: 0.1, weightDecay: 0.05 })],
  [
    "SGD momentum + weightDecay + maximize",
    (ps) => new SGD(ps.flat(), { lr: 0.1, momentum: 0.8, weightDecay: 0.05, maximize: true }),
  ],
  ["Adam", (ps) => new Adam(ps.flat(), { lr: 0.01 })],
  ["Adam L2 weightDecay", (ps) => new Adam(ps.flat(), { lr: 0.01, weightDecay: 0.1 })],
  ["AdamW", (ps) => new AdamW(ps.flat(), { lr: 0.01 })],
  ["AdamW amsgrad", (ps) => new AdamW(ps.flat(), { lr: 0.01, amsgrad: true })],
  ["AdamW maximize", (ps) => new AdamW(ps.flat(), { lr: 0.01, maximize: true, betas: [0.8, 0.99] })],
];

export function optimizerSuite(suite: SuiteOptions): void {
  describe(`aotOptimizer on ${suite.name}`, () => {
    for (const [layout, aot] of FLATTEN) {
      describe(layout, () => {
        for (const [name, make] of cases) {
          test(`${name}: float32, ${STEPS} steps, params and state as eager`, async () => {
            await againstEager(make, suite, { aot });
          });
        }

        test("float64 (SGD momentum, AdamW amsgrad)", async () => {
          await againstEager(cases[1]![1], suite, { dtype: "float64", aot });
          await againstEager(cases[9]![1], suite, { dtype: "float64", aot });
        });

        test("two param groups with different lr and momentum", async () => {
          const make: MakeOptimizer = ([a, b]) =>
            new SGD(
              [
                { params: a!, lr: 0.1, momentum: 0.9 },
                { params: b!, lr: 0.01, momentum: 0.5 },
              ],
              { lr: 1 },
            );
          await againstEager(make, suite, {
            groups: [
              [0, 2, 4],
              [1, 3, 5],
            ],
            aot,
          });
          const makeAdam: MakeOptimizer = ([a, b]) =>
            new AdamW([{ params: a! }, { params: b!, lr: 0.03, weightDecay: 0 }], { lr: 0.01 });
          await againstEager(makeAdam, suite, {
            groups: [
              [0, 1],
              [2, 3, 4, 5],
            ],
            aot,
          });
        });

        test("null grads are skipped; Adam step counts diverge per parameter", async () => {
          const nullGrad = (s: number, i: number) => (s + i) % 3 === 0;
          await againstEager(cases[1]![1], suite, { nullGrad, aot });
          await againstEager(cases[9]![1], suite, { nullGrad, aot });
        });

        test("compiled and eager steps mixed give the eager trajectory", async () => {
          const schedule: Schedule = ["e", "c", "e", "c", "c"];
          await againstEager(cases[2]![1], suite, { schedule, aot });
          await againstEager(cases[8]![1], suite, { schedule: ["c", "e", "c", "e", "c"], aot });
        });
      });
    }

    test("float32 and float64 parameters in one group, a float64 grad for a float32 parameter", async () => {
      manualSeed(3);
      const make = () => [
        new Parameter(randn([3, 4])),
        new Parameter(randn([5], { dtype: "float64" })),
        new Parameter(randn([2])),
      ];
      const ps = make();
      const ref = ps.map((p) => new Parameter(new Tensor(p.toData())));
      const eager = new AdamW(ref, { lr: 0.01, amsgrad: true });
      const opt = new AdamW(ps, { lr: 0.01, amsgrad: true });
      const compiled = aotOptimizer(opt, { compiler: suite.compiler() });
      try {
        for (let s = 0; s < 3; s++) {
          ps.forEach((p, i) => {
            p.grad = randn(p.shape, { dtype: i === 2 ? "float64" : p.dtype });
            ref[i]!.grad = p.grad;
          });
          eager.step();
          await compiled.step();
          ps.forEach((p, i) => {
            expect(p.dtype).toBe(ref[i]!.dtype);
            expect(maxRelDiff(p, ref[i]!), `step ${s} param ${i}`).toBeLessThanOrEqual(
              suite.tol[p.dtype as "float32"],
            );
            expectStateClose(
              opt.state.get(p)!,
              eager.state.get(ref[i]!)!,
              suite.tol[p.dtype as "float32"],
              `step ${s} param ${i}`,
            );
          });
        }
      } finally {
        await compiled.dispose();
      }
    });

    test("lr (and Adam's bias corrections) are graph inputs: a new lr every step does not recompile; initial state needs no second graph", async () => {
      const before = (s: number, opt: Optimizer<object>) => {
        for (const g of opt.paramGroups as unknown as { lr: number }[]) g.lr = 0.05 / (s + 1);
      };
      // Plain SGD creates no state: one graph for every step.
      const sgd = await againstEager(cases[0]![1], suite, { before });
      expect(sgd.compiled.stats()).toMatchObject({ steps: STEPS, compiles: 1, cacheHits: STEPS - 1 });
      // Momentum and Adam: the optimizer's initialState (zeros) exists before the first trace, so
      // step 1 runs the steady graph too.
      const momentum = await againstEager(cases[1]![1], suite, { before });
      expect(momentum.compiled.stats()).toMatchObject({ compiles: 1, cacheHits: STEPS - 1 });
      const adam = await againstEager(cases[8]![1], suite, { before });
      expect(adam.compiled.stats()).toMatchObject({ compiles: 1, cacheHits: STEPS - 1 });
      const amsgrad = await againstEager(cases[9]![1], suite, { before });
      expect(amsgrad.compiled.stats()).toMatchObject({ compiles: 1, cacheHits: STEPS - 1 });
      // Dampening skips the first step's buffer (buf = g): that buffer stays lazy, two graphs.
      const dampened = await againstEager(cases[2]![1], suite, { before });
      expect(dampened.compiled.stats()).toMatchObject({ compiles: 2, cacheHits: STEPS - 2 });
    });

    test("parameters and in-place state keep their Tensor objects", async () => {
      const { opt, params } = await againstEager(cases[1]![1], suite, {});
      const buffers = params.map((p) => opt.state.get(p)!.momentumBuffer);
      const compiled = aotOptimizer(opt, { compiler: suite.compiler() });
      try {
        for (const p of params) p.grad = randn(p.shape);
        await compiled.step();
        params.forEach((p, i) => {
          expect(opt.state.get(p)!.momentumBuffer, `param ${i}`).toBe(buffers[i]);
        });
      } finally {
        await compiled.dispose();
      }
    });

    test("a grad whose shape does not match its parameter: eager's error, and nothing changes", async () => {
      const ps = makeParams("float32", [SHAPES.map((_, i) => i)]).flat();
      const eager = new SGD(copyParams([ps]).flat(), { lr: 0.1, momentum: 0.9 });
      const opt = new SGD(ps, { lr: 0.1, momentum: 0.9 });
      const compiled = aotOptimizer(opt, { compiler: suite.compiler() });
      try {
        const before = ps.map((p) => p.toData());
        ps.forEach((p, i) => {
          p.grad = randn(i === 2 ? [5, 4] : p.shape);
          eager.paramGroups[0]!.params[i]!.grad = p.grad;
        });
        let eagerError: unknown;
        try {
          eager.step();
        } catch (e) {
          eagerError = e;
        }
        expect(String(eagerError)).toMatch(
          /SGD\.step: grad f32\[5,4\] does not match its parameter f32\[2,2,5\]/,
        );
        await expect(compiled.step()).rejects.toThrow((eagerError as Error).message);
        ps.forEach((p, i) => {
          expect(p.toData(), `param ${i}`).toBe(before[i]);
        });
        expect(opt.state.size).toBe(0);
        expect(compiled.stats().steps).toBe(0);
      } finally {
        await compiled.dispose();
      }
    });
  });
}

/** A small model whose forward is its loss: a Linear, a tanh, a Linear, mean squared error. */
class RegressionLoss extends Module {
  readonly fc1 = new Linear(5, 7);
  readonly fc2 = new Linear(7, 2);
  override forward(x: Tensor, y: Tensor): Tensor {
    return F.mseLoss(this.fc2.forward((this.fc1.forward(x) as Tensor).tanh()) as Tensor, y);
  }
}

/**
 * `trainStep` (forward, backward and the update as one graph) against the eager loop it replaces:
 * forward, `loss.backward()`, `step()` on an equal copy. The gradients come from different
 * kernels here (the compiled graph against eager autograd), hence a tolerance of its own.
 */
export function trainStepSuite(suite: SuiteOptions & { readonly trainTol: number }): void {
  describe(`aotOptimizer.trainStep on ${suite.name}`, () => {
    for (const [layout, aot] of FLATTEN) {
      for (const [name, make] of cases.filter(([n]) =>
        ["SGD momentum", "AdamW", "Adam L2 weightDecay"].includes(n),
      )) {
        test(`${name}, ${layout}: ${STEPS} steps, losses, params and state as the eager loop`, async () => {
          manualSeed(21);
          const eagerModel = new RegressionLoss();
          const model = new RegressionLoss();
          model.loadStateDict(eagerModel.stateDict());
          const eager = make([eagerModel.parameters()]);
          const opt = make([model.parameters()]);
          const compiled = aotOptimizer(opt, { compiler: suite.compiler(), ...aot });
          const x = randn([6, 5]);
          const y = randn([6, 2]);
          try {
            for (let s = 0; s < STEPS; s++) {
              eager.zeroGrad();
              const want = eagerModel.forward(x, y);
              await want.backward();
              eager.step();
              const loss = await compiled.trainStep(model, x, y);
              expect(maxRelDiff(loss, want), `step ${s} loss`).toBeLessThanOrEqual(suite.trainTol);
              eagerModel.parameters().forEach((p, i) => {
                const q = model.parameters()[i]!;
                expect(maxRelDiff(q, p), `step ${s} param ${i}`).toBeLessThanOrEqual(suite.trainTol);
                expectStateClose(
                  opt.state.get(q)!,
                  eager.state.get(p)!,
                  suite.trainTol,
                  `step ${s} param ${i}`,
                );
              });
            }
            expect(compiled.stats().steps).toBe(STEPS);
          } finally {
            await compiled.dispose();
          }
        });
      }
    }
  });
}

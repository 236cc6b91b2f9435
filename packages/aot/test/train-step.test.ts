// aotOptimizer(...).trainStep: forward, backward and the optimizer's update as one compiled graph.
// Oracle: the same steps eagerly (the module's forward, loss.backward(), optimizer.step()) on
// the reference kernels, from the same initial parameters. The optimizers and layouts are covered
// by support-optimizer.ts's trainStepSuite, on the interpreter and on ORT; this file has BatchNorm,
// mixing with eager steps, and the errors.
import { AdamW, Linear, Module, mlp, SGD } from "@aotjs/nn";
import { manualSeed, randint, randn, type Tensor } from "@aotjs/tensor";
import { describe, expect, it } from "vitest";
import { aotOptimizer } from "../src/index.js";
import { ConvLoss, values } from "./support.js";

const snapshot = (m: Module) => [...m.parameters(), ...m.buffers()].map(values);

describe("trainStep", () => {
  it("updates BatchNorm's running statistics and can be mixed with eager steps", async () => {
    manualSeed(2);
    const a = new ConvLoss();
    const b = new ConvLoss();
    b.loadStateDict(a.stateDict());
    const x = randn([2, 3, 5, 5]);
    const y = randint(0, 3, [2]);
    const optA = new AdamW(a.parameters(), { lr: 0.01 });
    const optB = new AdamW(b.parameters(), { lr: 0.01 });
    const stepper = aotOptimizer(optB);
    for (let i = 0; i < 3; i++) {
      optA.zeroGrad();
      await a.forward(x, y).backward();
      optA.step();
      if (i === 1) {
        // an eager step in between: the compiled one picks up the state it leaves
        optB.zeroGrad();
        await b.forward(x, y).backward();
        optB.step();
        optB.zeroGrad();
      } else await stepper.trainStep(b, x, y);
    }
    snapshot(b).forEach((p, i) => {
      const want = snapshot(a)[i]!;
      p.forEach((v, k) => {
        expect(v).toBeCloseTo(want[k]!, 5);
      });
    });
  });

  it("refuses a forward that is not a 0-d loss, and a parameter the loss does not reach, changing nothing", async () => {
    manualSeed(3);
    const net = mlp([4, 3]);
    const stepper = aotOptimizer(new SGD(net.parameters(), { lr: 0.1 }));
    const before = snapshot(net);
    await expect(stepper.trainStep(net, randn([2, 4]))).rejects.toThrow(/0-d floating loss.*float32\[2,3\]/);
    class Partial extends Module {
      readonly used = new Linear(4, 1);
      readonly unused = new Linear(4, 1);
      override forward(x: Tensor): Tensor {
        return (this.used.forward(x) as Tensor).sum();
      }
    }
    const p = new Partial();
    const opt = new AdamW(p.parameters());
    await expect(aotOptimizer(opt).trainStep(p, randn([2, 4]))).rejects.toThrow(
      /does not depend on parameter unused.weight, unused.bias/,
    );
    expect(opt.state.size).toBe(0); // Adam's step counts were rolled back
    expect(snapshot(net)).toEqual(before);
  });
});

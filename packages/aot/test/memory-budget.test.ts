// Training under a memory budget: aotModule with memoryBudgetPartition at budgets 1, 0.5 and 0 on
// gptMini and a conv net. Oracle: eager autograd on a twin of the model (same state), gradient by
// gradient; and the partitions themselves save fewer bytes as the budget falls.
import { BatchNorm2d, Conv2d, F, gptMini, Linear, Module, ReLU } from "@aotjs/nn";
import { type MemoryBudgetResult, memoryBudgetPartition } from "@aotjs/partitioner";
import { manualSeed, randint, randn, type Tensor } from "@aotjs/tensor";
import { describe, expect, it } from "vitest";
import { aotModule } from "../src/index.js";
import { expectClose } from "./support.js";

class ConvNet extends Module {
  conv1 = new Conv2d(3, 4, 3, { padding: 1 });
  bn1 = new BatchNorm2d(4);
  relu = new ReLU();
  conv2 = new Conv2d(4, 4, 3, { padding: 1 });
  fc = new Linear(4 * 6 * 6, 5);
  override forward(x: Tensor): Tensor {
    const h = this.relu.forward(this.bn1.forward(this.conv1.forward(x)));
    return this.fc.forward(this.relu.forward(this.conv2.forward(h)).flatten(1));
  }
}

function twins<M extends Module>(make: () => M): [M, M] {
  const a = make();
  const b = make();
  b.loadStateDict(a.stateDict());
  return [a, b];
}

describe.each([1, 0.5, 0])("budget %s", (budget) => {
  it("gptMini's gradients equal eager", async () => {
    manualSeed(4);
    const config = { vocab: 32, dModel: 16, nHead: 2, nLayer: 2, seqLen: 8 };
    const [eager, compiled] = twins(() => gptMini(config));
    const idx = randint(0, 32, [2, 8]);
    const targets = randint(0, 32, [2, 8]).reshape([-1]);
    await F.crossEntropy(eager.forward(idx).reshape([-1, 32]), targets).backward();
    const results: MemoryBudgetResult[] = [];
    const am = aotModule(compiled, {
      partitionFn: (g, o) => {
        const r = memoryBudgetPartition(g, { ...o, budget });
        results.push(r);
        return r;
      },
    });
    await F.crossEntropy((await am.forward(idx)).reshape([-1, 32]), targets).backward();
    expect(results).toHaveLength(1);
    expect(results[0]!.memory.savedBytes).toBeLessThanOrEqual(results[0]!.memory.byteBudget);
    const e = new Map(eager.namedParameters());
    for (const [name, p] of compiled.namedParameters())
      expectClose(p.grad, e.get(name)!.grad, `${name}.grad`, 1e-4);
  });

  it("a conv net's gradients equal eager, and budget 0 recomputes convolutions", async () => {
    manualSeed(6);
    const [eager, compiled] = twins(() => new ConvNet());
    const x = randn([2, 3, 6, 6]);
    const target = randint(0, 5, [2]);
    await F.crossEntropy(eager.forward(x) as Tensor, target).backward();
    let result: MemoryBudgetResult | undefined;
    const am = aotModule(compiled, {
      partitionFn: (g, o) => {
        result = memoryBudgetPartition(g, { ...o, budget });
        return result;
      },
    });
    await F.crossEntropy(await am.forward(x), target).backward();
    const e = new Map(eager.namedParameters());
    for (const [name, p] of compiled.namedParameters())
      expectClose(p.grad, e.get(name)!.grad, `${name}.grad`, 1e-4);
    const convs = result!.backward.nodes.filter((n) => n.op === "conv2d").length;
    if (budget === 0) {
      expect(result!.memory.savedBytes).toBe(result!.memory.minBytes);
      expect(convs).toBeGreaterThan(0);
    }
    if (budget === 1) expect(convs).toBe(0);
  });
});

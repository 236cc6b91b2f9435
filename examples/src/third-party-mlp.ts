// The training run shared by example 10 and its test: an MLP classifier on a synthetic task,
// compiled with aotModule onto a given backend (or run eagerly when `backend` is undefined).
import { aotModule } from "@aotjs/aot";
import type { Backend } from "@aotjs/ir";
import { F, mlp, SGD } from "@aotjs/nn";
import { manualSeed, randn, type Tensor } from "@aotjs/tensor";

export interface TrainResult {
  readonly losses: number[];
  readonly parameters: Tensor[];
  /** From the compiled module's stats: one per graph the backend could not run whole. */
  readonly fallback: ReturnType<ReturnType<typeof aotModule>["stats"]>["fallback"];
}

/** `steps` SGD steps on a fixed batch: 3 classes picked by which of 3 fixed directions x leans to. */
export async function trainMlp(backend: Backend | undefined, steps: number): Promise<TrainResult> {
  manualSeed(0);
  const net = mlp([8, 32, 32, 3], { activation: "tanh" });
  const x = randn([64, 8]);
  const y = x.matmul(randn([8, 3])).argmax({ dim: 1 });
  const opt = new SGD(net.parameters(), { lr: 0.5 });
  const compiled = backend ? aotModule(net, { backend }) : undefined;
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const logits = compiled ? await compiled.forward(x) : (net.forward(x) as Tensor);
    const loss = F.crossEntropy(logits, y);
    losses.push(loss.item() as number);
    opt.zeroGrad();
    await loss.backward();
    opt.step();
  }
  const fallback = compiled?.stats().fallback ?? [];
  await compiled?.dispose();
  return { losses, parameters: net.parameters(), fallback };
}

// One training step of an MLP in a project that installed aotjs from packed tarballs: the same
// step eager and through aotModule on onnxruntime-node. The oracle is the eager step: the compiled
// loss and every gradient must match it, and further steps must lower the loss. This file is
// copied into a fresh ESM project (as main.mjs, with imports) and a fresh CommonJS project (as
// main.cjs, with require), so it takes the loaded packages as an argument.
// biome-ignore lint/correctness/noUnusedVariables: run.mjs pastes it into programs that call it
async function trainStep(aot, format) {
  const { aotModule } = aot.aot;
  const { onnxCompiler } = aot.onnx;
  const { F, mlp, SGD } = aot.nn;
  const { manualSeed, randn } = aot.tensor;

  // The same seed, so both copies start from the same weights and the two steps are comparable.
  manualSeed(0);
  const eager = mlp([16, 32, 4], { activation: "tanh" });
  manualSeed(0);
  const compiledNet = mlp([16, 32, 4], { activation: "tanh" });
  const x = randn([32, 16]);
  const y = randn([32, 4]);

  const eagerLoss = F.mseLoss(eager.forward(x), y);
  await eagerLoss.backward();

  const compiled = aotModule(compiledNet, { fwCompiler: onnxCompiler(), bwCompiler: onnxCompiler() });
  const loss = F.mseLoss(await compiled.forward(x), y);
  await loss.backward();

  const close = (a, b) => Math.abs(a - b) <= 1e-4 + 1e-4 * Math.abs(b);
  if (!close(loss.item(), eagerLoss.item()))
    throw new Error(`${format}: compiled loss ${loss.item()} != eager ${eagerLoss.item()}`);
  const eagerGrads = new Map(eager.namedParameters());
  for (const [name, p] of compiledNet.namedParameters()) {
    const g = p.grad.toData();
    const e = eagerGrads.get(name).grad.toData();
    for (let i = 0; i < g.length; i++)
      if (!close(g[i], e[i])) throw new Error(`${format}: grad of ${name}[${i}] ${g[i]} != eager ${e[i]}`);
  }

  const opt = new SGD(compiledNet.parameters(), { lr: 0.1 });
  const first = loss.item();
  let last = first;
  for (let step = 0; step < 20; step++) {
    opt.step();
    opt.zeroGrad();
    const l = F.mseLoss(await compiled.forward(x), y);
    await l.backward();
    last = l.item();
  }
  if (!(last < first * 0.9)) throw new Error(`${format}: the loss did not drop (${first} -> ${last})`);
  await compiled.dispose();
  console.log(
    `${format}: compiled loss and grads match eager; loss ${first.toFixed(4)} -> ${last.toFixed(4)}`,
  );
}

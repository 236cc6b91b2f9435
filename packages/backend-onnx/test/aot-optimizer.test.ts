// aotOptimizer's compiled step on ORT, against the optimizer's eager `step()` as the oracle: the
// shared suite lives in @aotjs/aot's tests (aot cannot depend on this package, which depends on it).
import { optimizerSuite, trainStepSuite } from "../../aot/test/support-optimizer.js";
import { onnxCompiler } from "../src/node.js";

// Bit-equal to eager when measured here; the tolerance leaves room for ORT vectorising sqrt and
// division differently on other CPUs.
optimizerSuite({
  name: "ORT",
  compiler: () => onnxCompiler({ intraOpNumThreads: 1 }),
  tol: { float32: 1e-6, float64: 1e-12 },
});

// The whole training step on ORT: its gradients come from ORT's kernels, the oracle's from eager
// autograd on the reference kernels.
trainStepSuite({
  name: "ORT",
  compiler: () => onnxCompiler({ intraOpNumThreads: 1 }),
  tol: { float32: 1e-6, float64: 1e-12 },
  trainTol: 1e-5,
});

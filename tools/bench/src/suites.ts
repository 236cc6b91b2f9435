// Every benchmark suite, by name. Each suite prints its own table. Loaded on demand, so a suite's
// process holds only what that suite measures: the `onnx` suite's peers (jax-js, TF.js) alone are
// ~47 MB of heap, and `train` would otherwise carry them through its steps.
export const suites: Record<string, () => Promise<void>> = {
  aot: async () => (await import("./aot.js")).aot(),
  kernels: async () => (await import("./kernels.js")).kernels(),
  malloc: async () => (await import("./malloc.js")).malloc(),
  onnx: async () => (await import("./onnx.js")).onnx(),
  partition: async () => (await import("./partition.js")).partition(),
  profile: async () => (await import("./profile.js")).profile(),
  sessions: async () => (await import("./sessions.js")).sessions(),
  symbolic: async () => (await import("./symbolic.js")).symbolic(),
  tfjs: async () => (await import("./tfjs.js")).tfjs(),
  train: async () => (await import("./train.js")).train(),
  web: async () => (await import("./web.js")).web(),
};

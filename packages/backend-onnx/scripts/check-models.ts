// Exports a fixed set of models (an MLP, resnet18's forward and backward graphs at 1x3x64x64, a
// small GPT's forward and backward graphs, and symbolic-batch exports of the three: dim_param "B"
// and sizes computed at run time) to a temporary folder and runs the official ONNX
// checker on each: `onnx.checker.check_model(onnx.load(p), full_check=True)` from Debian's
// python3-onnx (1.12, which validates IR 8 / opset 17). `.ci/run` runs this before the tests.
//
//   pnpm --filter @aotjs/backend-onnx check-models [--keep]
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { aotExport } from "@aotjs/aot";
import { F, gptMini, mlp, resnet18 } from "@aotjs/nn";
import { manualSeed, randint, randn, type Tensor } from "@aotjs/tensor";
import { writeArtifacts } from "../src/node.js";

const PYTHON = process.env.ONNX_CHECKER_PYTHON ?? "/usr/bin/python3";
const CHECK =
  "import sys, onnx\nfor p in sys.argv[1:]:\n    onnx.checker.check_model(onnx.load(p), full_check=True)\n    print('ok', p)";

manualSeed(0);
const dir = mkdtempSync(join(tmpdir(), "aotjs-onnx-check-"));
const files: string[] = [];

// MLP: a training step's forward and backward (MSE loss), plus an inference graph whose
// parameters were captured as constants (they become initializers).
const net = mlp([16, 32, 4]);
const mlpExport = aotExport((x: Tensor) => net.forward(x), [randn([8, 16])]);
const mlpTrain = aotExport(net, [randn([8, 16]), randn([8, 4])], {
  call: (m, x, y) => F.mseLoss(m.forward(x!), y!),
});
await writeArtifacts(mlpTrain, join(dir, "mlp"));
files.push(join(dir, "mlp", "forward.onnx"), join(dir, "mlp", "backward.onnx"));
await writeArtifacts(mlpExport, join(dir, "mlp-inference"));
files.push(join(dir, "mlp-inference", "forward.onnx"));

const resnet = resnet18({ numClasses: 10 });
const resnetExport = aotExport(resnet, [randn([1, 3, 64, 64])]);
await writeArtifacts(resnetExport, join(dir, "resnet18"));
files.push(join(dir, "resnet18", "forward.onnx"), join(dir, "resnet18", "backward.onnx"));

const gpt = gptMini({ vocab: 32, dModel: 32, nHead: 4, nLayer: 2, seqLen: 16 });
const idx = randint(0, 32, [2, 16]);
const targets = randint(0, 32, [2, 16]);
const gptExport = aotExport(gpt, [idx, targets], {
  call: (m, tokens, labels) => F.crossEntropy(m.forward(tokens!).reshape([-1, 32]), labels!.reshape([-1])),
});
await writeArtifacts(gptExport, join(dir, "gpt"));
files.push(join(dir, "gpt", "forward.onnx"), join(dir, "gpt", "backward.onnx"));

// Symbolic batch (aotExport's dynamicBatch): the same models with dim_param "B".
const symbolic: [string, ReturnType<typeof aotExport>][] = [
  [
    "mlp-symbolic",
    aotExport(net, [randn([8, 16]), randn([8, 4])], {
      call: (m, x, y) => F.mseLoss(m.forward(x!), y!),
      dynamicBatch: true,
    }),
  ],
  ["resnet18-symbolic", aotExport(resnet, [randn([2, 3, 64, 64])], { dynamicBatch: true })],
  [
    "gpt-symbolic",
    aotExport(gpt, [idx, targets], {
      call: (m, tokens, labels) =>
        F.crossEntropy(m.forward(tokens!).reshape([-1, 32]), labels!.reshape([-1])),
      dynamicBatch: true,
    }),
  ],
];
for (const [name, exported] of symbolic) {
  await writeArtifacts(exported, join(dir, name));
  files.push(join(dir, name, "forward.onnx"), join(dir, name, "backward.onnx"));
}

// argv, not a shell string: paths go to Python untouched.
const r = spawnSync(PYTHON, ["-c", CHECK, ...files], { encoding: "utf8" });
process.stdout.write(r.stdout ?? "");
process.stderr.write(r.stderr ?? "");
if (!process.argv.includes("--keep")) rmSync(dir, { recursive: true, force: true });
else console.log(`models kept in ${dir}`);
if (r.error) {
  console.error(`check-models: could not run ${PYTHON}: ${r.error.message} (install python3-onnx)`);
  process.exit(1);
}
if (r.status !== 0) {
  console.error(`check-models: the ONNX checker rejected a model (exit ${r.status})`);
  process.exit(r.status ?? 1);
}
console.log(`check-models: ${files.length} models passed onnx.checker.check_model(full_check=True)`);

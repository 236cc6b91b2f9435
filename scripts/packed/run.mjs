// The packed-tarball test: `pnpm pack` every published package, check each manifest names only
// files the tarball ships, then install the tarballs into a fresh ES-module project and a fresh
// CommonJS project (what `npm init -y` makes) and, in each, type-check a small program with tsc
// (NodeNext resolution, so `import` gets the .d.ts and `require` the .d.cts) and run one MLP
// training step eager and through aotModule on onnxruntime-node (train-step.js: compiled loss and
// grads must equal eager's, then the loss must drop).
//   node scripts/packed/run.mjs        (after `pnpm build`; .ci/run runs it)
// npm installs with --prefer-offline from a cache kept in node_modules/.cache, so only the first
// run on a machine downloads the third-party dependencies (from the registry CI already uses).
import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const started = Date.now();
const run = (cmd, args, cwd, env = {}) =>
  execFileSync(cmd, args, {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  }).toString();
const fail = (message) => {
  console.error(`packed: ${message}`);
  process.exit(1);
};

// The packages, plus the two tools published for backend authors (the conformance kit and the
// per-op samples it runs).
const packages = [
  ...readdirSync(join(root, "packages")).map((dir) => join("packages", dir)),
  "tools/conformance",
  "tools/op-samples",
]
  .map((dir) => ({
    dir: join(root, dir),
    manifest: JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")),
  }))
  .filter((p) => !p.manifest.private);

const work = mkdtempSync(join(tmpdir(), "aotjs-packed-"));
try {
  // ---- pack, and check what each tarball's manifest promises ----
  const tarballs = join(work, "tarballs");
  mkdirSync(tarballs);
  const deps = {};
  for (const { dir, manifest } of packages) {
    const out = run("npx", ["-y", "pnpm@12.4.2", "pack", "--pack-destination", tarballs], dir);
    const file = out
      .trim()
      .split("\n")
      .filter((l) => l.endsWith(".tgz"))
      .pop();
    if (!file || !existsSync(file)) fail(`pnpm pack printed no tarball for ${manifest.name}:\n${out}`);
    const unpacked = join(work, "unpacked", manifest.name);
    mkdirSync(unpacked, { recursive: true });
    run("tar", ["xzf", file, "-C", unpacked], work);
    const pkgDir = join(unpacked, "package");
    const text = readFileSync(join(pkgDir, "package.json"), "utf8");
    if (text.includes("workspace:")) fail(`${manifest.name}: the packed package.json has a workspace: range`);
    const packed = JSON.parse(text);
    const entries = JSON.stringify([packed.exports, packed.main, packed.module, packed.types]);
    for (const banned of ["@aotjs/source", "./src/"])
      if (entries.includes(banned)) fail(`${manifest.name}: the packed entry points still mention ${banned}`);
    for (const field of ["repository", "engines", "keywords", "license"])
      if (!packed[field]) fail(`${manifest.name}: the packed package.json has no ${field}`);
    if (!existsSync(join(pkgDir, "LICENSE"))) fail(`${manifest.name}: the tarball has no LICENSE`);
    const targets = [];
    const walk = (v) => (typeof v === "string" ? targets.push(v) : Object.values(v).forEach(walk));
    walk(packed.exports);
    for (const t of [...targets, packed.main, packed.module, packed.types])
      if (!existsSync(join(pkgDir, t)))
        fail(`${manifest.name}: the manifest names ${t}, which the tarball does not ship`);
    deps[manifest.name] = `file:${file}`;
  }
  deps["onnxruntime-node"] = "1.30.0";

  // ---- two fresh projects ----
  const body = readFileSync(join(here, "train-step.js"), "utf8");
  const names = {
    aot: "@aotjs/aot",
    onnx: "@aotjs/backend-onnx",
    onnxNode: "@aotjs/backend-onnx/node",
    nn: "@aotjs/nn",
    tensor: "@aotjs/tensor",
    drawer: "@aotjs/drawer",
    all: packages.map((p) => p.manifest.name),
  };
  const typed = (from) => `import { aotModule } from "@aotjs/aot";
import { onnxCompiler } from "@aotjs/backend-onnx";
import { writeArtifacts } from "@aotjs/backend-onnx/node";
import { dotToSvg } from "@aotjs/drawer";
import { F, mlp } from "@aotjs/nn";
import { randn, type Tensor } from "@aotjs/tensor";
import { tfjsCompiler } from "@aotjs/backend-tfjs";
export async function step(): Promise<Tensor> {
  const m = aotModule(mlp([4, 2]), { fwCompiler: onnxCompiler(), bwCompiler: tfjsCompiler() });
  const svg: Promise<string> = dotToSvg("digraph { a -> b }");
  void svg;
  void writeArtifacts;
  return F.mseLoss(await m.forward(randn([3, 4])), randn([3, 2]));
}
// ${from}
`;
  const projects = [
    {
      format: "esm",
      type: "module",
      main: "main.mjs",
      check: "check.mts",
      source: `${Object.entries(names)
        .filter(([k]) => k !== "all")
        .map(([k, n]) => `import * as ${k} from "${n}";`)
        .join("\n")}
${names.all.map((n) => `await import("${n}");`).join("\n")}
${body}
if (!(await drawer.dotToSvg("digraph { a -> b }")).includes("<svg")) throw new Error("esm: no SVG from the drawer");
if (typeof onnxNode.writeArtifacts !== "function") throw new Error("esm: @aotjs/backend-onnx/node has no writeArtifacts");
await trainStep({ aot, onnx, nn, tensor }, "esm");
`,
    },
    {
      format: "cjs",
      type: "commonjs",
      main: "main.cjs",
      check: "check.cts",
      source: `${Object.entries(names)
        .filter(([k]) => k !== "all")
        .map(([k, n]) => `const ${k} = require("${n}");`)
        .join("\n")}
${names.all.map((n) => `require("${n}");`).join("\n")}
${body}
(async () => {
  if (!(await drawer.dotToSvg("digraph { a -> b }")).includes("<svg")) throw new Error("cjs: no SVG from the drawer");
  if (typeof onnxNode.writeArtifacts !== "function") throw new Error("cjs: @aotjs/backend-onnx/node has no writeArtifacts");
  await trainStep({ aot, onnx, nn, tensor }, "cjs");
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
`,
    },
  ];
  const cache = join(root, "node_modules", ".cache", "aotjs-packed-npm");
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  for (const p of projects) {
    const dir = join(work, p.format);
    mkdirSync(dir);
    writeFileSync(
      join(dir, "package.json"),
      JSON.stringify(
        {
          name: `aotjs-packed-${p.format}`,
          version: "1.0.0",
          private: true,
          type: p.type,
          dependencies: deps,
        },
        null,
        2,
      ),
    );
    try {
      // onnxruntime-node's install script fetches CUDA files from a host CI cannot reach; its CPU
      // binaries ship in the package.
      run(
        "npm",
        ["install", "--prefer-offline", "--ignore-scripts", "--no-audit", "--no-fund", "--cache", cache],
        dir,
        {
          ONNXRUNTIME_NODE_INSTALL: "skip",
        },
      );
    } catch (e) {
      fail(`npm install in the ${p.format} project failed:\n${e.stderr ?? e}`);
    }
    writeFileSync(join(dir, p.check), typed(p.format));
    const compilerOptions = {
      noEmit: true,
      strict: true,
      skipLibCheck: true,
      module: "nodenext",
      target: "es2022",
      types: [],
    };
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, files: [p.check] }));
    try {
      run(process.execPath, [tsc, "-p", "tsconfig.json"], dir);
    } catch (e) {
      fail(`tsc in the ${p.format} project failed:\n${e.stdout ?? ""}${e.stderr ?? e}`);
    }
    writeFileSync(join(dir, p.main), p.source);
    try {
      process.stdout.write(run(process.execPath, [p.main], dir));
    } catch (e) {
      fail(`the ${p.format} project failed:\n${e.stdout ?? ""}${e.stderr ?? e}`);
    }
  }
  console.log(
    `packed: ${packages.length} tarballs installed into fresh ESM and CommonJS projects, type-checked and trained in ${((Date.now() - started) / 1000).toFixed(0)}s`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}

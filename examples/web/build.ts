// Bundles the page with esbuild (plain `--bundle --platform=browser`, workspace packages from
// their sources) into examples/web/dist, next to the runtime files the backends fetch at run time:
// onnxruntime-web's ort-wasm-*.wasm (its loader is inside the bundle) and TF.js's
// tfjs-backend-wasm*.wasm. Both look for them next to the script, so no path needs setting.
import { copyFile, mkdir, readdir, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "..", "package.json"));

export async function buildPage(
  outDir = join(here, "dist"),
): Promise<{ outDir: string; bytes: number; copied: string[] }> {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const result = await build({
    entryPoints: [join(here, "src/main.ts")],
    outfile: join(outDir, "main.js"),
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    // ORT's documented condition for bundlers: its wasm loader stays a separate file
    // (ort-wasm-simd-threaded.jsep.mjs), so the threads ORT starts load that file, not this bundle.
    conditions: ["@aotjs/source", "onnxruntime-web-use-extern-wasm"],
    sourcemap: true,
    minify: true,
    logLevel: "warning",
    metafile: true,
  });
  await copyFile(join(here, "index.html"), join(outDir, "index.html"));
  const ortDir = dirname(require.resolve("onnxruntime-web/ort-wasm-simd-threaded.wasm"));
  const tfjsWasmDir = dirname(require.resolve("@tensorflow/tfjs-backend-wasm"));
  const copied: string[] = [];
  const runtimeFiles: [string, RegExp][] = [
    [ortDir, /^ort-wasm-simd-threaded\.(jsep\.)?(wasm|mjs)$/],
    [tfjsWasmDir, /^tfjs-backend-wasm.*\.wasm$/],
  ];
  for (const [dir, pattern] of runtimeFiles) {
    for (const f of await readdir(dir)) {
      if (!pattern.test(f)) continue;
      await copyFile(join(dir, f), join(outDir, f));
      copied.push(f);
    }
  }
  const main = Object.entries(result.metafile.outputs).find(([f]) => f.endsWith("main.js"));
  const bytes = main?.[1].bytes ?? 0;
  return { outDir, bytes, copied };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { outDir, bytes, copied } = await buildPage(process.argv[2]);
  console.log(`built ${outDir}: main.js ${(bytes / 2 ** 20).toFixed(1)} MiB, plus ${copied.join(", ")}`);
}

// web: the MLP training step of the `onnx` suite (784-512-512-10, batch 128, MSE, every gradient),
// in headless Chromium (Debian's, through playwright-core), three ways in one page on wasm:
// aotjs with its graphs on ORT-web, jax-js jit(valueAndGrad), TF.js variableGrads. The page is
// served cross-origin isolated, so ORT-web and TF.js may use wasm threads.
import { existsSync } from "node:fs";
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, extname, join } from "node:path";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import { table } from "./measure.js";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const STEP_FLOPS = (() => {
  const sizes = [784, 512, 512, 10];
  const layers = sizes.slice(1).map((out, i) => sizes[i]! * out);
  return 2 * 128 * (3 * layers.reduce((a, b) => a + b, 0) - layers[0]!);
})();
const TYPES: Record<string, string> = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".wasm": "application/wasm",
};

async function buildPage(dir: string): Promise<void> {
  const here = join(import.meta.dirname, "..");
  await build({
    entryPoints: [join(here, "web/mlp-step.ts")],
    outfile: join(dir, "main.js"),
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    // Workspace packages from source; ORT-web's loader as its own file (see examples/web/build.ts).
    conditions: ["@aotjs/source", "onnxruntime-web-use-extern-wasm"],
    logLevel: "error",
  });
  await writeFile(
    join(dir, "index.html"),
    '<!doctype html><body><script type="module" src="./main.js"></script>',
  );
  const require = createRequire(join(here, "package.json"));
  const ortDir = dirname(require.resolve("onnxruntime-web/ort-wasm-simd-threaded.wasm"));
  const tfDir = dirname(require.resolve("@tensorflow/tfjs-backend-wasm"));
  for (const [from, pattern] of [
    [ortDir, /^ort-wasm-simd-threaded\.(jsep\.)?(wasm|mjs)$/],
    [tfDir, /^tfjs-backend-wasm.*\.wasm$/],
  ] as const) {
    for (const f of await readdir(from)) if (pattern.test(f)) await copyFile(join(from, f), join(dir, f));
  }
}

export async function web(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    console.log(`skipped: no Chromium at ${CHROMIUM} (apt-get install -y --no-install-recommends chromium)`);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), "aotjs-bench-web-"));
  await buildPage(dir);
  const server = createServer(async (req, res) => {
    const file = join(dir, new URL(req.url ?? "/", "http://x").pathname.replace(/^\/$/, "/index.html"));
    if (!file.startsWith(dir)) return void res.writeHead(403).end();
    const body = await readFile(file).catch(() => undefined);
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, {
      "Content-Type": TYPES[extname(file)] ?? "application/octet-stream",
      "Cross-Origin-Opener-Policy": "same-origin",
      "Cross-Origin-Embedder-Policy": "require-corp",
    });
    res.end(body);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.waitForSelector("body[data-ready=true]", { state: "attached", timeout: 120_000 });
    const result = await page.evaluate(() =>
      (
        globalThis as unknown as {
          bench: {
            run(
              rounds: number,
              warmup: number,
            ): Promise<{
              medianMs: Record<string, number>;
              losses: Record<string, number>;
              isolated: boolean;
              threads: number;
            }>;
          };
        }
      ).bench.run(21, 5),
    );
    const labels: Record<string, string> = {
      aotjs: "aotjs, graphs on ORT-web wasm",
      jax: "jax-js jit(valueAndGrad), wasm",
      tfjs: "TF.js variableGrads, wasm",
    };
    table(
      Object.entries(result.medianMs).map(([k, ms]) => ({
        "MLP 784-512-512-10, batch 128, MSE, in Chromium": labels[k]!,
        "median ms/step": ms.toFixed(2),
        "GFLOP/s": (STEP_FLOPS / ms / 1e6).toFixed(1),
        "vs aotjs": (ms / result.medianMs.aotjs!).toFixed(2),
        loss: result.losses[k]!.toFixed(5),
      })),
    );
    console.log(
      `\ncross-origin isolated: ${result.isolated}, hardwareConcurrency ${result.threads}; 21 rounds after 5 warm-up, one step of each per round`,
    );
  } finally {
    await browser.close();
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

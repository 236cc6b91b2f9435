// The example page (examples/web) in headless Chromium: it trains the digit convnet on each
// backend that runs headless here and must match the same run in Node. Oracle: `train()` in Node
// with the same seed on the reference interpreter (aot's `nop`), whose kernels define every op.
// A screenshot of the page after the runs goes to examples/out/web-page.png (the test artifact).
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nop } from "@aotjs/aot";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CHROMIUM, launchChromium } from "../web/browser.js";
import { buildPage } from "../web/build.js";
import { serve } from "../web/serve.js";
import { train } from "../web/src/train.js";

const STEPS = 16;
/**
 * Per-step loss tolerance against the reference: float32 kernels that sum in a different order
 * drift apart through the SGD updates; over these 16 steps every backend measured within 2.4e-7
 * of it (one float32 ulp at 2), so this leaves a 40x margin.
 */
const ATOL = 1e-5;
const RTOL = 1e-5;
/**
 * The backends that run headless on this machine: ORT-web wasm; ORT-web auto (forward on WebGPU,
 * on SwiftShader, its saved values left in GPU memory; backward on wasm); TF.js wasm and WebGL.
 */
const BACKENDS = ["ort-wasm", "ort-auto", "tfjs-wasm", "tfjs-webgl"] as const;

/** What the page puts on `window` for this test (see web/src/main.ts). */
interface Demo {
  readonly aotjsDemo: {
    readonly environment: { readonly isolated: boolean };
    readonly backends: string[];
    run(id: string, steps: number): Promise<PageRun>;
  };
  readonly document: { querySelectorAll(selector: string): { readonly length: number } };
}

interface PageRun {
  readonly losses: number[];
  readonly accuracy: number;
  readonly medianStepMs: number;
  /** ORT backends: where each graph ran and how many of its outputs stayed in GPU memory. */
  readonly placements: { graph: string; providers: string[]; deviceOutputs: number }[];
}

const chromiumMissing = !existsSync(CHROMIUM);
if (chromiumMissing && process.env.CI)
  throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium`);

describe.skipIf(chromiumMissing)("the training page in headless Chromium", () => {
  let dist: string;
  let server: Server;
  let brokenServer: Server;
  let brokenUrl: string;
  let context: BrowserContext;
  let page: Page;
  let reference: number[];
  const errors: string[] = [];

  beforeAll(async () => {
    dist = await mkdtemp(join(tmpdir(), "aotjs-web-"));
    await buildPage(dist);
    const served = await serve(dist);
    server = served.server;
    const broken = await serve(dist, { hide: /\.wasm$/ });
    brokenServer = broken.server;
    brokenUrl = broken.url;
    context = await launchChromium();
    page = context.pages()[0] ?? (await context.newPage());
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(served.url);
    await page.waitForSelector("body[data-ready=true]", { timeout: 60_000 });
    reference = (await train({ fwCompiler: nop, bwCompiler: nop }, { steps: STEPS })).losses;
  });

  afterAll(async () => {
    const out = join(import.meta.dirname, "../out");
    await mkdir(out, { recursive: true });
    await page?.screenshot({ path: join(out, "web-page.png"), fullPage: true });
    await context?.close();
    server?.close();
    brokenServer?.close();
    if (dist) await rm(dist, { recursive: true, force: true });
  });

  test("the page is cross-origin isolated (wasm threads) and offers every backend", async () => {
    const env = await page.evaluate(() => (globalThis as unknown as Demo).aotjsDemo.environment);
    expect(env).toMatchObject({ isolated: true });
    const ids = await page.evaluate(() => (globalThis as unknown as Demo).aotjsDemo.backends);
    expect(ids).toEqual(expect.arrayContaining([...BACKENDS]));
  });

  test.each(BACKENDS)("%s: the loss falls and equals the Node run step by step", async (backend) => {
    const run = await page.evaluate(
      ([id, steps]) => (globalThis as unknown as Demo).aotjsDemo.run(id, steps),
      [backend, STEPS] as const,
    );
    expect(run.losses).toHaveLength(STEPS);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(run.losses.slice(-3))).toBeLessThan(0.9 * mean(run.losses.slice(0, 3)));
    run.losses.forEach((loss, i) => {
      expect(Math.abs(loss - reference[i]!), `step ${i}: ${loss} vs ${reference[i]}`).toBeLessThanOrEqual(
        ATOL + RTOL * Math.abs(reference[i]!),
      );
    });
    expect(run.accuracy).toBeGreaterThan(0.1);
    expect(errors).toEqual([]);
    if (backend === "ort-wasm")
      expect(new Set(run.placements.map((p) => p.providers.join()))).toEqual(new Set(["wasm"]));
    if (backend === "ort-auto") {
      // Chromium's WebGPU (SwiftShader) is on: the forward, free of the ops WebGPU computes wrong,
      // runs there and leaves its saved values in GPU memory; the conv/pool backward runs on wasm.
      const byGraph = Object.fromEntries(run.placements.map((p) => [p.graph, p]));
      expect(byGraph.forward).toMatchObject({ providers: ["webgpu"] });
      expect(byGraph.forward!.deviceOutputs).toBeGreaterThan(5);
      expect(byGraph.backward).toMatchObject({ providers: ["wasm"], deviceOutputs: 0 });
    }
  });

  test("the page drew the forward and backward graphs", async () => {
    const boxes = await page.evaluate(() =>
      ["forward-graph", "backward-graph"].map(
        (id) => (globalThis as unknown as Demo).document.querySelectorAll(`#${id} g.aot-value`).length,
      ),
    );
    expect(boxes[0]).toBeGreaterThan(10);
    expect(boxes[1]).toBeGreaterThan(10);
  });

  test("a wasm file the server lacks: the error names its URL and the path option, and is not retried", async () => {
    const broken = await context.newPage();
    const fetched: string[] = [];
    broken.on("request", (r) => {
      if (r.url().endsWith(".wasm")) fetched.push(r.url());
    });
    await broken.goto(brokenUrl);
    await broken.waitForSelector("body[data-ready=true]", { timeout: 60_000 });
    const attempt = (id: string) =>
      broken.evaluate(
        (which) =>
          (globalThis as unknown as Demo).aotjsDemo.run(which, 2).then(
            () => "trained",
            (e: Error) => e.message,
          ),
        id,
      );
    const expected = {
      "ort-wasm":
        /could not load http:\/\/127\.0\.0\.1:\d+\/ort-wasm-simd-threaded[.\w]*\.wasm \(HTTP 404\).*wasmPaths/,
      "tfjs-wasm":
        /could not load http:\/\/127\.0\.0\.1:\d+\/tfjs-backend-wasm[-\w]*\.wasm \(HTTP 404\).*wasmPaths/,
    };
    for (const [id, pattern] of Object.entries(expected)) {
      expect(await attempt(id)).toMatch(pattern);
      const after = fetched.length;
      expect(after).toBeGreaterThan(0);
      // The second run fails the same way without fetching again.
      expect(await attempt(id)).toMatch(pattern);
      expect(fetched.length).toBe(after);
    }
    await broken.close();
  });
});

// Renders the page's pictures in docs/: web-training.png (the page after training on ORT-web and
// on TF.js: the loss plot, whose lines overlap because the backends agree, and the accuracy) and
// web-graphs.png (the captured forward and backward graphs). A maintainer's script (it needs
// Debian's chromium): `pnpm --filter @aotjs/examples web:screenshots [outDir]`.
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { launchChromium } from "./browser.js";
import { buildPage } from "./build.js";
import { serve } from "./serve.js";

const outDir = resolve(process.argv[2] ?? join(import.meta.dirname, "../../docs"));
const { outDir: dist } = await buildPage();
const { server, url } = await serve(dist);
const context = await launchChromium();
try {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(url);
  await page.waitForSelector("body[data-ready=true]", { timeout: 60_000 });
  for (const [id, steps] of [
    ["tfjs-wasm", 60],
    ["ort-wasm", 60],
  ] as const) {
    await page.selectOption("#backend", id);
    await page.fill("#steps", String(steps));
    await page.click("#train");
    await page.waitForSelector("#train:not([disabled])", { timeout: 300_000 });
  }
  await mkdir(outDir, { recursive: true });
  const clip = async (from: string, to: string, file: string) => {
    const a = (await page.locator(from).boundingBox())!;
    const b = (await page.locator(to).boundingBox())!;
    await page.screenshot({
      path: join(outDir, file),
      fullPage: true,
      clip: { x: 0, y: a.y - 16, width: 1200, height: b.y + b.height - a.y + 32 },
    });
  };
  await clip("h1", ".note", "web-training.png");
  await clip("h2", ".graphs", "web-graphs.png");
  console.log(`wrote ${join(outDir, "web-training.png")} and web-graphs.png`);
} finally {
  await context.close();
  server.close();
}

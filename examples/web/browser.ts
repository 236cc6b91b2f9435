// Debian's Chromium, headless, as the browser test and the screenshot script drive it (through
// playwright-core, which brings no browser of its own). The flags: no sandbox (CI runs as root),
// no background networking (this machine's network is closed: Chromium's own connections would
// be refused at every start), a fresh profile, and WebGPU on SwiftShader's Vulkan so the WebGPU
// path runs on a machine with no GPU.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

export async function launchChromium(): Promise<BrowserContext> {
  return chromium.launchPersistentContext(await mkdtemp(join(tmpdir(), "aotjs-chromium-")), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1200, height: 1000 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--enable-unsafe-webgpu",
      "--enable-unsafe-swiftshader",
    ],
  });
}

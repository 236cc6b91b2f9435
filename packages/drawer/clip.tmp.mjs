import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";
const [svgFile, out, x, y, w, h] = process.argv.slice(2);
const b = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
const p = await b.newPage({ viewport: { width: 1200, height: 900 } });
await p.setContent(`<body style="margin:0">${readFileSync(svgFile, "utf8")}</body>`);
await p.screenshot({ path: out, clip: { x: +x, y: +y, width: +w, height: +h }, fullPage: true });
await b.close();

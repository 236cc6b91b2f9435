import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";
const [png, x, y, w, h, out] = process.argv.slice(2);
const b = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
const p = await b.newPage({ viewport: { width: 4000, height: 4000 } });
await p.setContent(`<body style="margin:0"><img src="data:image/png;base64,${readFileSync(png).toString("base64")}"></body>`);
await p.screenshot({ path: out, clip: { x: +x, y: +y, width: +w, height: +h } });
await b.close();

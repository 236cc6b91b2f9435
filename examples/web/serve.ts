// A static server for the built page on 127.0.0.1. It sends the two headers that make the page
// cross-origin isolated (COOP same-origin + COEP require-corp), which gives the wasm backends
// SharedArrayBuffer and so threads. `node --import tsx serve.ts [--port 8080] [--no-isolation]`.
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".map": "application/json",
  ".wasm": "application/wasm",
  ".png": "image/png",
};

/** Serve `root` on 127.0.0.1:`port` (0 picks a free port). Resolves to the server and its URL. */
export async function serve(
  folder: string,
  {
    port = 0,
    isolated = true,
    hide,
  }: {
    port?: number;
    isolated?: boolean;
    /** Answer 404 for paths matching this, as a server missing those files would (for tests). */
    hide?: RegExp;
  } = {},
): Promise<{ server: Server; url: string }> {
  const root = resolve(folder);
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname));
    const file = join(root, path.endsWith("/") ? `${path}index.html` : path);
    if (!file.startsWith(root + sep) && file !== root) {
      res.writeHead(403).end();
      return;
    }
    try {
      if (hide?.test(path)) throw new Error("hidden");
      const body = await readFile(file);
      res.writeHead(200, {
        "Content-Type": TYPES[extname(file)] ?? "application/octet-stream",
        "Cache-Control": "no-store",
        ...(isolated
          ? { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" }
          : {}),
      });
      res.end(body);
    } catch {
      res.writeHead(404, { "Content-Type": "text/plain" }).end(`not found: ${path}`);
    }
  });
  await new Promise<void>((done) => server.listen(port, "127.0.0.1", done));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const at = args.indexOf("--port");
  const port = at >= 0 ? Number(args[at + 1]) : 8080;
  const root = join(dirname(fileURLToPath(import.meta.url)), "dist");
  const { url } = await serve(root, { port, isolated: !args.includes("--no-isolation") });
  console.log(`serving ${root} at ${url} (Ctrl-C stops)`);
}

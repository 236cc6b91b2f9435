// Every package's browser entries bundle with a plain `esbuild --bundle --platform=browser` (no
// shims, no externals), and `npm install @aotjs/backend-onnx onnxruntime-web` brings no native
// code. Oracle: esbuild itself (an unresolvable Node builtin or a `.node` binary fails the build),
// and the installed packages' own manifests and files.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { build } from "esbuild";
import { describe, expect, test } from "vitest";

const root = join(import.meta.dirname, "../..");
const packagesDir = join(root, "packages");

interface Manifest {
  name: string;
  exports?: Record<string, string | Record<string, string | Record<string, string>>>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}
const readManifest = (dir: string): Manifest => JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));

/** A source entry is a path, or (where Node gets its own entry) `{ node, default }`: the browser's is `default`. */
type Source = string | { readonly default: string };
const browserSource = (s: Source): string => (typeof s === "string" ? s : s.default);

/** Each package's JS entries: subpath, and its source file (what the build compiles to dist). */
const entries = readdirSync(packagesDir).flatMap((name) => {
  const dir = join(packagesDir, name);
  const pkg = readManifest(dir);
  return Object.entries(pkg.exports ?? {})
    .filter(([, target]) => typeof target === "object")
    .map(([subpath, target]) => ({
      pkg: pkg.name,
      dir,
      subpath,
      source: join(dir, browserSource((target as Record<string, Source>)["@aotjs/source"]!)),
    }));
});

async function bundle(entry: string, dir: string, alias: Record<string, string> = {}) {
  return build({
    stdin: { contents: `export * from ${JSON.stringify(entry)};`, resolveDir: dir, loader: "ts" },
    bundle: true,
    platform: "browser",
    format: "esm",
    // Only the workspace's own condition (resolve sources instead of dist); nothing else is set.
    conditions: ["@aotjs/source"],
    alias,
    write: false,
    metafile: true,
    logLevel: "silent",
  });
}

describe("every browser entry bundles with esbuild --platform=browser", () => {
  const browserEntries = entries.filter((e) => e.subpath !== "./node");
  test("there is an entry per package, and Node-only code is behind ./node", () => {
    expect(new Set(browserEntries.map((e) => e.pkg)).size).toBe(readdirSync(packagesDir).length);
    expect(
      entries
        .filter((e) => e.subpath === "./node")
        .map((e) => e.pkg)
        .sort(),
    ).toEqual(["@aotjs/backend-onnx", "@aotjs/drawer"]);
  });

  test.each(browserEntries.map((e) => [`${e.pkg}${e.subpath.slice(1)}`, e] as const))(
    "%s",
    async (_label, e) => {
      const result = await bundle(e.source, e.dir);
      expect(result.errors).toEqual([]);
      const inputs = Object.keys(result.metafile.inputs);
      expect(inputs.filter((f) => /onnxruntime-node|tfjs-node|\.node$/.test(f))).toEqual([]);
      expect(result.outputFiles[0]!.text.length).toBeGreaterThan(1000);
    },
  );

  test("@aotjs/backend-onnx bundles without onnxruntime-web installed (export-only users)", async () => {
    const e = browserEntries.find((x) => x.pkg === "@aotjs/backend-onnx")!;
    const result = await bundle(e.source, e.dir, { "onnxruntime-web": "onnxruntime-web-not-installed" });
    expect(result.errors).toEqual([]);
    expect(Object.keys(result.metafile.inputs).some((f) => f.includes("onnxruntime-web"))).toBe(false);
    // The import is left for run time, where it fails with an error saying what to install.
    expect(result.outputFiles[0]!.text).toContain('import("onnxruntime-web")');
  });

  test("the ./node entries are the ones that import Node modules", async () => {
    for (const e of entries.filter((x) => x.subpath === "./node")) {
      const result = await bundle(e.source, e.dir).catch((err: { errors: { text: string }[] }) => err);
      expect("errors" in result && result.errors.some((m) => /node:/.test(m.text))).toBe(true);
    }
  });
});

/** Every package an install of `names` from `dir` brings: dependencies, transitively (not optional peers). */
function installClosure(names: readonly string[], dir: string): Map<string, string> {
  const seen = new Map<string, string>();
  const visit = (name: string, from: string) => {
    if (seen.has(name)) return;
    const require = createRequire(join(from, "package.json"));
    let manifestPath: string;
    try {
      manifestPath = require.resolve(`${name}/package.json`);
    } catch {
      // No ./package.json export: find the folder through node_modules.
      let d = from;
      while (!existsSync(join(d, "node_modules", name, "package.json"))) d = dirname(d);
      manifestPath = join(d, "node_modules", name, "package.json");
    }
    const pkgDir = dirname(manifestPath);
    seen.set(name, pkgDir);
    const pkg = readManifest(pkgDir);
    const required = Object.keys(pkg.peerDependencies ?? {}).filter(
      (p) => !pkg.peerDependenciesMeta?.[p]?.optional,
    );
    for (const dep of [...Object.keys(pkg.dependencies ?? {}), ...required]) visit(dep, pkgDir);
  };
  for (const n of names) visit(n, dir);
  return seen;
}

/** A prebuilt addon (`.node`) or one node-gyp would compile at install (`binding.gyp`). */
const hasNativeCode = (dir: string, depth = 0): boolean =>
  depth < 6 &&
  readdirSync(dir).some((f) => {
    if (f === "node_modules") return false;
    const p = join(dir, f);
    return (
      f.endsWith(".node") || f === "binding.gyp" || (statSync(p).isDirectory() && hasNativeCode(p, depth + 1))
    );
  });

describe("npm install @aotjs/backend-onnx onnxruntime-web pulls no native binaries", () => {
  test("both runtimes are optional peers of backend-onnx, not dependencies", () => {
    const pkg = readManifest(join(packagesDir, "backend-onnx"));
    for (const rt of ["onnxruntime-node", "onnxruntime-web"]) {
      expect(pkg.dependencies?.[rt]).toBeUndefined();
      expect(pkg.peerDependencies?.[rt]).toBe("1.30.0");
      expect(pkg.peerDependenciesMeta?.[rt]).toEqual({ optional: true });
    }
  });

  test("the install closure has no .node file, no binding.gyp and no onnxruntime-node", () => {
    const closure = installClosure(["@aotjs/backend-onnx", "onnxruntime-web"], join(root, "examples"));
    expect([...closure.keys()]).toContain("onnxruntime-common");
    expect(closure.has("onnxruntime-node")).toBe(false);
    for (const [name, dir] of closure) expect([name, hasNativeCode(dir)]).toEqual([name, false]);
    // The check itself: onnxruntime-node's closure does have native code.
    const native = installClosure(["onnxruntime-node"], join(packagesDir, "backend-onnx"));
    expect(hasNativeCode(native.get("onnxruntime-node")!)).toBe(true);
  });
});

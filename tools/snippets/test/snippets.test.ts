// Every ```ts snippet in the READMEs compiles as written (tsc over the workspace's sources, strict,
// as the packages themselves) and runs to completion (node with tsx, in an empty folder). Oracle:
// the compiler's diagnostics and each run's exit status.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import ts from "typescript";
import { afterAll, describe, expect, test } from "vitest";
import { readmes, type Snippet, snippetsOf } from "../src/extract.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "../../..");
const generated = join(here, "../.generated");
const snippets = readmes(root).flatMap((f) => snippetsOf(root, f));
const fileOf = (s: Snippet) => join(generated, `${s.readme.replace(/[/.]/g, "_")}_L${s.line}.ts`);

rmSync(generated, { recursive: true, force: true });
mkdirSync(generated, { recursive: true });
// Each snippet is a module of its own (top-level await, its own imports).
for (const s of snippets) writeFileSync(fileOf(s), `${s.code}\nexport {};\n`);
afterAll(() => rmSync(generated, { recursive: true, force: true }));

describe("README snippets", () => {
  test("there are snippets in the root README and the packages' READMEs", () => {
    expect(snippets.filter((s) => s.readme === "README.md").length).toBeGreaterThan(0);
    expect(new Set(snippets.map((s) => s.readme)).size).toBeGreaterThan(8);
  });

  test("READMEs are found at any depth, an example's too", () => {
    const found = readmes(root).map((f) => f.slice(root.length + 1));
    expect(found[0]).toBe("README.md");
    expect(found).toContain("packages/aot/README.md");
    expect(found).toContain("examples/third-party-backend/README.md");
    expect(found.some((f) => f.includes("node_modules"))).toBe(false);
  });

  test("every snippet type-checks as written", () => {
    const config = ts.readConfigFile(join(root, "tsconfig.base.json"), ts.sys.readFile).config;
    const { options } = ts.convertCompilerOptionsFromJson(config.compilerOptions, root);
    const checked = snippets.filter((s) => s.check);
    // Snippets show usage: an unused import or local is not an error in a listing.
    const program = ts.createProgram(checked.map(fileOf), {
      ...options,
      noUnusedLocals: false,
      noUnusedParameters: false,
      noEmit: true,
    });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const s = checked.find((c) => d.file && fileOf(c) === d.file.fileName);
      const where =
        s && d.file && d.start !== undefined
          ? `${s.readme}:${s.line + d.file.getLineAndCharacterOfPosition(d.start).line}`
          : (d.file?.fileName ?? "tsc");
      return `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
    });
    expect(problems).toEqual([]);
  });

  const run = promisify(execFile);
  test.each(snippets.filter((s) => s.run).map((s) => [`${s.readme}:${s.line}`, s] as const))(
    "%s runs",
    async (_, s) => {
      // An empty folder of its own (snippets write files), under this package so that `tsx` and
      // the workspace packages resolve from it.
      const cwd = mkdtempSync(join(generated, "run-"));
      try {
        await run(process.execPath, ["--conditions=@aotjs/source", "--import", "tsx", fileOf(s)], {
          cwd,
          timeout: 120_000,
        });
      } catch (e) {
        const err = e as { stderr?: string; message: string };
        throw new Error(`${s.readme}:${s.line} failed:\n${err.stderr?.slice(-2000) ?? err.message}`);
      } finally {
        rmSync(cwd, { recursive: true, force: true });
      }
    },
  );
});

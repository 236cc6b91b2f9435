import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

/** A fenced ```ts block of a README. */
export interface Snippet {
  /** The README, relative to the repository root. */
  readonly readme: string;
  /** 1-based line of the fence's first code line in the README. */
  readonly line: number;
  readonly code: string;
  /**
   * Whether to run it, not only type-check it. A fence written ```ts no-run is type-checked only
   * (it needs files or peers a test machine lacks); ```ts fragment is neither (a partial listing).
   */
  readonly run: boolean;
  readonly check: boolean;
}

/** The READMEs with snippets: the root's, and each package's and tool's. */
export function readmes(root: string): string[] {
  const inDirs = ["packages", "tools"].flatMap((dir) =>
    readdirSync(join(root, dir), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => join(root, dir, d.name, "README.md")),
  );
  return [join(root, "README.md"), ...inDirs].filter((f) => {
    try {
      readFileSync(f);
      return true;
    } catch {
      return false;
    }
  });
}

/** Every ```ts block of one README, with where it starts and what to do with it. */
export function snippetsOf(root: string, file: string): Snippet[] {
  const lines = readFileSync(file, "utf8").split("\n");
  const found: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(ts|typescript)\b(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const flags = open[2]!.trim().split(/\s+/);
    const end = lines.findIndex((l, k) => k > i && l.startsWith("```"));
    if (end < 0) throw new Error(`${file}:${i + 1}: an unclosed code fence`);
    found.push({
      readme: relative(root, file),
      line: i + 2,
      code: lines.slice(i + 1, end).join("\n"),
      run: !flags.includes("no-run") && !flags.includes("fragment"),
      check: !flags.includes("fragment"),
    });
    i = end;
  }
  return found;
}

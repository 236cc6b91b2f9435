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

/** Folders that hold no README of ours: dependencies, build output, generated files. */
const skipped = new Set(["node_modules", "dist", "coverage", "out", "scratch"]);

/**
 * Every README.md of the repository (the root's, each package's, tool's and example's, at any
 * depth), found by walking the tree rather than listed, so a new one is covered without an edit.
 */
export function readmes(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      const hidden = d.name.startsWith("."); // names-are-not-roles: a folder's name (.git, .turbo)
      if (d.isDirectory() && !hidden && !skipped.has(d.name)) walk(join(dir, d.name));
      else if (d.isFile() && d.name === "README.md") found.push(join(dir, d.name));
    }
  };
  walk(root);
  // The root's first, then by path, so failures list in a stable order.
  const top = join(root, "README.md");
  return [top, ...found.filter((f) => f !== top).sort()].filter((f) => found.includes(f));
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

// One error family across the repo: every error class in a package's sources descends from
// AotjsError, and no source throws a bare Error/TypeError/RangeError. The oracle is the source
// text itself (read from disk), so a new `throw new Error(` anywhere fails here.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, test } from "vitest";
import { AotjsError, describeNode, fromJSON, GraphBuilder, IRError, meta, ShapeError } from "../src/index.js";

const root = join(import.meta.dirname, "../../..");
/** The published packages and the libraries other packages import (conformance, op-samples). */
const sourceDirs = [
  ...readdirSync(join(root, "packages")).map((p) => join(root, "packages", p, "src")),
  join(root, "tools/conformance/src"),
  join(root, "tools/op-samples/src"),
].filter((d) => statSync(d, { throwIfNoEntry: false })?.isDirectory());

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith(".ts") ? [p] : [];
  });
}
const files = sourceDirs
  .flatMap(tsFiles)
  .map((p) => ({ path: relative(root, p), text: readFileSync(p, "utf8") }));

describe("one error family", () => {
  test("the scan sees every package", () => {
    const packages = new Set(files.map((f) => f.path.split("/").slice(0, 2).join("/")));
    for (const p of ["packages/ir", "packages/tensor", "packages/backend-onnx", "packages/drawer"]) {
      expect(packages).toContain(p);
    }
  });

  test("no source throws or builds a bare Error, TypeError or RangeError", () => {
    const bare = /\bnew (Error|TypeError|RangeError|SyntaxError)\(/g;
    const found = files.flatMap((f) =>
      [...f.text.matchAll(bare)].map((m) => `${f.path}:${f.text.slice(0, m.index).split("\n").length}`),
    );
    expect(found).toEqual([]);
  });

  test("every error class descends from AotjsError", () => {
    const parent = new Map<string, string>([["AotjsError", "Error"]]);
    const where = new Map<string, string>();
    for (const f of files) {
      for (const m of f.text.matchAll(/\bclass (\w+) extends (\w+)/g)) {
        if (!m[1]!.endsWith("Error") && !m[2]!.endsWith("Error")) continue;
        parent.set(m[1]!, m[2]!);
        where.set(m[1]!, f.path);
      }
    }
    const reachesBase = (name: string): boolean => {
      for (let n: string | undefined = name, hops = 0; n && hops < 10; n = parent.get(n), hops++) {
        if (n === "AotjsError") return true;
      }
      return false;
    };
    const strays = [...where.keys()].filter((c) => !reachesBase(c)).map((c) => `${c} (${where.get(c)})`);
    expect(strays).toEqual([]);
    // The package classes the docs name are all there.
    for (const c of ["IRError", "ShapeError", "TensorError", "TraceError", "PyTreeError", "AutogradError"]) {
      expect(where.has(c), c).toBe(true);
    }
    for (const c of [
      "NNError",
      "AotError",
      "OnnxBackendError",
      "TfjsBackendError",
      "DrawError",
      "PartitionError",
    ]) {
      expect(where.has(c), c).toBe(true);
    }
  });
});

describe("IR errors", () => {
  test("are AotjsErrors, and a rewrap keeps the shape rule's error as cause", () => {
    const b = new GraphBuilder("g");
    const x = b.input("x", meta([2, 3]));
    const w = b.input("w", meta([4, 5]));
    let caught: unknown;
    try {
      b.op("matmul", [x, w]);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ShapeError);
    expect(caught).toBeInstanceOf(IRError);
    expect(caught).toBeInstanceOf(AotjsError);
    expect((caught as Error).cause).toBeInstanceOf(ShapeError);
    expect(((caught as Error).cause as Error).message).toBe(
      "inner dims differ: f32[2,3] @ f32[4,5] (3 vs 4)",
    );
  });

  test("bad JSON keeps the parser's error as cause", () => {
    let caught: unknown;
    try {
      fromJSON("{not json");
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(IRError);
    expect((caught as Error).cause).toBeInstanceOf(SyntaxError);
  });

  test("describeNode: op, node name, each input by its catalog name, output meta", () => {
    const b = new GraphBuilder("g");
    const x = b.input("x", meta([2, 3]));
    const w = b.input("w", meta([3, 4]));
    const y = b.op("matmul", [x, w], undefined, "mm");
    b.output([y]);
    const node = b.build().nodes[0]!;
    expect(describeNode(node)).toBe("matmul (node 'mm') of (a=x: f32[2,3], b=w: f32[3,4]) -> f32[2,4]");
    const full = new GraphBuilder("h");
    full.output([full.op("full", [], { shape: [2], value: 1, dtype: "int64" }, "ones")]);
    expect(describeNode(full.build().nodes[0]!)).toBe("full (node 'ones') of (no inputs) -> i64[2]");
  });
});

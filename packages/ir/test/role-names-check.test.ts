// The CI check that no package outside ir learns a role from a value's name (scripts/
// check-role-names.ts, run by the root `lint`). Oracles: lines written to be caught or not, the
// pre-signature code it must catch, and the repository itself, which must be clean.
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { roleNameChecks, scanRepository } from "../scripts/check-role-names.js";

const flagged = (line: string) => roleNameChecks("x.ts", line).map((c) => c.why);

describe("check-role-names", () => {
  test.each([
    [
      'const isTangent = (v: Value) => v.name.startsWith("tangents");',
      "tests a name's prefix, suffix or pattern",
    ],
    ["if (input?.name?.endsWith('_weight')) kind = 'parameter';", "tests a name's prefix, suffix or pattern"],
    ["const ARGUMENT = /^(primals|input)_\\d+$|^rng_(seed|offset)$/;", "a regex that spells aotjs's names"],
    ["if (CONSTANT.test(v.name)) return 'constant';", "runs a regex over a name"],
    ['const x = i.name === "input_1" ? a : b;', "compares a name with a role-like literal"],
    ['if ("rng_seed" === v.name) seed = v;', "compares a name with a role-like literal"],
    [
      'return graph.inputs.filter((v) => v.name.includes("saved"));',
      "tests a name's prefix, suffix or pattern",
    ],
  ])("flags %s", (line, why) => {
    expect(flagged(line)).toEqual([why]);
  });

  test.each([
    "const v = graph.inputs.find((x) => x.name === name);", // identity by name, no role
    'if (e.cat === "Session" && e.name === "model_run") n++;', // not a role-like literal
    '// a comment may say v.name.startsWith("tangents") was the old way',
    "/* the drawer once used /^(primals|input)_\\d+$/ */ const kind = KIND_OF_ROLE[role.kind];",
    "const names = [primalName(0), tangentName(0)];",
    "if (e.name?.endsWith(KERNEL)) n++; // names-are-not-roles: a profiler event's name",
  ])("leaves alone %s", (line) => {
    expect(flagged(line)).toEqual([]);
  });

  test("reports the file and line", () => {
    const found = roleNameChecks("pkg/src/a.ts", 'const a = 1;\nconst t = v.name.startsWith("tangents");\n');
    expect(found).toEqual([
      {
        file: "pkg/src/a.ts",
        line: 2,
        text: 'const t = v.name.startsWith("tangents");',
        why: "tests a name's prefix, suffix or pattern",
      },
    ]);
  });

  test("no package, tool or example outside ir learns a role from a name", () => {
    const root = fileURLToPath(new URL("../../../", import.meta.url));
    expect(scanRepository(root).map((c) => `${c.file}:${c.line}: ${c.text}`)).toEqual([]);
  });
});

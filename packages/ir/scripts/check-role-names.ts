// Names are for people; what an input or output is lives in the graph's signature. This check
// fails when source outside @aotjs/ir learns a role from a value's name: a prefix, suffix or
// pattern test on `.name`, a regex over `.name`, a comparison of `.name` with a literal like
// "tangents_1", or a regex literal that spells one of the names aotjs gives (`/^tangents/`).
// ir itself may (reading version-1 JSON derives roles from names, once). A line about some other
// name (a profiler event's, say) says so with a `names-are-not-roles: <why>` comment.
//   pnpm --filter @aotjs/ir run check-names     (the root `lint` runs it)
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export interface RoleNameCheck {
  readonly file: string;
  readonly line: number;
  readonly text: string;
  readonly why: string;
}

const ROLE_WORDS = "primals|tangents|input_|rng_|_tensor_constant|arg_|grad|saved|param|buffer";
const RULES: readonly { readonly re: RegExp; readonly why: string }[] = [
  {
    re: /\.name\s*\??\.\s*(startsWith|endsWith|match|matchAll|search|includes)\s*\(/,
    why: "tests a name's prefix, suffix or pattern",
  },
  { re: /\.test\(\s*[\w$.?!\][]*\.name\s*\)/, why: "runs a regex over a name" },
  {
    re: new RegExp(`\\.name\\s*[!=]==?\\s*["'\`](${ROLE_WORDS})`),
    why: "compares a name with a role-like literal",
  },
  {
    re: new RegExp(`["'\`](${ROLE_WORDS})[^"'\`]*["'\`]\\s*[!=]==?\\s*[\\w$.?!\\]\\[]*\\.name\\b`),
    why: "compares a name with a role-like literal",
  },
  {
    re: /\/\^?\(?(primals|tangents|_tensor_constant|rng_(seed|offset))/,
    why: "a regex that spells aotjs's names",
  },
];

/** Code without comments, line for line (good enough here: a `//` inside a string only hides code). */
function stripComments(source: string): string[] {
  const noBlocks = source.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, " "));
  return noBlocks.split("\n").map((l) => l.replace(/(^|[^:"'`\\])\/\/.*$/, "$1"));
}

const EXEMPT = /names-are-not-roles: \S/;

/** The lines of `source` that learn a role from a name. */
export function roleNameChecks(file: string, source: string): RoleNameCheck[] {
  const found: RoleNameCheck[] = [];
  const raw = source.split("\n");
  stripComments(source).forEach((code, i) => {
    // The marker goes on the line itself or on the line above it.
    if (EXEMPT.test(raw[i]!) || (i > 0 && EXEMPT.test(raw[i - 1]!))) return;
    for (const rule of RULES) {
      if (rule.re.test(code)) {
        found.push({ file, line: i + 1, text: code.trim(), why: rule.why });
        break;
      }
    }
  });
  return found;
}

function tsFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) return e === "node_modules" || e === "dist" ? [] : tsFiles(p);
    return /\.(ts|mts|js|mjs)$/.test(e) ? [p] : [];
  });
}

/** Every `src/` folder of the repository's packages, tools and examples, except ir's. */
export function scanRepository(root: string): RoleNameCheck[] {
  const sources = ["packages", "tools"].flatMap((group) =>
    readdirSync(join(root, group))
      .filter((name) => !(group === "packages" && name === "ir"))
      .map((name) => join(root, group, name, "src")),
  );
  sources.push(join(root, "examples", "src"));
  return sources.flatMap(tsFiles).flatMap((f) => roleNameChecks(relative(root, f), readFileSync(f, "utf8")));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = fileURLToPath(new URL("../../../", import.meta.url));
  const found = scanRepository(root);
  for (const c of found) console.error(`${c.file}:${c.line}: ${c.why}: ${c.text}`);
  if (found.length) {
    console.error(
      `\n${found.length} place(s) learn a role from a value's name; read graph.signature instead (see @aotjs/ir's README).`,
    );
    process.exit(1);
  }
  console.log("check-names: no package outside ir reads a role from a name");
}

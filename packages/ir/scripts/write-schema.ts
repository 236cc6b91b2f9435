// Regenerates schema/graph.schema.json from the catalog: `pnpm --filter @aotjs/ir run schema`.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { graphJsonSchema } from "../src/json-schema.js";

const file = fileURLToPath(new URL("../schema/graph.schema.json", import.meta.url));
writeFileSync(file, `${JSON.stringify(graphJsonSchema(), null, 2)}\n`);
// Format it as the repo's biome config does, so `biome check` stays clean after regenerating.
execFileSync("biome", ["format", "--write", file], { stdio: "inherit" });

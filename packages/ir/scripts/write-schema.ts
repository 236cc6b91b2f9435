// Regenerates schema/graph.schema.json from the catalog: `pnpm --filter @aotjs/ir run schema`.
import { writeFileSync } from "node:fs";
import { graphJsonSchema } from "../src/json-schema.js";

writeFileSync(new URL("../schema/graph.schema.json", import.meta.url), `${JSON.stringify(graphJsonSchema(), null, 2)}\n`);

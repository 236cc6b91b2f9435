// Shared by every package: `vitest run --config ../../vitest.config.ts` from the package folder.
// The `@aotjs/source` condition makes workspace imports resolve to `src/index.ts`, so tests never need a build.
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { conditions: ["@aotjs/source", "module", "node", "import", "default"] },
  ssr: { resolve: { conditions: ["@aotjs/source", "module", "node", "import", "default"] } },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});

import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts", "src/node.ts"],
  format: ["esm", "cjs"],
  // onnx-buf is ESM-only (16 kB of generated schemas) and imported statically: bundled, so the
  // CommonJS build loads on Node versions without require(esm).
  noExternal: ["onnx-buf"],
  dts: true,
  clean: true,
  sourcemap: true,
  target: "es2022",
});

import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts" },
  format: ["esm"],
  target: "node20",
  platform: "neutral",
  dts: { resolve: false },
  clean: true,
  sourcemap: false,
  // Only the published dependencies stay external; the type-only import of the router disappears at build time.
  external: ["@trpc/client", "@trpc/server"],
});

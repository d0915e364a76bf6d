import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts" },
  format: ["esm"],
  target: "node20",
  platform: "neutral",
  dts: { resolve: false },
  clean: true,
  sourcemap: false,
  // `node:crypto` (used by verifyWebhook) keeps its prefix, which Deno and Bun need.
  removeNodeProtocol: false,
  // Only the published dependencies and Node's built-ins stay external: the type-only import of the router
  // disappears at build time, and @btick/webhooks (a devDependency) is bundled.
  external: ["@trpc/client", "@trpc/server", /^node:/],
});

// Generates the Prisma client into src/generated/prisma.
// `prisma generate` first tries to download a schema-engine binary it does not actually need for
// generation. Where that download is impossible (offline machines) we retry with the documented
// escape hatch PRISMA_SCHEMA_ENGINE_BINARY=/bin/false, so machines with internet keep the normal path.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const cwd = fileURLToPath(new URL("..", import.meta.url));
const args = ["exec", "prisma", "generate", "--config", "../../prisma/prisma.config.ts"];
const run = (env) => spawnSync("pnpm", args, { cwd, env: { ...process.env, ...env }, encoding: "utf8" });

let result = run({});
if (result.status !== 0 && !process.env.PRISMA_SCHEMA_ENGINE_BINARY) {
  console.log("prisma generate: no schema engine available, generating without it");
  result = run({ PRISMA_SCHEMA_ENGINE_BINARY: "/bin/false" });
}
process.stdout.write(result.stdout ?? "");
if (result.status !== 0) {
  process.stderr.write(result.stderr ?? "");
  process.exit(result.status ?? 1);
}

// What `pnpm start` itself reads, through @btick/config's loader (the only code touching process.env).
// Everything else in the environment is passed through to the API and the worker, which validate their own.
import { existsSync } from "node:fs";
import { join } from "node:path";

import { loadEnv } from "@btick/config";
import { repoRoot } from "@btick/local-db";
import { z } from "zod";

/** Loads `<repo>/.env` when present; variables already set in the environment win. */
export function loadDotEnv(file = join(repoRoot, ".env")): void {
  if (existsSync(file)) process.loadEnvFile(file);
}

const blankAsUnset = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : typeof v === "string" ? v.trim() : v);

export const stackEnvSchema = z.object({
  /** When set, the services use this database and no embedded PostgreSQL is started. */
  DATABASE_URL: z.preprocess(blankAsUnset, z.string().optional()),
  /** The API's port (for the printed URLs and the readiness check). */
  PORT: z.preprocess(blankAsUnset, z.coerce.number().int().min(0).max(65535).default(8080)),
  HOST: z.preprocess(blankAsUnset, z.string().default("0.0.0.0")),
  WORKER_ID: z.preprocess(blankAsUnset, z.string().optional()),
  WORKER_TASK_LOG_PATH: z.preprocess(blankAsUnset, z.string().optional()),
});

export type StackEnv = z.infer<typeof stackEnvSchema>;

export const loadStackEnv = (env?: NodeJS.ProcessEnv): StackEnv => loadEnv(stackEnvSchema, env);

/** The full environment handed to the services. */
export const inheritedEnv = (): NodeJS.ProcessEnv => ({ ...process.env });

// The CLI's environment, read through @btick/config's loader (the only code touching process.env).
import { existsSync } from "node:fs";
import { join } from "node:path";

import { loadEnv } from "@btick/config";
import { repoRoot } from "@btick/local-db";
import { z } from "zod";

/** Loads `<repo>/.env` when present (as `pnpm start` does); variables already set in the environment win. */
export function loadDotEnv(file = join(repoRoot, ".env")): void {
  if (existsSync(file)) process.loadEnvFile(file);
}

const optionalText = z.preprocess((v) => (typeof v === "string" && v.trim() === "" ? undefined : typeof v === "string" ? v.trim() : v), z.string().optional());

export const cliEnvSchema = z.object({
  /** API base URL for the jobs/runs/keys commands; overrides the one saved by `btick login`. */
  BTICK_BASE_URL: optionalText,
  /** API key for the jobs/runs/keys commands; overrides the one saved by `btick login`. */
  BTICK_API_KEY: optionalText,
  /** Where `btick login` keeps its config (`$XDG_CONFIG_HOME/btick/config.json`; default `~/.config`). */
  XDG_CONFIG_HOME: optionalText,
  /** PostgreSQL to use; when unset, the embedded database of `pnpm start` (started if needed). */
  DATABASE_URL: z.preprocess(
    (v) => (typeof v === "string" && v.trim() === "" ? undefined : typeof v === "string" ? v.trim() : v),
    z.string().refine((v) => /^postgres(ql)?:\/\//.test(v), "must be a postgres:// or postgresql:// URL").optional(),
  ),
});

export type CliEnv = z.infer<typeof cliEnvSchema>;

export const loadCliEnv = (env?: NodeJS.ProcessEnv): CliEnv => loadEnv(cliEnvSchema, env);

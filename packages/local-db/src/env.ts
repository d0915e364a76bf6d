// Environment of the embedded database, read through @btick/config's loader (the only code touching process.env).
import { loadEnv } from "@btick/config";
import { z } from "zod";

export const DEFAULT_EMBEDDED_POSTGRES_PORT = 54329;

export const localDbEnvSchema = z.object({
  /** Port of the embedded PostgreSQL (used only when DATABASE_URL is unset). */
  EMBEDDED_POSTGRES_PORT: z.preprocess(
    (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
    z.coerce.number().int().min(1).max(65535).default(DEFAULT_EMBEDDED_POSTGRES_PORT),
  ),
});

export type LocalDbEnv = z.infer<typeof localDbEnvSchema>;

export const loadLocalDbEnv = (env?: NodeJS.ProcessEnv): LocalDbEnv => loadEnv(localDbEnvSchema, env);

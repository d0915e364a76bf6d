// What `pnpm start` itself reads, through @btick/config's loader (the only code touching process.env).
// Everything else in the environment is passed through to the API and the worker, which validate their own.
import { loadEnv } from "@btick/config";
import { z } from "zod";

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

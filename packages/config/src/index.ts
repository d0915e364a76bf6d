// The only module that reads process.env. Each process validates its own variables once at start-up;
// a bad value stops it with one line naming the variable.
import { hostname } from "node:os";

import { z } from "zod";

/** Blank values count as unset, as in the original. */
const blankAsUnset = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : typeof v === "string" ? v.trim() : v);

const int = (def: number, min: number, max: number) =>
  z.preprocess(blankAsUnset, z.coerce.number().int().min(min).max(max).default(def));
const str = (def: string) => z.preprocess(blankAsUnset, z.string().default(def));
const bool = (def: boolean) =>
  z.preprocess(blankAsUnset, z.enum(["true", "false", "1", "0"]).default(def ? "true" : "false")).transform((v) => v === "true" || v === "1");
const nodeEnv = z.preprocess(blankAsUnset, z.enum(["development", "production", "test"]).default("development"));
const logLevel = z.preprocess(
  blankAsUnset,
  z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
);
const databaseUrl = z.preprocess(
  blankAsUnset,
  z
    .string({ error: "is required (a PostgreSQL connection string)" })
    .refine((v) => /^postgres(ql)?:\/\//.test(v), "must be a postgres:// or postgresql:// URL"),
);

export const DEV_SESSION_SECRET = "btick-dev-session-secret-change-me";

export const apiEnvSchema = z.object({
  NODE_ENV: nodeEnv,
  DATABASE_URL: databaseUrl,
  HOST: str("0.0.0.0"),
  PORT: int(8080, 0, 65535),
  LOG_LEVEL: logLevel,
  UI_SESSION_SECRET: str(DEV_SESSION_SECRET),
  UI_SESSION_TTL_HOURS: int(12, 1, 24 * 90),
  /** Behind a reverse proxy: trust X-Forwarded-For/-Proto (client IP for throttling, https for Secure cookies). */
  TRUST_PROXY: bool(false),
});
export type ApiEnv = z.infer<typeof apiEnvSchema>;

export const workerEnvSchema = z.object({
  NODE_ENV: nodeEnv,
  DATABASE_URL: databaseUrl,
  LOG_LEVEL: logLevel,
  /** Written to each run as its lease owner; must be unique per running worker. */
  WORKER_ID: str(`${hostname()}-${process.pid}`),
  WORKER_CONCURRENCY: int(4, 1, 10_000),
  WORKER_POLL_INTERVAL_MS: int(2000, 10, 3_600_000),
  WORKER_STALE_CLAIM_MINUTES: int(5, 1, 1440),
  /** Optional finer lease length in seconds; when set it replaces WORKER_STALE_CLAIM_MINUTES (tests, chaos runs). */
  WORKER_STALE_CLAIM_SECONDS: z.preprocess(blankAsUnset, z.coerce.number().int().min(1).max(86_400).optional()),
  WORKER_MAX_CLAIMS_PER_TICK: int(20, 1, 10_000),
  WORKER_TASK_LOG_PATH: str("./logs/tasks"),
  WORKER_HTTP_TIMEOUT_SECONDS: int(90, 1, 3600),
  WORKER_SHUTDOWN_GRACE_SECONDS: int(30, 0, 3600),
  WORKER_FOLLOW_REDIRECTS: bool(false),
  /** Finished runs, completed manual triggers and run log files older than this are deleted; 0 keeps them forever. */
  RUN_RETENTION_DAYS: int(30, 0, 36_500),
});
export type WorkerEnv = z.infer<typeof workerEnvSchema>;

export class ConfigError extends Error {}

/** Parses env with the schema; throws a ConfigError whose message is one line per bad variable. */
export function loadEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `invalid environment variable ${i.path.join(".")}: ${i.message}`);
  throw new ConfigError(lines.join("\n"));
}

export const loadApiEnv = (env?: NodeJS.ProcessEnv) => {
  const parsed = loadEnv(apiEnvSchema, env);
  if (parsed.NODE_ENV === "production" && (parsed.UI_SESSION_SECRET === DEV_SESSION_SECRET || parsed.UI_SESSION_SECRET.length < 32)) {
    throw new ConfigError(
      "invalid environment variable UI_SESSION_SECRET: set a random value of at least 32 characters in production",
    );
  }
  return parsed;
};
export const loadWorkerEnv = (env?: NodeJS.ProcessEnv) => loadEnv(workerEnvSchema, env);

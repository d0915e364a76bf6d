// The only module that reads process.env. Each process validates its own variables once at start-up;
// a bad value stops it with one line naming the variable.
import { hostname } from "node:os";

import { z } from "zod";

import { invalidHostListEntries } from "@btick/net-policy";
import { DEVELOPMENT_KEY, parseKey } from "@btick/secrets";

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
/** A comma- or space-separated list: "a.example, 10.0.0.0/8" → ["a.example", "10.0.0.0/8"]. */
const list = z.preprocess(
  (v) => (typeof v === "string" ? v.split(/[\s,]+/).filter((s) => s !== "") : v),
  z.array(z.string()).default([]),
);
/** An allow-list of hostnames, IP addresses and CIDR ranges. */
const hostList = list.superRefine((entries, ctx) => {
  const bad = invalidHostListEntries(entries);
  if (bad.length > 0) ctx.addIssue({ code: "custom", message: `not a hostname, IP address or CIDR range: ${bad.join(", ")}` });
});
const databaseUrl = z.preprocess(
  blankAsUnset,
  z
    .string({ error: "is required (a PostgreSQL connection string)" })
    .refine((v) => /^postgres(ql)?:\/\//.test(v), "must be a postgres:// or postgresql:// URL"),
);

/** SECRETS_ENCRYPTION_KEY: base64 of 32 bytes. Unset: the public development key (refused in production). */
const encryptionKey = z.preprocess(
  blankAsUnset,
  z
    .string()
    .optional()
    .superRefine((v, ctx) => {
      if (v === undefined) return;
      try {
        parseKey(v);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: (err as Error).message });
      }
    }),
);
/** SECRETS_ENCRYPTION_KEYS: older keys (comma-separated), still accepted for decryption during a key rotation. */
const oldEncryptionKeys = z.preprocess(
  blankAsUnset,
  z
    .string()
    .optional()
    .superRefine((v, ctx) => {
      for (const [i, k] of (v ?? "").split(",").map((s) => s.trim()).filter(Boolean).entries()) {
        try {
          parseKey(k);
        } catch (err) {
          ctx.addIssue({ code: "custom", message: `key ${i + 1} ${(err as Error).message}` });
        }
      }
    }),
);

export const DEV_SESSION_SECRET = "btick-dev-session-secret-change-me";

export const apiEnvSchema = z.object({
  NODE_ENV: nodeEnv,
  DATABASE_URL: databaseUrl,
  /** Bound on each database call (a stuck or frozen database answers 503 instead of hanging); 0 disables. */
  DATABASE_QUERY_TIMEOUT_MS: int(5000, 0, 3_600_000),
  HOST: str("0.0.0.0"),
  PORT: int(8080, 0, 65535),
  LOG_LEVEL: logLevel,
  UI_SESSION_SECRET: str(DEV_SESSION_SECRET),
  UI_SESSION_TTL_HOURS: int(12, 1, 24 * 90),
  /** Accept job URLs whose host is a literal loopback/private/reserved IP or `localhost`. */
  API_ALLOW_PRIVATE_NETWORKS: bool(false),
  /** Hostnames, IPs and CIDRs accepted in job URLs even when private (mirror WORKER_ALLOWED_HOSTS). */
  API_ALLOWED_HOSTS: hostList,
  /** Requests per minute under /api/v1 and /trpc, per API key (per client IP for requests without a valid key); 0 disables. */
  API_RATE_LIMIT_PER_MINUTE: int(600, 0, 1_000_000),
  /** Failed authentications (401) per minute per client IP before that IP gets 429s; 0 disables. */
  API_AUTH_FAILURES_PER_MINUTE: int(20, 0, 1_000_000),
  /** Trust X-Forwarded-For/-Proto from a reverse proxy (client IPs for rate limits, https detection for HSTS). */
  TRUST_PROXY: bool(false),
  /** Serve GET /metrics (Prometheus) on the API port. */
  API_METRICS_ENABLED: bool(true),
  /** Jobs one tenant may have; creating one more answers 429 (see README, "Security"). */
  TENANT_MAX_JOBS: int(1000, 1, 10_000_000),
  /** Active API keys one tenant may have (each key has its own rate limit); creating one more answers 429. */
  TENANT_MAX_API_KEYS: int(100, 1, 1_000_000),
  /** Minimum seconds between two consecutive fires of a job's cron expression. */
  TENANT_MIN_INTERVAL_SECONDS: int(1, 0, 86_400),
  SECRETS_ENCRYPTION_KEY: encryptionKey,
  SECRETS_ENCRYPTION_KEYS: oldEncryptionKeys,
  /** Comma-separated header-name patterns (`*` wildcard, case-insensitive) whose values are encrypted and masked. */
  SECRET_HEADER_PATTERNS: z.preprocess(blankAsUnset, z.string().optional()),
  /** After a signing-secret rotation, requests keep a signature made with the old secret this long (per-request override). */
  SIGNING_SECRET_PREVIOUS_TTL_HOURS: int(24, 0, 720),
});
export type ApiEnv = z.infer<typeof apiEnvSchema>;

export const workerEnvSchema = z.object({
  NODE_ENV: nodeEnv,
  DATABASE_URL: databaseUrl,
  LOG_LEVEL: logLevel,
  /** Bound on each database call of the worker (claims, heartbeats, completions, cleanup); 0 disables. */
  WORKER_DATABASE_QUERY_TIMEOUT_MS: int(60_000, 0, 3_600_000),
  /** Written to each run as its lease owner; must be unique per running worker. */
  WORKER_ID: str(`${hostname()}-${process.pid}`),
  WORKER_CONCURRENCY: int(4, 1, 10_000),
  WORKER_POLL_INTERVAL_MS: int(2000, 10, 3_600_000),
  WORKER_STALE_CLAIM_MINUTES: int(5, 1, 1440),
  /** Optional finer lease length in seconds; when set it replaces WORKER_STALE_CLAIM_MINUTES (tests, chaos runs). */
  WORKER_STALE_CLAIM_SECONDS: z.preprocess(blankAsUnset, z.coerce.number().int().min(1).max(86_400).optional()),
  WORKER_MAX_CLAIMS_PER_TICK: int(20, 1, 10_000),
  /** A slot later than this when claimed has misfired (misfire_policy applies); a less late one simply runs. */
  WORKER_MISFIRE_THRESHOLD_SECONDS: int(60, 1, 86_400),
  WORKER_TASK_LOG_PATH: str("./logs/tasks"),
  WORKER_HTTP_TIMEOUT_SECONDS: int(90, 1, 3600),
  WORKER_SHUTDOWN_GRACE_SECONDS: int(30, 0, 3600),
  WORKER_FOLLOW_REDIRECTS: bool(false),
  /** Finished runs, completed manual triggers and run log files older than this are deleted; 0 keeps them forever. */
  RUN_RETENTION_DAYS: int(30, 0, 36_500),
  /** Turn off the outbound-call protection: allow loopback, private, link-local and other reserved addresses. */
  WORKER_ALLOW_PRIVATE_NETWORKS: bool(false),
  /** Exceptions to the protection: hostnames (`*.example` for subdomains), IP addresses and CIDR ranges. */
  WORKER_ALLOWED_HOSTS: hostList,
  /** Port of the worker's /metrics, /healthz and /readyz server; 0 disables it. */
  WORKER_METRICS_PORT: int(9464, 0, 65535),
  WORKER_METRICS_HOST: str("0.0.0.0"),
  SECRETS_ENCRYPTION_KEY: encryptionKey,
  SECRETS_ENCRYPTION_KEYS: oldEncryptionKeys,
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

/** In production a real encryption key is mandatory: no silent fallback to the public development key. */
function requireEncryptionKey(parsed: { NODE_ENV: string; SECRETS_ENCRYPTION_KEY?: string | undefined }): void {
  if (parsed.NODE_ENV !== "production") return;
  if (parsed.SECRETS_ENCRYPTION_KEY === undefined || parseKey(parsed.SECRETS_ENCRYPTION_KEY).equals(parseKey(DEVELOPMENT_KEY))) {
    throw new ConfigError(
      "invalid environment variable SECRETS_ENCRYPTION_KEY: required in production (32 random bytes, base64: openssl rand -base64 32)",
    );
  }
}

export const loadApiEnv = (env?: NodeJS.ProcessEnv) => {
  const parsed = loadEnv(apiEnvSchema, env);
  if (parsed.NODE_ENV === "production" && (parsed.UI_SESSION_SECRET === DEV_SESSION_SECRET || parsed.UI_SESSION_SECRET.length < 32)) {
    throw new ConfigError(
      "invalid environment variable UI_SESSION_SECRET: set a random value of at least 32 characters in production",
    );
  }
  requireEncryptionKey(parsed);
  return parsed;
};
export const loadWorkerEnv = (env?: NodeJS.ProcessEnv) => {
  const parsed = loadEnv(workerEnvSchema, env);
  requireEncryptionKey(parsed);
  return parsed;
};

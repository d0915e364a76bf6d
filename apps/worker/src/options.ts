import type { WorkerEnv } from "@btick/config";
import { keyringFromConfig, type Keyring } from "@btick/secrets";

/** Everything the worker needs to know, in units the code uses (milliseconds). Tests build these directly. */
export interface WorkerOptions {
  /** Lease owner written to every run this worker claims; unique per process. */
  workerId: string;
  /** Runs executed at the same time. */
  concurrency: number;
  /** Upper bound on the sleep between two claims when nothing wakes the worker earlier. */
  pollIntervalMs: number;
  /** Jobs (and, separately, manual triggers) claimed per statement. */
  maxClaimsPerTick: number;
  /** A slot later than this at claim time has misfired (its job's misfire_policy applies); a less late one runs. */
  misfireThresholdMs: number;
  /** A run's lease lasts this long and is renewed by the heartbeat every third of it. */
  leaseMs: number;
  /** How often runs whose lease expired are marked lost. */
  sweepIntervalMs: number;
  /** Ceiling on one HTTP attempt; the job's own timeout applies when smaller. */
  httpTimeoutMs: number;
  /** Directory receiving one `<run_id>.log` per run; null (WORKER_TASK_LOG_PATH=off) disables the files. */
  taskLogPath: string | null;
  /** Backoff between retries: exponential from base, capped, with jitter. */
  retryBaseMs: number;
  retryCapMs: number;
  /** Ceiling applied to a target's Retry-After. */
  retryAfterCapMs: number;
  /** Follow 3xx responses (off by default: a redirect is recorded as a failure). */
  followRedirects: boolean;
  /** Finished runs, completed triggers and run log files older than this are deleted (0: never); see retention.ts. */
  runRetentionDays: number;
  /** On stop(): how long in-flight runs may finish before they are aborted. */
  shutdownGraceMs: number;
  /** Outbound-call protection off: loopback, private and other reserved addresses may be called. */
  allowPrivateNetworks: boolean;
  /** Exceptions to the protection: hostnames (`*.example` for subdomains), IP addresses, CIDR ranges. */
  allowedHosts: string[];
  /** Opens secret header values and signing secrets; default: the public development key. */
  keyring?: Keyring;
}

export const defaultOptions: Omit<WorkerOptions, "workerId"> = {
  concurrency: 4,
  pollIntervalMs: 2000,
  maxClaimsPerTick: 20,
  misfireThresholdMs: 60_000,
  leaseMs: 5 * 60_000,
  sweepIntervalMs: 30_000,
  httpTimeoutMs: 90_000,
  taskLogPath: "./logs/tasks",
  retryBaseMs: 1000,
  retryCapMs: 60_000,
  retryAfterCapMs: 5 * 60_000,
  followRedirects: false,
  shutdownGraceMs: 30_000,
  runRetentionDays: 30,
  allowPrivateNetworks: false,
  allowedHosts: [],
};

function leaseMsFromEnv(env: WorkerEnv): number {
  return env.WORKER_STALE_CLAIM_SECONDS !== undefined ? env.WORKER_STALE_CLAIM_SECONDS * 1000 : env.WORKER_STALE_CLAIM_MINUTES * 60_000;
}

export function optionsFromEnv(env: WorkerEnv): WorkerOptions {
  return {
    ...defaultOptions,
    workerId: env.WORKER_ID,
    concurrency: env.WORKER_CONCURRENCY,
    pollIntervalMs: env.WORKER_POLL_INTERVAL_MS,
    maxClaimsPerTick: env.WORKER_MAX_CLAIMS_PER_TICK,
    misfireThresholdMs: env.WORKER_MISFIRE_THRESHOLD_SECONDS * 1000,
    leaseMs: leaseMsFromEnv(env),
    // A dead worker's runs are marked lost at most a quarter of a lease after their lease expires.
    sweepIntervalMs: Math.max(250, Math.min(defaultOptions.sweepIntervalMs, Math.round(leaseMsFromEnv(env) / 4))),
    httpTimeoutMs: env.WORKER_HTTP_TIMEOUT_SECONDS * 1000,
    taskLogPath: env.WORKER_TASK_LOG_PATH === "off" ? null : env.WORKER_TASK_LOG_PATH,
    followRedirects: env.WORKER_FOLLOW_REDIRECTS,
    shutdownGraceMs: env.WORKER_SHUTDOWN_GRACE_SECONDS * 1000,
    runRetentionDays: env.RUN_RETENTION_DAYS,
    allowPrivateNetworks: env.WORKER_ALLOW_PRIVATE_NETWORKS,
    allowedHosts: env.WORKER_ALLOWED_HOSTS,
    keyring: keyringFromConfig({ key: env.SECRETS_ENCRYPTION_KEY, oldKeys: env.SECRETS_ENCRYPTION_KEYS }).keyring,
  };
}

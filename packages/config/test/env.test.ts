import { describe, expect, it } from "vitest";

import { ConfigError, loadApiEnv, loadWorkerEnv } from "../src/index.ts";

const db = { DATABASE_URL: "postgresql://localhost/btick" };

describe("loadWorkerEnv", () => {
  it("applies the original's defaults", () => {
    const env = loadWorkerEnv({ ...db });
    expect(env.WORKER_CONCURRENCY).toBe(4);
    expect(env.WORKER_POLL_INTERVAL_MS).toBe(2000);
    expect(env.WORKER_STALE_CLAIM_MINUTES).toBe(5);
    expect(env.WORKER_MAX_CLAIMS_PER_TICK).toBe(20);
    expect(env.WORKER_MISFIRE_THRESHOLD_SECONDS).toBe(60);
    expect(env.WORKER_HTTP_TIMEOUT_SECONDS).toBe(90);
    expect(env.WORKER_TASK_LOG_PATH).toBe("./logs/tasks");
    expect(env.RUN_RETENTION_DAYS).toBe(30);
  });

  it("accepts RUN_RETENTION_DAYS=0 (keep history forever) and rejects negative or fractional days", () => {
    expect(loadWorkerEnv({ ...db, RUN_RETENTION_DAYS: "0" }).RUN_RETENTION_DAYS).toBe(0);
    expect(loadWorkerEnv({ ...db, RUN_RETENTION_DAYS: "7" }).RUN_RETENTION_DAYS).toBe(7);
    expect(() => loadWorkerEnv({ ...db, RUN_RETENTION_DAYS: "-1" })).toThrow(/invalid environment variable RUN_RETENTION_DAYS:/);
    expect(() => loadWorkerEnv({ ...db, RUN_RETENTION_DAYS: "1.5" })).toThrow(/RUN_RETENTION_DAYS/);
  });

  it("treats blank values as unset and trims", () => {
    expect(loadWorkerEnv({ ...db, WORKER_CONCURRENCY: "  ", WORKER_ID: " w1 " })).toMatchObject({
      WORKER_CONCURRENCY: 4,
      WORKER_ID: "w1",
    });
  });

  it.each([
    ["WORKER_POLL_INTERVAL_MS", "0"],
    ["WORKER_CONCURRENCY", "abc"],
    ["WORKER_MAX_CLAIMS_PER_TICK", "-1"],
    ["WORKER_STALE_CLAIM_MINUTES", "1.5"],
    ["WORKER_MISFIRE_THRESHOLD_SECONDS", "0"],
  ])("rejects %s=%s with a message naming the variable", (name, value) => {
    expect(() => loadWorkerEnv({ ...db, [name]: value })).toThrow(new RegExp(`invalid environment variable ${name}:`));
  });

  it("requires DATABASE_URL", () => {
    expect(() => loadWorkerEnv({})).toThrow(ConfigError);
    expect(() => loadWorkerEnv({ DATABASE_URL: "mysql://x" })).toThrow(/DATABASE_URL/);
  });
});

describe("loadApiEnv", () => {
  it("refuses the default session secret in production", () => {
    expect(() => loadApiEnv({ ...db, NODE_ENV: "production" })).toThrow(/UI_SESSION_SECRET/);
    const key = Buffer.alloc(32, 1).toString("base64");
    expect(loadApiEnv({ ...db, NODE_ENV: "production", UI_SESSION_SECRET: "x".repeat(40), SECRETS_ENCRYPTION_KEY: key }).PORT).toBe(8080);
  });
});

describe("security and operations settings", () => {
  it("defaults to the protected, rate-limited setup", () => {
    const api = loadApiEnv({ ...db });
    expect(api).toMatchObject({
      API_ALLOW_PRIVATE_NETWORKS: false,
      API_ALLOWED_HOSTS: [],
      API_RATE_LIMIT_PER_MINUTE: 600,
      API_AUTH_FAILURES_PER_MINUTE: 20,
      TENANT_MAX_JOBS: 1000,
      TENANT_MAX_API_KEYS: 100,
      TENANT_MIN_INTERVAL_SECONDS: 1,
      TRUST_PROXY: false,
    });
    expect(loadApiEnv({ ...db }).DATABASE_QUERY_TIMEOUT_MS).toBe(5000);
    const worker = loadWorkerEnv({ ...db });
    expect(worker).toMatchObject({ WORKER_ALLOW_PRIVATE_NETWORKS: false, WORKER_ALLOWED_HOSTS: [], WORKER_METRICS_PORT: 9464 });
  });

  it("parses allow-lists and rejects entries that are not hosts, IPs or ranges", () => {
    expect(loadWorkerEnv({ ...db, WORKER_ALLOWED_HOSTS: "hooks.internal, 10.0.0.0/8 fd00::1" }).WORKER_ALLOWED_HOSTS).toEqual([
      "hooks.internal",
      "10.0.0.0/8",
      "fd00::1",
    ]);
    expect(() => loadWorkerEnv({ ...db, WORKER_ALLOWED_HOSTS: "http://x/" })).toThrow(/WORKER_ALLOWED_HOSTS: not a hostname/);
    expect(loadApiEnv({ ...db, API_ALLOW_PRIVATE_NETWORKS: "true" }).API_ALLOW_PRIVATE_NETWORKS).toBe(true);
  });

  it("reads TRUST_PROXY as a boolean, off by default", () => {
    expect(loadApiEnv({ ...db }).TRUST_PROXY).toBe(false);
    expect(loadApiEnv({ ...db, TRUST_PROXY: "true" }).TRUST_PROXY).toBe(true);
    expect(loadApiEnv({ ...db, TRUST_PROXY: "1" }).TRUST_PROXY).toBe(true);
    expect(() => loadApiEnv({ ...db, TRUST_PROXY: "yes" })).toThrow(/TRUST_PROXY/);
  });
});

describe("database call bounds", () => {
  it("bounds the API's calls at 5 s and the worker's at 60 s by default; 0 disables, negatives are refused", () => {
    expect(loadApiEnv({ ...db }).DATABASE_QUERY_TIMEOUT_MS).toBe(5000);
    expect(loadWorkerEnv({ ...db }).WORKER_DATABASE_QUERY_TIMEOUT_MS).toBe(60_000);
    expect(loadApiEnv({ ...db, DATABASE_QUERY_TIMEOUT_MS: "0" }).DATABASE_QUERY_TIMEOUT_MS).toBe(0);
    expect(loadWorkerEnv({ ...db, WORKER_DATABASE_QUERY_TIMEOUT_MS: "2500" }).WORKER_DATABASE_QUERY_TIMEOUT_MS).toBe(2500);
    expect(() => loadApiEnv({ ...db, DATABASE_QUERY_TIMEOUT_MS: "-1" })).toThrow(/invalid environment variable DATABASE_QUERY_TIMEOUT_MS/);
  });
});

describe("NODE_ENV", () => {
  it("accepts only development, production or test", () => {
    expect(loadWorkerEnv({ ...db, NODE_ENV: "test" }).NODE_ENV).toBe("test");
    expect(() => loadWorkerEnv({ ...db, NODE_ENV: "prod" })).toThrow(/invalid environment variable NODE_ENV/);
  });
});

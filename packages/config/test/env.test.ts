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
    expect(loadApiEnv({ ...db, NODE_ENV: "production", UI_SESSION_SECRET: "x".repeat(40) }).PORT).toBe(8080);
  });

  it("reads TRUST_PROXY as a boolean, off by default", () => {
    expect(loadApiEnv({ ...db }).TRUST_PROXY).toBe(false);
    expect(loadApiEnv({ ...db, TRUST_PROXY: "true" }).TRUST_PROXY).toBe(true);
    expect(loadApiEnv({ ...db, TRUST_PROXY: "1" }).TRUST_PROXY).toBe(true);
    expect(() => loadApiEnv({ ...db, TRUST_PROXY: "yes" })).toThrow(/TRUST_PROXY/);
  });
});

describe("NODE_ENV", () => {
  it("accepts only development, production or test", () => {
    expect(loadWorkerEnv({ ...db, NODE_ENV: "test" }).NODE_ENV).toBe("test");
    expect(() => loadWorkerEnv({ ...db, NODE_ENV: "prod" })).toThrow(/invalid environment variable NODE_ENV/);
  });
});

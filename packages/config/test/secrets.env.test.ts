import { describe, expect, it } from "vitest";

import { DEVELOPMENT_KEY } from "@btick/secrets";

import { loadApiEnv, loadWorkerEnv } from "../src/index.ts";

const db = { DATABASE_URL: "postgresql://localhost/btick" };
const prodApi = { ...db, NODE_ENV: "production", UI_SESSION_SECRET: "s".repeat(40) };
const key = Buffer.alloc(32, 7).toString("base64");

describe("secrets configuration", () => {
  it("is optional in development (the apps fall back to the development key and warn)", () => {
    const api = loadApiEnv({ ...db });
    expect(api.SECRETS_ENCRYPTION_KEY).toBeUndefined();
    expect(api.SIGNING_SECRET_PREVIOUS_TTL_HOURS).toBe(24);
    expect(api.SECRET_HEADER_PATTERNS).toBeUndefined();
    expect(loadWorkerEnv({ ...db }).SECRETS_ENCRYPTION_KEY).toBeUndefined();
  });

  it("is required in production for the API and the worker, and the development key is refused there", () => {
    expect(() => loadApiEnv(prodApi)).toThrow(/SECRETS_ENCRYPTION_KEY: required in production/);
    expect(() => loadWorkerEnv({ ...db, NODE_ENV: "production" })).toThrow(/SECRETS_ENCRYPTION_KEY: required in production/);
    expect(() => loadWorkerEnv({ ...db, NODE_ENV: "production", SECRETS_ENCRYPTION_KEY: DEVELOPMENT_KEY })).toThrow(/SECRETS_ENCRYPTION_KEY/);
    expect(loadApiEnv({ ...prodApi, SECRETS_ENCRYPTION_KEY: key }).SECRETS_ENCRYPTION_KEY).toBe(key);
    expect(loadWorkerEnv({ ...db, NODE_ENV: "production", SECRETS_ENCRYPTION_KEY: ` ${key} ` }).SECRETS_ENCRYPTION_KEY).toBe(key);
  });

  it("rejects keys that are not 32 bytes of base64, naming the variable", () => {
    expect(() => loadApiEnv({ ...db, SECRETS_ENCRYPTION_KEY: "too-short" })).toThrow(/invalid environment variable SECRETS_ENCRYPTION_KEY: must decode to 32 bytes/);
    expect(() => loadWorkerEnv({ ...db, SECRETS_ENCRYPTION_KEYS: `${key},nope!` })).toThrow(/SECRETS_ENCRYPTION_KEYS: key 2 must be base64/);
    expect(loadWorkerEnv({ ...db, SECRETS_ENCRYPTION_KEY: key, SECRETS_ENCRYPTION_KEYS: `${DEVELOPMENT_KEY}, ${key}` }).SECRETS_ENCRYPTION_KEYS).toBe(
      `${DEVELOPMENT_KEY}, ${key}`,
    );
    expect(() => loadApiEnv({ ...db, SIGNING_SECRET_PREVIOUS_TTL_HOURS: "721" })).toThrow(/SIGNING_SECRET_PREVIOUS_TTL_HOURS/);
  });
});

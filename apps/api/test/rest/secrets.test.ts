/* eslint-disable @typescript-eslint/no-explicit-any -- black-box tests read untyped JSON bodies */
// Secret header values over REST: masked in every response, encrypted in the database, kept on a PATCH that sends
// the mask back. Signing secrets: shown once at create and on rotation, never otherwise.
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createSecretsOptions } from "@btick/contract";
import { createKeyring, DEVELOPMENT_KEY, generateKey } from "@btick/secrets";

import { buildServer } from "../../src/server.ts";

import { call, expectError, expectJobShape, expectValidation, insertRun, json, setup, validJob, type Harness, type Principal } from "./harness.ts";

let h: Harness;
let p: Principal;

beforeAll(async () => {
  h = await setup();
  p = await h.tenant();
});
afterAll(async () => {
  await h?.close();
});

const SECRET_HEADERS = {
  Authorization: "Bearer top-secret-1",
  Cookie: "session=top-secret-2",
  "X-Auth-Token": "top-secret-3",
  "x-api-key": "top-secret-4",
  "X-Client-Secret-Value": "top-secret-5",
  Accept: "application/json",
};
const MASKED = {
  Authorization: "***",
  Cookie: "***",
  "X-Auth-Token": "***",
  "x-api-key": "***",
  "X-Client-Secret-Value": "***",
  Accept: "application/json",
};

async function create(overrides: Record<string, unknown> = {}) {
  const res = await call(h.app, "POST", "/jobs", { key: p.rawKey, body: validJob({ headers: SECRET_HEADERS, ...overrides }) });
  expect(res.statusCode).toBe(201);
  return json(res);
}

describe("secret header values", () => {
  it("are masked in create, get, list, update, pause and resume responses and in run records", async () => {
    const { job } = await create();
    expect(job.headers).toEqual(MASKED);
    const id = job.id;
    const responses = [
      json(await call(h.app, "GET", `/jobs/${id}`, { key: p.rawKey })).job,
      json(await call(h.app, "GET", "/jobs", { key: p.rawKey })).jobs.find((j: any) => j.id === id),
      json(await call(h.app, "PATCH", `/jobs/${id}`, { key: p.rawKey, body: { name: "renamed" } })).job,
      json(await call(h.app, "POST", `/jobs/${id}/pause`, { key: p.rawKey })).job,
      json(await call(h.app, "POST", `/jobs/${id}/resume`, { key: p.rawKey })).job,
    ];
    for (const j of responses) {
      expectJobShape(j);
      expect(j.headers).toEqual(MASKED);
    }
    // The worker copies the job's (masked) headers into the run; a run stored with plain values (before secrets
    // were encrypted) is masked on read too.
    const run = await insertRun(h.db, job, { requestHeaders: { ...SECRET_HEADERS } });
    expect(json(await call(h.app, "GET", `/runs/${run.id}`, { key: p.rawKey })).run.request_headers).toEqual(MASKED);
    expect(json(await call(h.app, "GET", `/jobs/${id}/runs`, { key: p.rawKey })).runs[0].request_headers).toEqual(MASKED);
  });

  it("are encrypted in the database, with the plain values nowhere in the job row", async () => {
    const { job } = await create();
    const row = await h.db.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(JSON.stringify(row)).not.toMatch(/top-secret/);
    expect(row.headers).toEqual(MASKED);
    const sealed = row.secretHeaders as Record<string, string>;
    expect(Object.keys(sealed).sort()).toEqual(["Authorization", "Cookie", "X-Auth-Token", "X-Client-Secret-Value", "x-api-key"]);
    for (const v of Object.values(sealed)) expect(v).toMatch(/^v1:[0-9a-f]{16}:[\w-]+:[\w-]*:[\w-]+$/);
    expect(row.signingSecret).toMatch(/^v1:/);
  });

  it("PATCH: the mask keeps the stored value (any name case), a new value replaces it, an omitted header is removed", async () => {
    const { job } = await create();
    const before = (await h.db.job.findUniqueOrThrow({ where: { id: job.id } })).secretHeaders as Record<string, string>;
    const res = await call(h.app, "PATCH", `/jobs/${job.id}`, {
      key: p.rawKey,
      body: { headers: { authorization: "***", "X-Auth-Token": "new-token", Accept: "text/plain" } },
    });
    expect(res.statusCode).toBe(200);
    expect(json(res).job.headers).toEqual({ authorization: "***", "X-Auth-Token": "***", Accept: "text/plain" });
    const after = (await h.db.job.findUniqueOrThrow({ where: { id: job.id } })).secretHeaders as Record<string, string>;
    expect(Object.keys(after).sort()).toEqual(["X-Auth-Token", "authorization"]);
    expect(after.authorization).toBe(before.Authorization);
    expect(after["X-Auth-Token"]).not.toBe(before["X-Auth-Token"]);
  });

  it("PATCH re-encrypts values sealed with an older key (masks sent back included); a second identical PATCH writes nothing", async () => {
    const { job } = await create();
    const newKey = generateKey();
    const rotated = createSecretsOptions({ keyring: createKeyring(newKey, [DEVELOPMENT_KEY]) });
    const app = await buildServer({ db: h.db, secrets: rotated });
    await app.ready();
    try {
      const res = await call(app, "PATCH", `/jobs/${job.id}`, { key: p.rawKey, body: { headers: MASKED } });
      expect(res.statusCode, res.body).toBe(200);
      expect(json(res).job.headers).toEqual(MASKED);
      const row = await h.db.job.findUniqueOrThrow({ where: { id: job.id } });
      const onlyNewKey = createKeyring(newKey);
      const secrets = row.secretHeaders as Record<string, string>;
      for (const [name, value] of Object.entries(SECRET_HEADERS)) {
        if (name === "Accept") continue;
        expect(onlyNewKey.open(secrets[name] as string, `tenant:${p.tenantId}`)).toBe(value);
      }
      const again = await call(app, "PATCH", `/jobs/${job.id}`, { key: p.rawKey, body: { headers: MASKED } });
      expect(json(again).job.updated_at).toBe(row.updatedAt.toISOString());
      expect(await h.db.job.findUniqueOrThrow({ where: { id: job.id } })).toEqual(row);
    } finally {
      await app.close();
    }
  });

  it("rejects the mask where no value is stored", async () => {
    const created = await call(h.app, "POST", "/jobs", { key: p.rawKey, body: validJob({ headers: { Authorization: "***" } }) });
    expectValidation(created, ["headers.Authorization"]);
    const { job } = await create();
    const res = await call(h.app, "PATCH", `/jobs/${job.id}`, { key: p.rawKey, body: { headers: { "X-Other-Key": "***" } } });
    const issues = expectValidation(res, ["headers.X-Other-Key"]);
    expect(issues[0]?.message).toBe("is the mask ***, but no value is stored for this header");
  });

  it("does not treat *** as special for ordinary headers", async () => {
    const { job } = await create({ headers: { "X-Stars": "***" } });
    expect(job.headers).toEqual({ "X-Stars": "***" });
    expect((await h.db.job.findUniqueOrThrow({ where: { id: job.id } })).secretHeaders).toEqual({});
  });
});

describe("signing secrets", () => {
  it("are shown once at create, never in reads", async () => {
    const body = await create();
    expect(body.signing_secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    for (const res of [await call(h.app, "GET", `/jobs/${body.job.id}`, { key: p.rawKey }), await call(h.app, "GET", "/jobs", { key: p.rawKey })]) {
      expect(res.body).not.toContain(body.signing_secret);
      expect(res.body).not.toContain("whsec_");
    }
  });

  it("POST /jobs/{jobId}/rotate-signing-secret returns a new secret and the end of the grace window", async () => {
    const { job, signing_secret } = await create();
    expect(job.signing_secret_previous_expires_at).toBeNull();
    const res = await call(h.app, "POST", `/jobs/${job.id}/rotate-signing-secret`, { key: p.rawKey });
    expect(res.statusCode).toBe(200);
    const body = json(res);
    expect(Object.keys(body).sort()).toEqual(["job", "signing_secret"]);
    expect(body.signing_secret).toMatch(/^whsec_/);
    expect(body.signing_secret).not.toBe(signing_secret);
    expectJobShape(body.job);
    expect(Date.parse(body.job.signing_secret_previous_expires_at) - Date.now()).toBeGreaterThan(23.9 * 3600_000);
    expect(json(await call(h.app, "GET", `/jobs/${job.id}`, { key: p.rawKey })).job.signing_secret_previous_expires_at).toBe(
      body.job.signing_secret_previous_expires_at,
    );

    const custom = json(
      await call(h.app, "POST", `/jobs/${job.id}/rotate-signing-secret`, { key: p.rawKey, body: { previous_secret_expires_in_seconds: 60 } }),
    );
    expect(Math.abs(Date.parse(custom.job.signing_secret_previous_expires_at) - Date.now() - 60_000)).toBeLessThan(10_000);
    const row = await h.db.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(row.signingSecretPrevious).not.toBeNull();
  });

  it("validates the window, needs jobs:write, and answers 404 for another tenant's job", async () => {
    const { job } = await create();
    for (const v of [-1, 2_592_001, 1.5, "60"]) {
      expectValidation(
        await call(h.app, "POST", `/jobs/${job.id}/rotate-signing-secret`, { key: p.rawKey, body: { previous_secret_expires_in_seconds: v } }),
        ["previous_secret_expires_in_seconds"],
      );
    }
    expectValidation(await call(h.app, "POST", `/jobs/${job.id}/rotate-signing-secret`, { key: p.rawKey, body: { other: 1 } }));
    const reader = await h.addKey(p.tenantId, ["jobs:read"]);
    expectError(await call(h.app, "POST", `/jobs/${job.id}/rotate-signing-secret`, { key: reader.rawKey }), 403);
    const other = await h.tenant();
    expectError(await call(h.app, "POST", `/jobs/${job.id}/rotate-signing-secret`, { key: other.rawKey }), 404);
    expectError(await call(h.app, "POST", "/jobs/not-a-uuid/rotate-signing-secret", { key: p.rawKey }), 400, "invalid jobId");
    expect((await h.db.job.findUniqueOrThrow({ where: { id: job.id } })).signingSecretPrevious).toBeNull();
  });
});

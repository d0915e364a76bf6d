// Signed requests and secret headers end to end: jobs are created through the API procedures (which generate the
// signing secret and encrypt secret header values), the real worker sends them to a local target, and the target
// checks the signature with the published verification helper.
import { createCaller, createContext, createSecretsOptions, DEFAULT_JOB_LIMITS, MASK } from "@btick/contract";
import { createTenantWithKey } from "@btick/contract/testing";
import { createTestDatabase, type TestDatabase } from "@btick/db/testing";
import { createKeyring, generateKey } from "@btick/secrets";
import { verifyWebhook } from "@btick/webhooks";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import { makeWorker, startTarget, type RecordedRequest, type Target } from "./helpers.ts";

let tdb: TestDatabase;
let target: Target;
let api: ReturnType<typeof createCaller>;
const keyring = createKeyring(generateKey());
const secrets = createSecretsOptions({ keyring });

beforeAll(async () => {
  tdb = await createTestDatabase();
  target = await startTarget();
  const tenant = await createTenantWithKey(tdb.prisma);
  api = createCaller(await createContext({
      db: tdb.prisma,
      authorization: `Bearer ${tenant.rawKey}`,
      secrets,
      // The target listens on 127.0.0.1.
      limits: { ...DEFAULT_JOB_LIMITS, allowPrivateNetworks: true },
    }));
});
afterAll(async () => {
  await target.close();
  await tdb.drop();
});
afterEach(async () => {
  await tdb.prisma.job.deleteMany();
  target.requests.length = 0;
  target.handler = (_req, res) => {
    res.writeHead(200);
    res.end("ok");
  };
});

/** Creates a paused job through the API and triggers one manual run of it. */
async function createAndTrigger(input: Partial<Parameters<typeof api.jobs.create>[0]> = {}) {
  const created = await api.jobs.create({
    name: "signed",
    method: "POST",
    url: `${target.url}/hook`,
    cron_expression: "0 0 1 1 *",
    enabled: false,
    body: { hello: "wörld", n: [1, 2] },
    ...input,
  });
  await api.jobs.trigger({ jobId: created.job.id });
  return created;
}

async function runWorkerOnce(options: Parameters<typeof makeWorker>[1] = {}) {
  const worker = await makeWorker(tdb.prisma, { keyring, ...options });
  await worker.runOnce();
  await worker.stop();
}

const verify = (secret: string | string[], req: RecordedRequest, body = req.body, now?: Date) =>
  verifyWebhook({ secret, headers: req.headers, body, ...(now ? { now } : {}) });

describe("signed requests", () => {
  it("signs every attempt with the run id as webhook-id; the helper verifies it, and rejects a wrong secret, a tampered body or an old timestamp", async () => {
    target.handler = (_req, res, i) => {
      res.writeHead(i === 0 ? 503 : 200);
      res.end();
    };
    const { job, signing_secret } = await createAndTrigger({ retry_max: 1 });
    expect(signing_secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    // Shown once: never part of the job object.
    expect(JSON.stringify(await api.jobs.get({ jobId: job.id }))).not.toContain(signing_secret);

    await runWorkerOnce();
    expect(target.requests).toHaveLength(2);
    const run = await tdb.prisma.jobRun.findFirstOrThrow({ where: { jobId: job.id } });
    expect(run.status).toBe("success");

    for (const req of target.requests) {
      expect(req.headers["webhook-id"]).toBe(run.id);
      expect(req.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
      expect(Math.abs(Number(req.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(30);
      expect(verify(signing_secret, req)).toEqual({ ok: true, id: run.id, timestamp: Number(req.headers["webhook-timestamp"]) });
    }
    const req = target.requests[0] as RecordedRequest;
    expect(JSON.parse(req.body)).toEqual({ hello: "wörld", n: [1, 2] });
    expect(verify("whsec_" + Buffer.alloc(32, 1).toString("base64"), req)).toEqual({ ok: false, reason: "no matching signature" });
    expect(verify(signing_secret, req, req.body.replace("wörld", "world"))).toEqual({ ok: false, reason: "no matching signature" });
    expect(verify(signing_secret, req, req.body, new Date(Date.now() + 10 * 60_000))).toEqual({ ok: false, reason: "timestamp outside tolerance" });
  });

  it("signs bodiless requests over an empty body", async () => {
    const { signing_secret } = await createAndTrigger({ method: "GET", body: null });
    await runWorkerOnce();
    const req = target.requests[0] as RecordedRequest;
    expect(req.body).toBe("");
    expect(verify(signing_secret, req).ok).toBe(true);
  });

  it("sends both signatures during a rotation window, and only the new one once the old secret is dropped", async () => {
    const { job, signing_secret: oldSecret } = await createAndTrigger();
    const rotated = await api.jobs.rotateSigningSecret({ jobId: job.id });
    expect(rotated.signing_secret).not.toBe(oldSecret);
    const expires = Date.parse(rotated.job.signing_secret_previous_expires_at ?? "");
    expect(Math.abs(expires - Date.now() - 24 * 3600_000)).toBeLessThan(60_000);

    await runWorkerOnce();
    const during = target.requests[0] as RecordedRequest;
    expect(String(during.headers["webhook-signature"]).split(" ")).toHaveLength(2);
    expect(verify(oldSecret, during).ok).toBe(true);
    expect(verify(rotated.signing_secret, during).ok).toBe(true);

    const final = await api.jobs.rotateSigningSecret({ jobId: job.id, previous_secret_expires_in_seconds: 0 });
    expect(final.job.signing_secret_previous_expires_at).toBeNull();
    await api.jobs.trigger({ jobId: job.id });
    await runWorkerOnce();
    const after = target.requests[1] as RecordedRequest;
    expect(String(after.headers["webhook-signature"]).split(" ")).toHaveLength(1);
    expect(verify(final.signing_secret, after).ok).toBe(true);
    expect(verify(rotated.signing_secret, after).ok).toBe(false);
    expect(verify(oldSecret, after).ok).toBe(false);
  });

  it("leaves jobs without a signing secret (created before signing existed) unsigned", async () => {
    const { job } = await createAndTrigger();
    await tdb.prisma.job.update({ where: { id: job.id }, data: { signingSecret: null } });
    await runWorkerOnce();
    expect(target.requests[0]?.headers["webhook-signature"]).toBeUndefined();
  });
});

describe("secret headers", () => {
  it("are stored encrypted and masked (job and run records) but sent in clear to the target", async () => {
    const headers = { Authorization: "Bearer s3cret-token", "X-Api-Key": "key-123", "X-Plain": "visible" };
    const { job } = await createAndTrigger({ headers });
    expect(job.headers).toEqual({ Authorization: MASK, "X-Api-Key": MASK, "X-Plain": "visible" });

    const row = await tdb.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(row.headers).toEqual(job.headers);
    const stored = JSON.stringify(row);
    expect(stored).not.toContain("s3cret-token");
    expect(stored).not.toContain("key-123");
    expect(Object.keys(row.secretHeaders as object).sort()).toEqual(["Authorization", "X-Api-Key"]);
    expect((row.secretHeaders as Record<string, string>).Authorization).toMatch(new RegExp(`^v1:${keyring.currentKeyId}:`));

    await runWorkerOnce();
    const req = target.requests[0] as RecordedRequest;
    expect(req.headers.authorization).toBe("Bearer s3cret-token");
    expect(req.headers["x-api-key"]).toBe("key-123");
    expect(req.headers["x-plain"]).toBe("visible");

    const run = await tdb.prisma.jobRun.findFirstOrThrow({ where: { jobId: job.id } });
    expect(run.requestHeaders).toEqual({ Authorization: MASK, "X-Api-Key": MASK, "X-Plain": "visible" });
    expect((await api.runs.get({ runId: run.id })).run.request_headers).toEqual(run.requestHeaders);
  });

  it("keeps a secret when the mask is sent back in a PATCH and replaces it when a new value is sent", async () => {
    const { job } = await createAndTrigger({ headers: { Authorization: "Bearer one", "X-Session-Token": "t1" } });
    await api.jobs.update({ jobId: job.id, headers: { authorization: MASK, "X-Session-Token": "t2", "X-New": "n" } });
    await runWorkerOnce();
    const req = target.requests[0] as RecordedRequest;
    expect(req.headers.authorization).toBe("Bearer one");
    expect(req.headers["x-session-token"]).toBe("t2");
    await expect(api.jobs.update({ jobId: job.id, headers: { Cookie: MASK } })).rejects.toMatchObject({
      cause: { issues: [{ field: "headers.Cookie", message: `is the mask ${MASK}, but no value is stored for this header` }] },
    });
  });

  it("fails the run without sending when a value cannot be decrypted (key missing from the keyring)", async () => {
    const { job } = await createAndTrigger({ headers: { Authorization: "Bearer x" } });
    await runWorkerOnce({ keyring: createKeyring(generateKey()) });
    expect(target.requests).toHaveLength(0);
    const run = await tdb.prisma.jobRun.findFirstOrThrow({ where: { jobId: job.id } });
    expect(run.status).toBe("failed");
    expect(run.errorMessage).toMatch(/could not decrypt the header Authorization: no configured key has id .*SECRETS_ENCRYPTION_KEYS.*request not sent/);
  });
});

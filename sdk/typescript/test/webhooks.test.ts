// Signed requests end to end through the SDK: a job created with jobs.create, the real worker sending its request
// to a local target, and the SDK's verifyWebhook checking what arrived; then jobs.rotateSigningSecret, with both
// signatures during the rotation window and only the new one after it.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { BTick, BTickError, DEFAULT_TOLERANCE_SECONDS, verifyWebhook } from "../src/index.ts";
import { DEFAULT_JOB_LIMITS } from "@btick/contract";
import { createWorker } from "@btick/worker/src/worker.ts";

import { startLiveServer, type LiveServer } from "./live.ts";

interface Received {
  headers: IncomingHttpHeaders;
  body: Buffer;
}

let server: LiveServer;
let client: BTick;
let target: { url: string; server: Server; requests: Received[] };

beforeAll(async () => {
  // The target listens on 127.0.0.1, which the API refuses as a job URL by default.
  server = await startLiveServer({ limits: { ...DEFAULT_JOB_LIMITS, allowPrivateNetworks: true } });
  client = new BTick({ baseUrl: server.baseUrl, apiKey: server.principal.rawKey });
  const requests: Received[] = [];
  const s = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  target = { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, server: s, requests };
});
afterAll(async () => {
  target?.server.closeAllConnections();
  await new Promise((resolve) => target?.server.close(resolve));
  await server?.close();
});
beforeEach(() => {
  target.requests.length = 0;
});

/** Triggers the job and lets a real worker (same database, default keyring like the API's) send one request. */
async function sendOnce(jobId: string): Promise<Received> {
  await client.jobs.trigger({ jobId });
  const worker = createWorker({
    db: server.db.prisma,
    options: { workerId: `sdk-webhooks-${process.pid}`, allowPrivateNetworks: true, taskLogPath: null, httpTimeoutMs: 5000 },
  });
  await worker.runOnce();
  await worker.stop();
  expect(target.requests).toHaveLength(1);
  const received = target.requests.pop();
  if (!received) throw new Error("no request");
  return received;
}

const createJob = () =>
  client.jobs.create({
    name: "signed",
    method: "POST",
    url: `${target.url}/hook`,
    cron_expression: "0 0 1 1 *",
    enabled: false,
    body: { hello: "wörld", n: [1, 2] },
  });

describe("verifyWebhook from @btick/sdk", () => {
  it("verifies what the worker sends, in Node's and Fetch's header forms, and rejects tampering", async () => {
    const { job, signing_secret } = await createJob();
    const req = await sendOnce(job.id);
    const [run] = (await client.runs.list({ jobId: job.id })).runs;
    const timestamp = Number(req.headers["webhook-timestamp"]);

    expect(verifyWebhook({ secret: signing_secret, headers: req.headers, body: req.body })).toEqual({ ok: true, id: run?.id, timestamp });
    const fetchHeaders = new Headers(Object.entries(req.headers).map(([k, v]) => [k, String(v)] as [string, string]));
    expect(verifyWebhook({ secret: signing_secret, headers: fetchHeaders, body: req.body.toString("utf8") })).toMatchObject({ ok: true });
    expect(verifyWebhook({ secret: [signing_secret], headers: req.headers, body: new Uint8Array(req.body), toleranceSeconds: 60 })).toMatchObject({ ok: true });

    const other = "whsec_" + Buffer.alloc(32, 7).toString("base64");
    expect(verifyWebhook({ secret: other, headers: req.headers, body: req.body })).toEqual({ ok: false, reason: "no matching signature" });
    const tampered = req.body.toString("utf8").replace("wörld", "world");
    expect(verifyWebhook({ secret: signing_secret, headers: req.headers, body: tampered })).toEqual({ ok: false, reason: "no matching signature" });
    const later = new Date((timestamp + DEFAULT_TOLERANCE_SECONDS + 1) * 1000);
    expect(verifyWebhook({ secret: signing_secret, headers: req.headers, body: req.body, now: later })).toEqual({ ok: false, reason: "timestamp outside tolerance" });
    expect(verifyWebhook({ secret: signing_secret, headers: {}, body: req.body })).toEqual({ ok: false, reason: "missing headers" });
  });

  it("jobs.rotateSigningSecret: both secrets verify during the window, only the new one after it", async () => {
    const { job, signing_secret: oldSecret } = await createJob();
    const rotated = await client.jobs.rotateSigningSecret({ jobId: job.id, previous_secret_expires_in_seconds: 3600 });
    expect(rotated.signing_secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(rotated.signing_secret).not.toBe(oldSecret);
    expect(rotated.job.id).toBe(job.id);
    expect(Math.abs(Date.parse(rotated.job.signing_secret_previous_expires_at ?? "") - Date.now() - 3600_000)).toBeLessThan(60_000);

    const during = await sendOnce(job.id);
    expect(String(during.headers["webhook-signature"]).split(" ")).toHaveLength(2);
    expect(verifyWebhook({ secret: oldSecret, headers: during.headers, body: during.body }).ok).toBe(true);
    expect(verifyWebhook({ secret: rotated.signing_secret, headers: during.headers, body: during.body }).ok).toBe(true);

    const final = await client.jobs.rotateSigningSecret({ jobId: job.id, previous_secret_expires_in_seconds: 0 });
    expect(final.job.signing_secret_previous_expires_at).toBeNull();
    const after = await sendOnce(job.id);
    expect(verifyWebhook({ secret: final.signing_secret, headers: after.headers, body: after.body }).ok).toBe(true);
    expect(verifyWebhook({ secret: [oldSecret, rotated.signing_secret], headers: after.headers, body: after.body })).toEqual({
      ok: false,
      reason: "no matching signature",
    });
  });

  it("jobs.rotateSigningSecret reports the API's errors", async () => {
    const err = await client.jobs.rotateSigningSecret({ jobId: "00000000-0000-4000-8000-000000000000" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BTickError);
    expect(err).toMatchObject({ status: 404, error_code: "NOT_FOUND", message: "job not found", procedure: "jobs.rotateSigningSecret" });
  });
});

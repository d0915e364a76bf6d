// A job's body keeps its text: object keys stay in the order they were written through create, read and PATCH, in
// the run's record, and in the bytes the real worker (in-process, unchanged) sends to a local target.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createWorker, type Worker } from "../../../worker/src/worker.ts";
import { call, json, setup, type Harness, type Principal } from "./harness.ts";

let h: Harness;
let p: Principal;
let worker: Worker;
let target: Server;
let targetUrl: string;
const received: { url: string; body: string; contentType: string | undefined }[] = [];

beforeAll(async () => {
  h = await setup();
  p = await h.tenant();
  target = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ url: req.url ?? "", body: Buffer.concat(chunks).toString("utf8"), contentType: req.headers["content-type"] });
      res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => target.listen(0, "127.0.0.1", resolve));
  targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
  worker = createWorker({ db: h.db, options: { workerId: `body-order-${process.pid}`, allowPrivateNetworks: true, taskLogPath: null } });
}, 60_000);
afterAll(async () => {
  await worker?.stop({ graceMs: 1000 });
  await new Promise((resolve) => target?.close(resolve));
  await h?.close();
});

// Keys deliberately out of alphabetical and length order (jsonb would store "n" first, then "hello", …).
const BODY = '{"hello":1,"n":2,"nested":{"zeta":true,"a":[{"yy":1,"b":null}]},"amount":"10.50"}';
const REORDERED = '{"n":2,"amount":"10.50","nested":{"a":[{"b":null,"yy":1}],"zeta":true},"hello":1}';

/** The raw text of the job's `body` in a response (the whole response is compact JSON). */
function bodyText(raw: string, field = "body"): string {
  const start = raw.indexOf(`"${field}":`);
  expect(start, `no ${field} in ${raw.slice(0, 300)}`).toBeGreaterThan(0);
  // The bodies here are followed by the next field of the job or run.
  const rest = raw.slice(start + field.length + 3);
  for (const candidate of [BODY, REORDERED]) if (rest.startsWith(candidate)) return candidate;
  return rest.slice(0, 200);
}

async function storedText(jobId: string): Promise<string | null> {
  const rows = await h.db.$queryRaw<{ body: string | null }[]>`select body::text as body from jobs where id = ${jobId}::uuid`;
  return rows[0]?.body ?? null;
}

async function createOrderedJob(): Promise<string> {
  const res = await call(h.app, "POST", "/jobs", {
    key: p.rawKey,
    raw: `{"name":"ordered body","method":"POST","url":"${targetUrl}/hook","cron_expression":"0 0 1 1 *","body":${BODY}}`,
  });
  expect(res.statusCode, res.body).toBe(201);
  expect(bodyText(res.body)).toBe(BODY);
  return json(res).job.id as string;
}

describe("job body key order", () => {
  it("is kept by create, get, list and the database", async () => {
    const jobId = await createOrderedJob();
    expect(await storedText(jobId)).toBe(BODY);
    expect(bodyText((await call(h.app, "GET", `/jobs/${jobId}`, { key: p.rawKey })).body)).toBe(BODY);
    expect(bodyText((await call(h.app, "GET", "/jobs", { key: p.rawKey, query: { q: "ordered body", limit: "1" } })).body)).toBe(BODY);
  });

  it("a PATCH that only reorders the keys is a change, stored as sent", async () => {
    const jobId = await createOrderedJob();
    const before = json(await call(h.app, "GET", `/jobs/${jobId}`, { key: p.rawKey })).job;
    const res = await call(h.app, "PATCH", `/jobs/${jobId}`, { key: p.rawKey, raw: `{"body":${REORDERED}}` });
    expect(res.statusCode, res.body).toBe(200);
    expect(bodyText(res.body)).toBe(REORDERED);
    expect(json(res).job.updated_at).not.toBe(before.updated_at);
    expect(await storedText(jobId)).toBe(REORDERED);
    // Sending back the same text changes nothing.
    const again = await call(h.app, "PATCH", `/jobs/${jobId}`, { key: p.rawKey, raw: `{"body":${REORDERED}}` });
    expect(json(again).job.updated_at).toBe(json(res).job.updated_at);
  });

  it("reaches the target byte for byte, and the run records it so (manual trigger and scheduled slot)", async () => {
    const jobId = await createOrderedJob();
    received.length = 0;
    const trigger = await call(h.app, "POST", `/jobs/${jobId}/trigger`, { key: p.rawKey });
    expect(trigger.statusCode, trigger.body).toBe(202);
    expect((await worker.runOnce()).map((s) => s.status)).toEqual(["success"]);
    // A scheduled slot as well: make the job due now.
    await h.db.$executeRaw`update jobs set next_run_at = now() - interval '1 second' where id = ${jobId}::uuid`;
    expect((await worker.runOnce()).map((s) => s.status)).toEqual(["success"]);

    expect(received).toHaveLength(2);
    for (const r of received) {
      expect(r.url).toBe("/hook");
      expect(r.contentType).toMatch(/^application\/json/);
      expect(r.body).toBe(BODY);
    }

    const runs = json(await call(h.app, "GET", `/jobs/${jobId}/runs`, { key: p.rawKey })).runs as { id: string; trigger_type: string }[];
    expect(runs.map((r) => r.trigger_type).sort()).toEqual(["manual", "scheduled"]);
    for (const run of runs) {
      expect(bodyText((await call(h.app, "GET", `/runs/${run.id}`, { key: p.rawKey })).body, "request_body")).toBe(BODY);
    }
    const stored = await h.db.$queryRaw<{ body: string }[]>`select request_body::text as body from job_runs where job_id = ${jobId}::uuid`;
    expect(stored.map((r) => r.body)).toEqual([BODY, BODY]);
  });
});

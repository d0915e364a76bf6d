// SDK behaviour against a live server: outputs, typed errors from the envelope, pagination, retries, timeouts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { BTick, BTickError, type FetchLike } from "../src/index.ts";
import { addApiKey } from "@btick/contract/testing";

import { createFixture, startLiveServer, type Fixture, type LiveServer } from "./live.ts";

let server: LiveServer;
let fixture: Fixture;
let client: BTick;

const rejection = (p: Promise<unknown>) => p.then(() => { throw new Error("expected a rejection"); }, (e: unknown) => e as BTickError);

beforeAll(async () => {
  server = await startLiveServer();
  fixture = await createFixture(server);
  client = new BTick({ baseUrl: server.baseUrl, apiKey: server.principal.rawKey });
});
afterAll(async () => {
  await server?.close();
});

describe("BTick client", () => {
  it("validates its options", () => {
    expect(() => new BTick({ baseUrl: "nope", apiKey: "k" })).toThrow(/baseUrl/);
    expect(() => new BTick({ baseUrl: "ftp://x", apiKey: "k" })).toThrow(/http/);
    expect(() => new BTick({ baseUrl: "http://x", apiKey: "  " })).toThrow(/apiKey/);
  });

  it("returns the procedures' outputs (same objects as the REST bodies)", async () => {
    const { job } = await client.jobs.create({ name: "sdk job", method: "get", url: "https://example.com/a", cron_expression: "*/5 * * * *" });
    expect(job).toMatchObject({ name: "sdk job", method: "GET", enabled: true, headers: {}, body: null, timezone: "UTC" });
    const rest = await fetch(`${server.baseUrl}/api/v1/jobs/${job.id}`, { headers: { authorization: `Bearer ${server.principal.rawKey}` } });
    const restJob = ((await rest.json()) as { job: typeof job }).job;
    expect({ ...restJob, next_runs: [] }).toEqual({ ...(await client.jobs.get({ jobId: job.id })).job, next_runs: [] });
    expect((await client.jobs.update({ jobId: job.id, name: "renamed" })).job.name).toBe("renamed");
    expect((await client.jobs.pause({ jobId: job.id })).job).toMatchObject({ enabled: false, next_run_at: null });
    expect((await client.jobs.resume({ jobId: job.id })).job.enabled).toBe(true);
    expect((await client.jobs.trigger({ jobId: job.id })).message).toBe("manual trigger accepted");
    expect(await client.runs.list({ jobId: fixture.jobId })).toMatchObject({ runs: [{ id: fixture.runId }], next_cursor: null });
    expect((await client.runs.get({ runId: fixture.runId })).run.attempts).toHaveLength(1);
    expect(await client.jobs.delete({ jobId: job.id })).toEqual({ message: "job deleted" });
    expect(await client.health()).toEqual({ status: "ok" });
  });

  it("iterates over every page", async () => {
    for (let i = 0; i < 7; i++) await client.jobs.create({ name: `page ${i}`, method: "GET", url: "https://example.com/p", cron_expression: "0 * * * *", enabled: i % 2 === 0 });
    const all: string[] = [];
    for await (const job of client.jobs.iterate({ limit: 2 })) all.push(job.id);
    const listed = (await client.jobs.list({ limit: 500 })).jobs.map((j) => j.id);
    expect(all).toEqual(listed);
    const paused: boolean[] = [];
    for await (const job of client.jobs.iterate({ limit: 1, enabled: false })) paused.push(job.enabled);
    expect(paused).toEqual([false, false, false]);
    const keys: string[] = [];
    for await (const k of client.apiKeys.iterate({ limit: 1 })) keys.push(k.id);
    expect(keys).toHaveLength((await client.apiKeys.list()).api_keys.length);
    const runs = [];
    for await (const r of client.runs.iterate({ jobId: fixture.jobId, limit: 1 })) runs.push(r);
    expect(runs.map((r) => r.id)).toEqual([fixture.runId]);
  });

  it("turns validation failures into BTickError with field messages", async () => {
    const err = await rejection(client.jobs.create({ name: "", method: "GET", url: "x", cron_expression: "0 0 31 2 *" }));
    expect(err).toBeInstanceOf(BTickError);
    expect(err).toMatchObject({ status: 400, error_code: "INVALID_REQUEST", message: "Validation failed", procedure: "jobs.create" });
    expect(err.validation.map((v) => v.field).sort()).toEqual(["cron_expression", "name", "url"]);
    expect(err.describe()).toMatch(/^Validation failed\n {2}\w/);
  });

  it("reports 401, 403 and 404 with the API's codes and messages", async () => {
    const bad = new BTick({ baseUrl: server.baseUrl, apiKey: "skd_000000000000_notarealsecretnotarealsecret12" });
    expect(await rejection(bad.jobs.list())).toMatchObject({ status: 401, error_code: "UNAUTHORIZED", message: "invalid api key", validation: [] });
    const readOnly = await addApiKey(server.db.prisma, server.principal.tenantId, ["jobs:read"]);
    const ro = new BTick({ baseUrl: server.baseUrl, apiKey: readOnly.rawKey });
    expect(await rejection(ro.jobs.trigger({ jobId: fixture.jobId }))).toMatchObject({
      status: 403,
      error_code: "FORBIDDEN",
      message: "this operation requires the jobs:trigger scope",
    });
    expect(await rejection(client.jobs.get({ jobId: "00000000-0000-4000-8000-000000000000" }))).toMatchObject({
      status: 404,
      error_code: "NOT_FOUND",
      message: "job not found",
    });
    expect(await rejection(client.runs.get({ runId: "nope" }))).toMatchObject({ status: 400, message: "invalid runId" });
  });

  it("retries reads after network errors, never writes", async () => {
    let calls = 0;
    const flaky: FetchLike = (input, init) => {
      calls++;
      return calls <= 2 ? Promise.reject(new TypeError("fetch failed")) : fetch(input, init);
    };
    const c = new BTick({ baseUrl: server.baseUrl, apiKey: server.principal.rawKey, fetch: flaky, retries: 2 });
    expect((await c.jobs.get({ jobId: fixture.jobId })).job.id).toBe(fixture.jobId);
    expect(calls).toBe(3);

    calls = 0;
    const err = await rejection(c.jobs.trigger({ jobId: fixture.jobId }));
    expect(err).toMatchObject({ status: 0, error_code: "NETWORK_ERROR", isNetworkError: true });
    expect(calls).toBe(1);

    calls = -10; // always failing
    const none = new BTick({ baseUrl: server.baseUrl, apiKey: server.principal.rawKey, fetch: flaky, retries: 1 });
    expect(await rejection(none.jobs.list())).toMatchObject({ error_code: "NETWORK_ERROR" });
    expect(calls).toBe(-8);
  });

  it("does not retry HTTP errors", async () => {
    let calls = 0;
    const counting: FetchLike = (input, init) => {
      calls++;
      return fetch(input, init);
    };
    const c = new BTick({ baseUrl: server.baseUrl, apiKey: server.principal.rawKey, fetch: counting });
    await rejection(c.jobs.get({ jobId: "00000000-0000-4000-8000-000000000000" }));
    expect(calls).toBe(1);
  });

  it("times out slow requests (TIMEOUT), and honours a caller's AbortSignal", async () => {
    let calls = 0;
    const hanging: FetchLike = (_input, init) => {
      calls++;
      if (init?.signal?.aborted) return Promise.reject(init.signal.reason);
      return new Promise((_resolve, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal?.reason)));
    };
    const c = new BTick({ baseUrl: server.baseUrl, apiKey: server.principal.rawKey, fetch: hanging, timeoutMs: 100, retries: 0 });
    const started = Date.now();
    expect(await rejection(c.jobs.list())).toMatchObject({ status: 0, error_code: "TIMEOUT" });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(calls).toBe(1);

    const controller = new AbortController();
    const slow = new BTick({ baseUrl: server.baseUrl, apiKey: server.principal.rawKey, fetch: hanging, timeoutMs: 60_000, retries: 3 });
    const pending = rejection(slow.jobs.list(undefined, { signal: controller.signal }));
    controller.abort();
    expect(await pending).toMatchObject({ status: 0, error_code: "ABORTED", isNetworkError: true });
    expect(calls).toBe(2);
  });

  it("sends custom headers", async () => {
    let seen: Headers | undefined;
    const spy: FetchLike = (input, init) => {
      seen = new Headers(init?.headers);
      return fetch(input, init);
    };
    await new BTick({ baseUrl: `${server.baseUrl}/`, apiKey: server.principal.rawKey, fetch: spy, headers: { "x-request-id": "sdk-test-1" } }).health();
    expect(seen?.get("x-request-id")).toBe("sdk-test-1");
    expect(seen?.get("authorization")).toBe(`Bearer ${server.principal.rawKey}`);
  });
});
